"""Per-chapter widgets modules (one module per topic)."""
