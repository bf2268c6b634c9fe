"""Notebook activity recording: every cell execution, sent in batches off the kernel's path.

`install(ipython)` (called by the ainative IPython extension) registers a post_run_cell
callback that only appends a small dict to a bounded in-memory queue; a daemon thread
sends batches to POST /api/v1/events/batch. A lost network never slows or breaks the
notebook: events stay queued (up to `max_queue`), then the oldest are dropped and
counted. Nothing is sent unless the API says the student gave research consent (the
API enforces that too); on a "no consent" answer the recorder clears and stops.

It sends through a Transport (transport.py) with the kernel's shared TokenStore, so a
401 refreshes the pair the same way the tutor client does (never a second holder of the
refresh token, which would trip reuse detection), and its flush thread backs off with the
same policy. The course, session and notebook each event belongs to come from the kernel's
KernelContext, which the widget keeps up to date.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

import httpx

from ainative.course.event_types import CELL_EXECUTED
from ainative.notebook.capture import is_tutor_cell
from ainative.notebook.kernel_context import KernelContext
from ainative.notebook.run_error import error_line, first_line
from ainative.notebook.tokens import TokenStore, shared_tokens
from ainative.notebook.transport import Backoff, Transport
from ainative.notebook.wire import TutorClientError
from ainative.runtime.aioloop import LoopThread

log = logging.getLogger(__name__)

MAX_CODE_BYTES = 12_000
MAX_MESSAGE_CHARS = 2_000
BATCH_PATH = "/api/v1/events/batch"
LIMITS_PATH = "/api/v1/events/limits"

Event = dict[str, Any]  # one event as api/schemas/events.py reads it: type, occurred_at, payload


def clip(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` of UTF-8, never inside a character."""
    text = text.replace("\x00", "\ufffd")  # the API refuses NUL (jsonb cannot store it)
    data = text.encode("utf-8", "replace")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore")


def cell_event(
    code: str,
    error: BaseException | None,
    execution_count: int | None,
    *,
    notebook_path: str | None = None,
    cell_id: str | None = None,
) -> Event:
    """The event one cell execution produces (the schema of api/schemas/events.py).

    The notebook's path and the cell's id say which exercise the student was working on;
    a failing cell also records the error's line in the cell (``error_line``, when known)
    and its message's first line (``error_first_line``): what Error Quotient and Watwin
    compare (``ainative.notebook.run_error``).
    """
    payload: dict[str, Any] = {
        "code": clip(code, MAX_CODE_BYTES),
        "success": error is None,
        "execution_count": execution_count,
    }
    if is_tutor_cell(code):  # the tutor's own cell: recorded, left out of every measure
        payload["tutor_cell"] = True
    if error is not None:
        payload["error_type"] = type(error).__name__[:200]
        payload["error_message"] = clip(str(error), MAX_MESSAGE_CHARS * 4)[:MAX_MESSAGE_CHARS]
        payload["error_first_line"] = first_line(error)
        line = error_line(error)
        if line is not None:
            payload["error_line"] = line
    event: Event = {
        "type": CELL_EXECUTED,
        "occurred_at": datetime.now(UTC).isoformat(),
        "payload": payload,
    }
    if notebook_path:
        event["notebook_path"] = notebook_path[:500]
    if cell_id:
        event["cell_id"] = cell_id[:64]
    return event


class ActivityRecorder:
    """A bounded queue of events and the daemon thread that ships it."""

    def __init__(
        self,
        tokens: TokenStore,
        context: KernelContext | None = None,
        *,
        max_queue: int = 5_000,
        batch_size: int = 200,
        flush_interval: float = 2.0,
        max_backoff: float = 60.0,
        timeout: float = 5.0,
    ) -> None:
        self.context = context or KernelContext()  # the widget sets course and session there
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.backoff = Backoff(base=flush_interval, retries=None, cap=max_backoff)
        # One try per request (a refresh aside): the flush thread retries, with `backoff`.
        self.transport = Transport(tokens, Backoff(retries=0), timeout)
        self.consent: bool | None = None  # unknown until the API says
        self.sent = 0
        self.dropped = 0  # queue overflow or rejected by the API
        self.failures = 0  # consecutive failed sends
        self._queue: deque[Event] = deque()
        self._max_queue = max_queue
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._loop = LoopThread("ainative-activity-http")
        self._thread = threading.Thread(target=self._run, name="ainative-activity", daemon=True)

    # --- kernel side: must stay cheap ---------------------------------------------------
    def record(self, event: Event) -> None:
        """Queue one event, stamped with the current session; when full, the oldest is dropped."""
        if self.consent is False:
            return
        session_id = self.context.session_id
        if session_id and "session_id" not in event:
            event = {**event, "session_id": session_id}
        with self._lock:
            if len(self._queue) >= self._max_queue:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(event)
            if len(self._queue) >= self.batch_size:
                self._wake.set()

    def post_run_cell(self, result: Any) -> None:
        """IPython post_run_cell callback: record the cell and how it ended."""
        try:
            info = getattr(result, "info", None)
            code = getattr(info, "raw_cell", "") or ""
            if not code.strip():
                return
            error = result.error_before_exec or result.error_in_exec
            event = cell_event(
                code,
                error,
                result.execution_count,
                notebook_path=self.context.notebook_path,
                cell_id=self.context.cell_id(),
            )
            self.record(event)
        except Exception:  # recording must never break a student's cell
            log.debug("activity: could not record a cell", exc_info=True)

    @property
    def pending(self) -> int:
        return len(self._queue)

    # --- background side ----------------------------------------------------------------
    def start(self) -> ActivityRecorder:
        self._thread.start()
        return self

    def _run(self) -> None:
        delay = self.flush_interval
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                break
            ok = self.flush_once()
            self.failures = 0 if ok else self.failures + 1
            retry = None if ok else self.backoff.delay(self.failures)
            delay = self.flush_interval if retry is None else retry

    def _post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """One call through the transport, from whichever thread flushes."""
        method = "POST" if body is not None else "GET"
        return self._loop.run(self.transport.send(method, path, json=body))

    def _check_consent(self) -> bool:
        response = self._post(LIMITS_PATH)
        if response.status_code != 200:
            return False
        self.consent = bool(response.json().get("consent"))
        if not self.consent:
            self._disable()
        return True

    def _disable(self) -> None:
        with self._lock:
            self._queue.clear()
        self.consent = False

    def flush_once(self) -> bool:
        """Send what is queued, batch by batch; False when the API could not be reached."""
        try:
            if self.context.course_pending:
                return True  # nothing is lost: the queue waits for the course
            if self.consent is None and not self._check_consent():
                return False
            while self.consent and self._queue:
                with self._lock:
                    batch = [self._queue[i] for i in range(min(self.batch_size, len(self._queue)))]
                body: dict[str, Any] = {"events": batch}
                if self.context.session_id:
                    body["session_id"] = self.context.session_id
                if self.context.course_id is not None:
                    body["course_id"] = self.context.course_id
                response = self._post(BATCH_PATH, body)
                if response.status_code == 422:  # a poisoned batch is dropped, not retried
                    log.warning("activity: batch rejected: %s", response.text[:200])
                    self._remove(batch)
                    self.dropped += len(batch)
                    continue
                if response.status_code != 200:
                    return False
                self._remove(batch)
                if not response.json().get("consent", True):
                    self._disable()
                    return True
                self.sent += len(batch)
            return True
        except (httpx.HTTPError, TutorClientError, ValueError):
            log.debug("activity: send failed; events stay queued", exc_info=True)
            return False
        except Exception:  # nothing may kill the thread
            log.debug("activity: unexpected error; events stay queued", exc_info=True)
            return False

    def _remove(self, batch: list[Event]) -> None:
        """Drop a delivered batch from the head (by identity: overflow may have taken some)."""
        with self._lock:
            for item in batch:
                if self._queue and self._queue[0] is item:
                    self._queue.popleft()

    def close(self, final_flush: bool = True) -> None:
        """Stop the thread; one last short attempt to send what is queued."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        if final_flush and self._queue:
            self.flush_once()
        if self._loop.running:
            try:
                self._loop.run(self.transport.aclose())
            finally:
                self._loop.stop()


_recorder: ActivityRecorder | None = None


def current() -> ActivityRecorder | None:
    """The recorder installed in this kernel, if any."""
    return _recorder


def install(
    ipython: Any,
    *,
    tokens: TokenStore | None = None,
    context: KernelContext | None = None,
    **options: Any,
) -> None:
    """Start recording cell executions of `ipython` (idempotent; silent if unconfigured).

    `tokens`: the kernel's shared store by default; `context`: the one the widget shares
    (the extension passes it), else one started from the hub's environment.
    """
    global _recorder
    if _recorder is not None:
        return
    if tokens is None:
        try:
            tokens = shared_tokens()
        except TutorClientError:
            log.info("activity recording off: AINATIVE_API_URL / AINATIVE_ACCESS_TOKEN not set")
            return
    context = context or KernelContext.start(ipython)
    recorder = ActivityRecorder(tokens, context, **options)
    ipython.events.register("post_run_cell", recorder.post_run_cell)
    _recorder = recorder.start()
    atexit.register(recorder.close)


def uninstall(ipython: Any) -> None:
    """Stop recording (unregister the callback, stop the thread after a last flush)."""
    global _recorder
    if _recorder is None:
        return
    try:
        ipython.events.unregister("post_run_cell", _recorder.post_run_cell)
    except ValueError:
        pass
    _recorder.close()
    _recorder = None
