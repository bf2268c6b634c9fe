"""Database access: pooled engine, models and migrations."""
