"""The fault suite: the platform under worker, Redis, PostgreSQL and LLM faults (issue 12)."""
