"""A deterministic, rule-based classifier of help requests.

Categories (db.models.CLASSIFICATIONS): debugging, conceptual, implementation,
solution-request, off-topic. Rules are checked in that priority: a request for the
finished answer is a solution request even when it mentions an error.

A solution request is looked for in the question and in the comments and docstrings
of the submitted code (a request hidden in a comment is still a request), in every
language of SOLUTION_REQUESTS. The other categories read the question only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from ainative.tutor import help_words as words

_W = r"(?:\W+\w+){0,3}\W+"  # up to three words in between: "give me the whole damn code"

SOLUTION_REQUESTS: dict[str, dict[str, tuple[str, ...]]] = {
    # Per language: `requests` ask for the finished thing, wherever they are written;
    # `tasks` are an exercise pasted as the question ("Write a function that ..."), which
    # is a request in the question but not in a code comment (templates state the task
    # there); a negation or a how-question just before or inside a match ("don't give me
    # the solution", "how do I write the complete program") is `not_a_request`.
    # Text is matched lower-cased and without accents, so patterns are written without them.
    "en": {
        "requests": (
            rf"\b(write|give|send|show|provide|paste|post|reply|respond|rewrite|redo|fix|produce"
            rf"|generate|share|output){_W}(full|complete|whole|entire|final|finished|working"
            rf"|corrected|fixed|correct)\s+(code|solution|answer|program|implementation"
            rf"|version|script|function)",
            r"\b(solve|do|finish|complete|write|code|fix|implement|make)\s+(this|it|the|my|everything)"
            r"(\s+\w+){0,3}\s+for\s+me",
            r"\b(the|a)\s+(full|complete|whole|entire|final|finished|working|corrected|fixed)\s+"
            r"(version|code|solution|program)\W+(please|pls|plz)\b",
            r"\b(send|give|paste)\s+(me\s+)?(the|your)\s+(code|solution|answer)\b",
            r"\bjust\s+(paste|write|send|code)\s+it\b",
            r"\b(need|want)\s+(the|a|your)\s+(full|complete|whole|entire|final|finished|working"
            r"|corrected|fixed)\s+(code|solution|answer|program|implementation|version)",
            r"\bjust\s+(give|tell|show|send|write)\s+me\s+(the\s+)?(code|answer|solution)",
            r"\bdo\s+my\s+(homework|assignment|exercise|lab|project)",
            r"\b(write|code)\s+(the|this|my)\s+(function|program|exercise|assignment)\s+for\s+me",
            r"\bcan\s+you\s+(just\s+)?(write|code|solve)\s+(it|this|the\s+whole\s+thing)",
            r"\b(what\s+is|what'?s)\s+the\s+(answer|solution)\s+(to|for|of)\b",
            r"^\W*(the\s+)?(full|complete|whole|final|fixed|corrected|working)\s+(code|solution"
            r"|program|version)\W*(please|pls|plz)?\W*$",
        ),
        "tasks": (
            r"^\W*(please\s+)?(write|create|make|code|implement)\s+(me\s+)?(a|an)\s+(\w+\s+)?"
            r"(program|function|script|class|method)\s+(that|which|to|for)\b",
            r"^\W*solve\b",
            r"\b(finish|complete)\s+(my|this|the)\s+(function|code|program|exercise|assignment"
            r"|homework)\b",
        ),
        "not_a_request": (
            r"\b(don'?t|do\s+not|not|no|without|never|instead\s+of|how|can'?t|cannot)\b",
        ),
    },
    "es": {
        "requests": (
            rf"\b(dame|escribeme|escribe|hazme|pasame|muestrame|enviame|mandame|necesito"
            rf"|quiero){_W}(codigo|solucion|programa|respuesta|funcion)\s+(completo|completa"
            rf"|entero|entera|final|correcto|correcta|corregido|corregida|terminado)",
            rf"\b(dame|pasame|muestrame|enviame|mandame){_W}(la\s+solucion|el\s+codigo)\b",
            r"\bresuelve(lo|me)?\s+(esto|el\s+\w+|la\s+\w+|mi\s+\w+|todo)?",
            r"\bhaz(me)?\s+(la|mi)\s+(tarea|practica|ejercicio)",
            r"\b(hazlo|resuelvelo|escribelo)\s+(tu|por\s+mi)",
            r"\b(puedes|podrias|puede|podria)\s+(resolver|hacer|escribir)(me)?\s+(este|esta|el|la"
            r"|mi)\s+(ejercicio|tarea|problema|programa|practica)",
        ),
        "tasks": (
            r"^\W*(escribe|escriba|crea|haz|programa)\s+(un|una)\s+(programa|funcion|script)"
            r"\s+(que|para)\b",
            r"^\W*resuelve\b",
        ),
        "not_a_request": (r"\b(no|sin|nunca|como)\b",),
    },
    "de": {
        "requests": (
            rf"\b(gib|schreib|schreibe|zeig|zeige|schick|schicke|sende){_W}(komplett\w*|ganz\w*"
            rf"|vollstandig\w*|fertig\w*|korrigiert\w*|richtig\w*|funktionierend\w*)\s+"
            rf"(code|losung|programm|antwort|funktion|version)",
            rf"\b(gib|schick|zeig)\w*\s+mir{_W}(die\s+)?(losung|code)\b",
            r"\b(lose|loes|mach|schreib|erledige)\w*\s+(das|es|die\s+\w+|meine\s+\w+)\s+fur\s+mich",
            r"\bmach\w*\s+meine\s+(hausaufgabe|aufgabe|ubung)",
            r"\b(das|es|die\s+\w+|meine\s+\w+)\s+fur\s+mich\s+(losen|machen|schreiben|erledigen)",
            r"\b(komplett|ganz|vollstandig|fertig|korrigiert|richtig)\w*\s+(code|losung|programm"
            r"|funktion|version)\s+(schicken|geben|schreiben|zeigen|senden)",
        ),
        "tasks": (
            r"^\W*(schreibe?|erstelle|programmiere)\s+(mir\s+)?(ein|eine|einen)\s+(programm"
            r"|funktion|skript)\b",
        ),
        "not_a_request": (r"\b(nicht|kein\w*|ohne|nie|wie)\b",),
    },
    "fr": {
        "requests": (
            rf"\b(donn|ecri|envo|montr|fourni|redig)\w*"
            rf"{_W}(code|solution|programme|reponse|fonction)\s+(complet|complete|entier"
            rf"|entiere|final|finale|corrige|corrigee|qui\s+marche|qui\s+fonctionne)",
            r"\b(donne|envoie|montre)\w*[\s-]+moi\s+(la\s+solution|le\s+code|la\s+reponse)\b",
            r"\b(resous|resolvez|fais|faites|ecris|ecrivez)\w*\s+(le|la|l'|mon|ma|cet\w*|ce"
            r"|tout)\s*\w*\s+(a\s+ma\s+place|pour\s+moi)",
            r"\bfai(s|tes)\s+mes\s+devoirs",
            r"\b(fai\w*|resou\w*|ecri\w*|code\w*)(?:\W+\w+){0,4}\W+a\s+ma\s+place\b",
        ),
        "tasks": (
            r"^\W*(ecris|ecrivez|cree|creez|code|codez)[\s-]+(moi\s+)?(un|une)\s+(programme"
            r"|fonction|script)\s+qui\b",
        ),
        "not_a_request": (r"\b(ne|pas|sans|jamais|comment)\b", r"\bn'"),
    },
    "pt": {
        "requests": (
            rf"\b(me\s+d[ae]|d[ae]-me|escreve|escreva|mostra|mostre|manda|mande|envia|envie"
            rf"|preciso\s+d[ao]|quero\s+[ao]){_W}(codigo|solucao|programa|resposta|funcao)\s+(completo|completa"
            rf"|inteiro|inteira|final|pronto|pronta|correto|correta|corrigido|corrigida)",
            rf"\b(me\s+(de|da|passa|mande|manda|mostra|mostre)){_W}(a\s+solucao|o\s+codigo)\b",
            r"\b(resolve|resolva|faz|faca|escreve|escreva)\s+(isso|isto|o\s+\w+|a\s+\w+|ess[ea]\s+\w+"
            r"|meu\s+\w+|minha\s+\w+)\s+(pra|para|por)\s+mim",
            r"\bfa(z|ca)\s+(a\s+|o\s+)?(minha|meu)\s+(tarefa|licao|atividade|trabalho|dever)",
        ),
        "tasks": (
            r"^\W*(escreva|escreve|crie|cria|faca|faz)\s+(um|uma)\s+(programa|funcao|script)"
            r"\s+(que|para)\b",
        ),
        "not_a_request": (r"\b(nao|sem|nunca|como)\b",),
    },
}

_REQUEST = re.compile(
    "|".join(f"(?:{p})" for lang in SOLUTION_REQUESTS.values() for p in lang["requests"]),
    re.MULTILINE,
)
_TASK = re.compile(
    "|".join(f"(?:{p})" for lang in SOLUTION_REQUESTS.values() for p in lang["tasks"]),
    re.MULTILINE,
)
_NOT_A_REQUEST = re.compile(
    "|".join(f"(?:{p})" for lang in SOLUTION_REQUESTS.values() for p in lang["not_a_request"])
)
_NOT_A_REQUEST_REACH = 3  # words before a request that a negation still applies to
_COMMENT = re.compile(r"#(.*)$", re.MULTILINE)
_DOCSTRING = re.compile(r"(\"\"\"|''')(.*?)\1", re.DOTALL)


def _normalise(text: str) -> str:
    """Lower-cased, accents removed, typographic apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def code_comments(code: str) -> str:
    """The comments and docstrings of submitted code, one per line: where a student (or
    the exercise's template) writes prose inside code."""
    parts = [m.group(1) for m in _COMMENT.finditer(code)]
    parts += [m.group(2) for m in _DOCSTRING.finditer(code)]
    return "\n".join(p.strip() for p in parts)


def asks_for_solution(text: str, *, question: bool = True) -> bool:
    """Whether the text asks for the finished solution, in any language of the table.

    A pasted task ("Write a function that ...") is a request when it is the question, but
    not in a comment of the submitted code, where exercise templates state the task.
    """
    text = _normalise(text)
    matches = list(_REQUEST.finditer(text))
    if question:
        matches += _TASK.finditer(text)
    for match in matches:
        before = text[: match.start()].split("\n")[-1].split()[-_NOT_A_REQUEST_REACH:]
        if not _NOT_A_REQUEST.search(" ".join(before) + " " + match.group(0)):
            return True
    return False


def classify(question: str, context: Mapping[str, Any] | None = None) -> str:
    """The category of a help request, from its text and whether it came with code/error.

    Priority: a request for the finished answer wins; then a question about an idea that
    names no symptom of the student's own ("what is an exception?"); then a symptom or an
    error sent along (debugging); then a how-to; then a concept question; a question that
    talks of programming but fits none is a how-to; anything else is off-topic.
    """
    context = context or {}
    code = str(context.get("code") or "")
    if asks_for_solution(question or "") or (
        code and asks_for_solution(code_comments(code), question=False)
    ):
        return "solution-request"
    text = _normalise(question or "")
    about_programming = bool(code) or bool(words.PROGRAMMING_RE.search(text))
    symptom = bool(context.get("error")) or bool(words.SYMPTOM_RE.search(text))
    if (
        words.CONCEPT_OPENER_RE.search(text)
        and not context.get("error")
        and not words.PERSONAL_RE.search(text)
        and about_programming
    ):
        return "conceptual"
    if symptom:
        return "debugging"
    if words.HOW_TO_RE.search(text) and about_programming:
        return "implementation"
    if words.CONCEPT_RE.search(text) and about_programming:
        return "conceptual"
    return "implementation" if about_programming else "off-topic"
