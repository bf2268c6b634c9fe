"""A deterministic, rule-based classifier of help requests.

Categories (db.models.CLASSIFICATIONS): debugging, conceptual, implementation,
solution-request, off-topic. Rules are checked in that priority: a request for the
finished answer is a solution request even when it mentions an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SOLUTION = re.compile(
    r"\b(write|give|send|show|provide|paste)\s+(me\s+)?(the\s+|a\s+|your\s+)?"
    r"(full|complete|whole|entire|final|working)\s+(code|solution|answer|program|implementation)"
    r"|\b(solve|do|finish|complete)\s+(this|it|the\s+\w+|my\s+\w+)\s+for\s+me"
    r"|\bjust\s+(give|tell|show)\s+me\s+the\s+(code|answer|solution)"
    r"|\bdo\s+my\s+(homework|assignment|exercise|lab)"
    r"|\b(write|code)\s+(the|this|my)\s+(function|program|exercise|assignment)\s+for\s+me"
    r"|\bcan\s+you\s+(write|code)\s+(it|this|the\s+whole\s+thing)",
    re.IGNORECASE,
)
_DEBUG = re.compile(
    r"\b(error|exception|traceback|bug|crash(es|ed)?|fail(s|ed|ing)?|broken|wrong (output|result)"
    r"|doesn'?t work|does not work|not working|won'?t run|unexpected|debug\w*|"
    r"skip(s|ped|ping)?|off[- ]by[- ]one|infinite|never (stops|ends|finishes)|hangs?|stuck|"
    r"\w+Error)\b",
    re.IGNORECASE,
)
_IMPLEMENT = re.compile(
    r"\bhow\s+(do|can|should|would)\s+(i|we|you)\s+(implement|write|make|create|build|code|add|"
    r"use|loop|sort|read|parse|convert|store|return|iterate|call|define|compute|plot)"
    r"|\bhow\s+to\b|\bimplement\w*\b|\bapproach\b|\bwhere\s+(do|should)\s+i\s+start",
    re.IGNORECASE,
)
_CONCEPT = re.compile(
    r"\b(what\s+(is|are|does)|why|explain|difference\s+between|meaning\s+of|what'?s|"
    r"when\s+should|understand|concept|purpose\s+of)\b",
    re.IGNORECASE,
)
_PROGRAMMING = re.compile(
    r"\b(python|code|coding|program\w*|function|variable|loop|list|dict\w*|array|string|int"
    r"|integer|float|class|object|method|recursion|algorithm|pandas|numpy|dataframe|plot|"
    r"matplotlib|import|module|syntax|index|key|tuple|set|return|argument|parameter|jupyter|"
    r"notebook|cell|kernel|sql|query|data|file|exception|error|bug|compile|runtime|complexity"
    r"|test|def|lambda|iterat\w*|sort\w*|search\w*|type|value|print|output|input|regex|api|"
    r"git|terminal|library|package|install|script|debug\w*|memory|performance|math|equation)\b",
    re.IGNORECASE,
)


def classify(question: str, context: Mapping[str, Any] | None = None) -> str:
    """The category of a help request, from its text and whether it came with code/error."""
    context = context or {}
    text = question or ""
    if _SOLUTION.search(text):
        return "solution-request"
    if context.get("error") or _DEBUG.search(text):
        return "debugging"
    if _IMPLEMENT.search(text):
        return "implementation"
    if _CONCEPT.search(text) and (_PROGRAMMING.search(text) or context.get("code")):
        return "conceptual"
    if context.get("code") or _PROGRAMMING.search(text):
        return "conceptual" if _CONCEPT.search(text) else "implementation"
    return "off-topic"
