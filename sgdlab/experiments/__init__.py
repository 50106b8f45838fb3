"""Per-chapter experiments modules (one module per topic)."""
