"""Metrics and structured logs shared by the API, workers and hub."""
