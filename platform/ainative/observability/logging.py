"""Structured logs: one JSON line per event with the ids that correlate API and worker.

Context (request_id, interaction_id, user_id, task_id) lives in a contextvar holding
a dict, so ids bound anywhere in a request (even in a threadpool dependency) reach
the access line written at its end. LOG_FORMAT=text gives a human-readable line
for `make run`; JSON is the default for shippers. A redaction filter removes
passwords, tokens, Authorization headers, API keys and prompts before any handler,
and both formatters redact again what they add themselves (tracebacks, stack info)
so a formatter used without the filter (JupyterHub's config) leaks nothing.

Log injection: a request path or a student's text may carry newlines or terminal
escapes. JSON escapes them by construction; the text formatter escapes control
characters in the message and the fields, and prefixes every traceback line with
`TRACE_PREFIX`, so no physical line that does not start a record can pass for one.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

CONTEXT_KEYS = ("request_id", "interaction_id", "user_id", "task_id")
REDACTED = "[REDACTED]"
# Extra fields whose values are never logged.
SECRET_FIELDS = re.compile(
    r"pass(word|wd)?|secret|token|authorization|cookie|api[_-]?key|prompt|crypt|credential",
    re.IGNORECASE,
)
# Secrets that may hide inside a free-text message.
SECRET_PATTERNS = [
    (re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{6,}"), REDACTED),
    (
        re.compile(
            r"(?i)((?:password|passwd|secret|token|api_key|apikey|authorization|prompt)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)([?&](?:token|access_token|code|password)=)[^&\s]+"), r"\1" + REDACTED),
]
# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
TRACE_PREFIX = "  | "
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}

_context: ContextVar[dict[str, Any] | None] = ContextVar("ainative_log_context", default=None)


def current_context() -> dict[str, Any]:
    """The ids bound in this request or task."""
    return dict(_context.get() or {})


def bind(**ids: Any) -> None:
    """Add ids to the current context (in place, so an enclosing request scope sees them)."""
    ctx = _context.get()
    if ctx is None:
        _context.set({k: v for k, v in ids.items() if v is not None})
    else:
        ctx.update({k: v for k, v in ids.items() if v is not None})


@contextmanager
def log_context(**ids: Any) -> Iterator[dict[str, Any]]:
    """A fresh context for one request or task; restored afterwards."""
    ctx = {k: v for k, v in ids.items() if v is not None}
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


def set_context(ctx: dict[str, Any] | None) -> None:
    """Replace the context (Celery signals, where a with-block cannot span prerun/postrun)."""
    _context.set(ctx)


def correlation_headers() -> dict[str, str]:
    """Celery message headers carrying this request's id to the worker's log lines.

    Use as ``send_task(TASK_ANSWER, args=[interaction_id], headers=correlation_headers())``.
    """
    request_id = (_context.get() or {}).get("request_id")
    return {"request_id": str(request_id)} if request_id else {}


def redact_text(text: str) -> str:
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """Newlines, escapes and other control characters as visible backslash sequences."""
    return CONTROL_CHARS.sub(_escape_char, text)


def redact_value(key: str, value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value  # counts such as prompt_tokens are not secrets
    if SECRET_FIELDS.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    return value


class RedactionFilter(logging.Filter):
    """Scrub secrets from the message, its arguments and extra fields of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed %-format must not lose the event
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and key not in CONTEXT_KEYS:
                setattr(record, key, redact_value(key, value))
        return True


class ContextFilter(logging.Filter):
    """Copy the bound ids onto the record (absent ids stay absent)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS and not k.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, process, msg, ids, extra fields."""

    def __init__(self, process_name: str) -> None:
        super().__init__()
        self.process_name = process_name

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": self.process_name,
            "pid": record.process,
            "msg": redact_text(record.getMessage()),
        }
        entry.update({k: redact_value(k, v) for k, v in _extras(record).items()})
        if record.exc_info:
            entry["exc"] = redact_text(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact_text(self.formatStack(record.stack_info))
        # json escapes C0 controls; U+2028/9 and C1 are legal in JSON but split lines elsewhere.
        line = json.dumps(entry, default=str, ensure_ascii=False)
        return CONTROL_CHARS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", line)


class TextFormatter(logging.Formatter):
    """A readable line for a terminal: time, level, logger, message, then key=value ids."""

    def __init__(self, process_name: str) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        self.process_name = process_name

    def format(self, record: logging.LogRecord) -> str:
        record.message = escape_control(redact_text(record.getMessage()))
        record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        extras = {k: redact_value(k, v) for k, v in _extras(record).items()}
        if extras:
            line += "  " + " ".join(
                f"{escape_control(str(k))}={escape_control(str(v))}" for k, v in extras.items()
            )
        trace = []
        if record.exc_info:
            trace.append(self.formatException(record.exc_info))
        if record.stack_info:
            trace.append(self.formatStack(record.stack_info))
        for block in trace:
            for text_line in redact_text(block).splitlines():
                line += "\n" + TRACE_PREFIX + escape_control(text_line)
        return line


def configure_logging(process_name: str, log_format: str = "", level: str = "") -> None:
    """Route every logger (uvicorn's and Celery's too) through one redacting handler."""
    if not log_format or not level:
        from ainative.config import get_settings

        settings = get_settings()
        log_format = log_format or settings.log_format
        level = level or settings.log_level
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactionFilter())
    formatter_cls = TextFormatter if log_format == "text" else JsonFormatter
    handler.setFormatter(formatter_cls(process_name))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "celery", "celery.task"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The API writes its own access line (route template, ids); uvicorn's would repeat it.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    # Request lines of HTTP clients are noise at INFO and may carry query strings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Celery's two lines per task (received, succeeded) repeat the worker's own
    # interaction lines, at a cost a lab's throughput notices; failures still show.
    logging.getLogger("celery.worker.strategy").setLevel(logging.WARNING)
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)


def hub_logging_config(process_name: str = "hub", log_format: str = "") -> dict[str, Any]:
    """For `c.JupyterHub.logging_config`: the hub's lines in the same format, redacted.

    Traitlets merges this into its default config, so the hub's console handler
    keeps its level and gains our formatter and filters (tornado's loggers feed it).
    """
    if not log_format:
        from ainative.config import get_settings

        log_format = get_settings().log_format
    formatter = TextFormatter if log_format == "text" else JsonFormatter
    return {
        "filters": {
            "ainative_context": {"()": f"{__name__}.ContextFilter"},
            "ainative_redact": {"()": f"{__name__}.RedactionFilter"},
        },
        "formatters": {
            "ainative": {"()": f"{__name__}.{formatter.__name__}", "process_name": process_name}
        },
        "handlers": {
            "console": {"formatter": "ainative", "filters": ["ainative_context", "ainative_redact"]}
        },
    }
