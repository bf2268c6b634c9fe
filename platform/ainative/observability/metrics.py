"""The platform's Prometheus metrics, defined once for every process.

Names follow Prometheus conventions: `ainative_` prefix, base units (seconds),
`_total` counters, no per-user labels. Processes that fork or run several
workers set PROMETHEUS_MULTIPROC_DIR before importing this module.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LLM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)

HTTP_REQUESTS = Counter(
    "ainative_http_requests_total",
    "HTTP requests by route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "ainative_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)

# outcome: cache_hit, queued, answered, error, quota_exceeded, rejected,
#          guardrail_rewritten, guardrail_refused, guardrail_withheld
UNAVAILABLE = Counter(
    "ainative_unavailable_total",
    "Requests answered 503 because a backing service was out of reach, by cause",
    ["cause"],
)
TUTOR_REQUESTS = Counter(
    "ainative_tutor_requests_total", "Tutoring requests by outcome", ["outcome"]
)
QUEUE_WAIT = Histogram(
    "ainative_tutor_queue_wait_seconds",
    "Time from submission until a worker starts it",
    buckets=LLM_BUCKETS,
)
LLM_LATENCY = Histogram(
    "ainative_llm_request_duration_seconds",
    "LLM provider call latency",
    ["provider"],
    buckets=LLM_BUCKETS,
)
END_TO_END = Histogram(
    "ainative_tutor_end_to_end_seconds",
    "Submission to stored answer",
    buckets=LLM_BUCKETS,
)
LLM_TOKENS = Counter(
    "ainative_llm_tokens_total",
    "LLM tokens by provider and kind (prompt, completion)",
    ["provider", "kind"],
)
LLM_ERRORS = Counter(
    "ainative_llm_errors_total", "LLM call failures by provider and reason", ["provider", "reason"]
)
CACHE_REQUESTS = Counter(
    "ainative_cache_requests_total", "Response cache lookups by result (hit, miss)", ["result"]
)
SWEEPER_REQUEUED = Counter(
    "ainative_sweeper_requeued_total", "Interactions re-enqueued by the sweeper"
)
TASKS = Counter(
    "ainative_worker_tasks_total", "Celery tasks finished by task name and state", ["task", "state"]
)
REDIS_UP = Gauge(
    "ainative_redis_up", "1 when Redis answered the last check", multiprocess_mode="mostrecent"
)

# Set at scrape time (and periodically) by each process; live processes add up.
DB_POOL_SIZE = Gauge(
    "ainative_db_pool_size",
    "Configured connections kept in the DB pool",
    multiprocess_mode="livesum",
)
DB_POOL_MAX_OVERFLOW = Gauge(
    "ainative_db_pool_max_overflow",
    "Connections the DB pool may open beyond its size",
    multiprocess_mode="livesum",
)
DB_POOL_CHECKED_OUT = Gauge(
    "ainative_db_pool_checked_out", "DB connections in use", multiprocess_mode="livesum"
)
DB_POOL_OVERFLOW = Gauge(
    "ainative_db_pool_overflow",
    "DB connections open beyond the pool size",
    multiprocess_mode="livesum",
)
QUEUE_DEPTH = Gauge(
    "ainative_queue_depth",
    "Messages waiting in a Celery queue (Redis LLEN)",
    ["queue"],
    multiprocess_mode="mostrecent",
)
REDIS_MEMORY_USED = Gauge(
    "ainative_redis_memory_used_bytes", "Redis used_memory", multiprocess_mode="mostrecent"
)
REDIS_MEMORY_MAX = Gauge(
    "ainative_redis_memory_max_bytes",
    "Redis maxmemory (0 = unlimited)",
    multiprocess_mode="mostrecent",
)
PASSWORD_CHECKS = Counter(
    "ainative_password_checks_total",
    "bcrypt verifications (the dummy check for unknown accounts included)",
)

# Ask a person (issue 23), read from the database at scrape time by the API, per course.
ESCALATIONS_WAITING = Gauge(
    "ainative_escalations_waiting",
    "Requests to a person waiting for course staff",
    ["course"],
    multiprocess_mode="mostrecent",
)
ESCALATION_OLDEST_WAIT = Gauge(
    "ainative_escalation_oldest_wait_seconds",
    "How long the oldest waiting request to a person has waited (0: none)",
    ["course"],
    multiprocess_mode="mostrecent",
)
ESCALATION_ALERT_AFTER = Gauge(
    "ainative_escalation_alert_after_seconds",
    "The course's escalation_alert_minutes (default 10), in seconds",
    ["course"],
    multiprocess_mode="mostrecent",
)
