"""The tutor inside notebooks: TutorClient, TutorWidget and the `%tutor` IPython extension.

    %load_ext ainative.notebook
    %tutor            # the widget, in the default mode
    %tutor hints      # start in another mode

    from ainative.notebook import TutorClient, TutorWidget

Loading the extension also starts remembering the last executed cell, its error and its
id, which the widget sends along unless the student unticks them in "what the tutor will
see"; and, with the student's consent, recording cell runs for research (activity.py).
Importing this package is cheap: the client, the widget (and ipywidgets) load on first use
of their names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ainative.notebook.capture import CellCapture

if TYPE_CHECKING:
    from ainative.notebook.client import AsyncTutorClient, TutorClient
    from ainative.notebook.kernel_context import KernelContext
    from ainative.notebook.widget import TutorWidget
    from ainative.notebook.wire import (
        Interaction,
        Quota,
        QuotaExceededError,
        SessionExpiredError,
        TutorClientError,
        TutorUnavailableError,
    )

# public name -> the module that defines it, imported when the name is first used
_LAZY = {
    "AsyncTutorClient": "ainative.notebook.client",
    "TutorClient": "ainative.notebook.client",
    "TutorWidget": "ainative.notebook.widget",
    "Interaction": "ainative.notebook.wire",
    "Quota": "ainative.notebook.wire",
    "QuotaExceededError": "ainative.notebook.wire",
    "SessionExpiredError": "ainative.notebook.wire",
    "TutorClientError": "ainative.notebook.wire",
    "TutorUnavailableError": "ainative.notebook.wire",
}

__all__ = [
    "AsyncTutorClient",
    "Interaction",
    "Quota",
    "QuotaExceededError",
    "SessionExpiredError",
    "TutorClient",
    "TutorClientError",
    "TutorUnavailableError",
    "TutorWidget",
    "load_ipython_extension",
    "tutor_widget",
    "unload_ipython_extension",
]

_capture: CellCapture | None = None
_context: KernelContext | None = None  # the kernel's, shared by widgets and the recorder


def __getattr__(name: str) -> Any:
    """The lazy names of `_LAZY`; anything else is missing (so submodules import as usual)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def tutor_widget(line: str = "", capture: CellCapture | None = None) -> TutorWidget:
    """A TutorWidget wired to the cell capture; `line` may name the starting mode."""
    from ainative.notebook.widget import TutorWidget
    from ainative.tutor.modes import DEFAULT_MODE, all_modes

    mode = line.strip() or DEFAULT_MODE
    known = [m.name for m in all_modes()]
    if mode not in known:
        raise ValueError(f"unknown tutor mode {mode!r}; choose one of {', '.join(known)}")
    capture = capture or _capture
    return TutorWidget(
        outgoing=capture.outgoing if capture else None,
        mode=mode,
        ip=capture.ip if capture else None,
        context=_context,
    )


def load_ipython_extension(ip: Any) -> None:
    """%load_ext ainative.notebook: the %tutor magic, the last-cell capture, the recorder."""
    from ainative.notebook.kernel_context import KernelContext
    from ainative.tutor.modes import all_modes

    global _capture, _context
    if _capture is not None:
        _capture.unregister(ip)
    from ainative.config import Settings

    _capture = CellCapture(budget=Settings().explanation_budget_ms / 1000)
    _capture.register(ip)
    _context = KernelContext.start(ip)

    def tutor(line: str = "") -> TutorWidget:
        from IPython.core.error import UsageError

        try:
            return tutor_widget(line)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc

    names = "|".join(m.name for m in all_modes())
    tutor.__doc__ = f"Show the AI tutor widget: %tutor [{names}]."
    ip.register_magic_function(tutor, "line", "tutor")
    try:
        from ainative.notebook import activity
    except ImportError:
        return
    recorder = activity.current()  # it outlives a %reload_ext, which resets this module
    if recorder is not None and recorder.context.ip is ip:
        _context = recorder.context
    activity.install(ip, context=_context)  # with the kernel's shared TokenStore


def unload_ipython_extension(ip: Any) -> None:
    global _capture
    if _capture is not None:
        _capture.unregister(ip)
        _capture = None
