"""Metrics and structured logs shared by the API, workers and hub.

Importing this package prepares multi-process metrics for API and worker processes
(PROMETHEUS_MULTIPROC_DIR), so it happens before `metrics` creates the first metric.
"""

from ainative.observability import multiproc

multiproc.prepare()
