"""Text treatment for research exports: keep, scrub or drop students' free text and code.

Prompts, answers and code can name people: a student pastes their e-mail, signs with
their username, or a traceback shows ``/home/<username>/``. ``scrub`` replaces what the
platform can recognise: e-mail addresses, the usernames and e-mail addresses of the
course's members (the platform stores no other names), and the user part of home
directories (``/home/x/``, ``/Users/x/``, ``C:\\Users\\x\\``). It cannot find a name the
platform does not know (a classmate's first name typed in a question), so ``drop`` is
there for releases that must not carry free text at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TEXT_MODES = ("keep", "scrub", "drop")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
HOME_RES = (
    (re.compile(r"(/home/)[^/\s'\"]+"), r"\1<user>"),
    (re.compile(r"(/Users/)[^/\s'\"]+"), r"\1<user>"),
    (re.compile(r"([A-Za-z]:[\\/]+Users[\\/]+)[^\\/\s'\"]+", re.IGNORECASE), r"\1<user>"),
)
MIN_NAME_CHARS = 3  # shorter "names" (a username "al") would blank ordinary words


@dataclass(frozen=True)
class Scrubber:
    """Replaces e-mail addresses, known people's identifiers and home-directory users."""

    names: tuple[str, ...] = ()
    _names_re: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def for_people(cls, usernames: Iterable[str], emails: Iterable[str]) -> Scrubber:
        """A scrubber for these users: their usernames and e-mails' local parts."""
        names = {u for u in usernames if u and len(u) >= MIN_NAME_CHARS}
        names |= {e.split("@", 1)[0] for e in emails if e and len(e.split("@", 1)[0]) >= 3}
        ordered = tuple(sorted(names, key=lambda n: (-len(n), n)))  # longest first
        pattern = None
        if ordered:
            alternatives = "|".join(re.escape(n) for n in ordered)
            pattern = re.compile(rf"(?<![\w.-])(?:{alternatives})(?![\w-])", re.IGNORECASE)
        return cls(ordered, pattern)

    def __call__(self, text: Any) -> Any:
        """`text` with e-mails, known names and home-directory users replaced."""
        if not isinstance(text, str) or not text:
            return text  # None, NaN: nothing to scrub
        text = EMAIL_RE.sub("<email>", text)
        for pattern, replacement in HOME_RES:
            text = pattern.sub(replacement, text)
        if self._names_re is not None:
            text = self._names_re.sub("<name>", text)
        return text


def treat(texts: Iterable[Any], mode: str, scrubber: Scrubber) -> list[Any]:
    """`texts` kept as they are, scrubbed, or dropped (None) according to `mode`."""
    if mode not in TEXT_MODES:
        raise ValueError(f"text mode must be one of {', '.join(TEXT_MODES)}, not {mode!r}")
    if mode == "keep":
        return list(texts)
    if mode == "drop":
        return [None for _ in texts]
    return [scrubber(t) for t in texts]
