"""Normalised tokens and winnowing fingerprints (Schleimer, Wilkerson and Aiken 2003, MOSS).

Identifiers become `V`, numbers `N`, strings `S` (keywords, operators and the names of
builtins stay), comments and layout-only tokens are dropped, so renaming variables or
changing literals leaves the token stream as it was. The stream's k-grams are hashed and
each window of w consecutive hashes keeps its smallest (rightmost on ties): every
common run of at least w + k - 1 tokens shares a fingerprint, whatever moved around it.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import keyword
import re
import tokenize

K = 5  # tokens per k-gram
W = 4  # k-grams per winnowing window: a match of W + K - 1 = 8 tokens is always seen

_KEEP_NAMES = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self"}
_FALLBACK = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d+)?|\"[^\"]*\"|'[^']*'|==|!=|<=|>=|\*\*|//|\S")
_SKIP = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
    tokenize.INDENT,
    tokenize.DEDENT,
}


def _normal(kind: int, value: str) -> str:
    if kind == tokenize.NAME:
        return value if value in _KEEP_NAMES else "V"
    if kind == tokenize.NUMBER:
        return "N"
    if kind == tokenize.STRING or kind in _fstring_kinds():
        return "S"
    return value


def _fstring_kinds() -> frozenset[int]:
    return frozenset(getattr(tokenize, n) for n in ("FSTRING_START",) if hasattr(tokenize, n))


def normalise(code: str) -> list[str]:
    """The code's tokens with identifiers and literals abstracted; a regex split when
    the code does not tokenise (an unclosed bracket, pseudo-code)."""
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type not in _SKIP:
                out.append(_normal(tok.type, tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = []
        for piece in _FALLBACK.findall(code):
            if piece[0].isalpha() or piece[0] == "_":
                out.append(piece if piece in _KEEP_NAMES else "V")
            elif piece[0].isdigit():
                out.append("N")
            elif piece[0] in "\"'":
                out.append("S")
            else:
                out.append(piece)
    return out


def _hash(gram: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(gram).encode(), digest_size=8).digest())


def fingerprints(tokens: list[str], k: int = K, w: int = W) -> set[int]:
    """The winnowed fingerprints of a token stream (all k-gram hashes when it is short)."""
    grams = [_hash(tuple(tokens[i : i + k])) for i in range(len(tokens) - k + 1)]
    if len(grams) <= w:
        return set(grams)
    kept: set[int] = set()
    for i in range(len(grams) - w + 1):
        window = grams[i : i + w]
        low = min(window)
        kept.add(low)
    return kept


def containment(reference: set[int], answer: set[int]) -> float:
    """The share of the reference's fingerprints the answer holds (0 when it has none)."""
    if not reference:
        return 0.0
    return len(reference & answer) / len(reference)
