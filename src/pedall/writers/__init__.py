"""Writers of classification results (table, JSON, CSV, Turtle)."""
