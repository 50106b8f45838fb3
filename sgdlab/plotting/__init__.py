"""Per-chapter plotting modules (one module per topic)."""
