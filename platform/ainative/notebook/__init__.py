"""The tutor inside notebooks: TutorClient, TutorWidget and the `%tutor` IPython extension.

    %load_ext ainative.notebook
    %tutor            # the widget (default mode socratic)
    %tutor hints      # start in another mode

Loading the extension also starts remembering the last executed cell and its error, which
the widget sends along when "include my current cell and its last error" is ticked.
Importing this package does not import ipywidgets; only %tutor does.
"""

from __future__ import annotations

from typing import Any

from ainative.notebook.capture import CellCapture

_capture: CellCapture | None = None


def tutor_widget(line: str = "", capture: CellCapture | None = None) -> Any:
    """A TutorWidget wired to the cell capture; `line` may name the starting mode."""
    from ainative.notebook.widget import MODES, TutorWidget

    mode = line.strip() or "socratic"
    known = [value for _, value in MODES]
    if mode not in known:
        raise ValueError(f"unknown tutor mode {mode!r}; choose one of {', '.join(known)}")
    capture = capture or _capture
    return TutorWidget(context_provider=capture.context if capture else None, mode=mode)


def load_ipython_extension(ip: Any) -> None:
    """%load_ext ainative.notebook: the %tutor magic and the last-cell capture."""
    global _capture
    if _capture is not None:
        _capture.unregister(ip)
    _capture = CellCapture()
    _capture.register(ip)

    def tutor(line: str = "") -> Any:
        """Show the AI tutor widget: %tutor [socratic|explanatory|hints|metacognitive]."""
        from IPython.core.error import UsageError

        try:
            return tutor_widget(line)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc

    ip.register_magic_function(tutor, "line", "tutor")
    try:
        from ainative.notebook import activity
    except ImportError:
        return
    activity.install(ip, **_shared_token_hooks())


def _shared_token_hooks() -> dict[str, Any]:
    """Let the activity recorder follow the kernel's token rotations instead of its own copy."""
    from ainative.notebook.models import TutorError
    from ainative.notebook.tokens import shared_tokens

    try:
        store = shared_tokens()
    except TutorError:
        return {}  # not started by the hub: the recorder stays off by itself
    return {
        "api_url": store.api_url,
        "token_provider": lambda: store.access_token,
        "refresher": lambda: store.refresh(),
    }


def unload_ipython_extension(ip: Any) -> None:
    global _capture
    if _capture is not None:
        _capture.unregister(ip)
        _capture = None
