"""Task bodies (placeholder until the tutoring pipeline lands)."""
