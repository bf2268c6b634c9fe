"""AI-Native Tutor Platform: the shared core used by the API, workers, hub and analytics."""

__version__ = "0.1.0"
