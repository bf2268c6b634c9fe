"""The platform's HTTP API (FastAPI)."""
