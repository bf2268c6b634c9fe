"""The processes' runtime: supervision, the commands that start them, the Celery app,
the embedded servers and the warm-up at start."""
