"""The words that tell debugging, how-to and concept questions apart, in five languages.

Patterns are matched against text that `classify._normalise` lower-cased and stripped of
accents, so they are written without accents. Each table is per language (en, es, de,
fr, pt) so that a missing language shows as a gap in one place. The labelling guide these
patterns were written against is tests/data/README.md (`classifier_prompts.jsonl`).
"""

from __future__ import annotations

import re

SYMPTOMS: dict[str, tuple[str, ...]] = {
    # Something the student ran misbehaves: an error, a wrong result, a hang.
    "en": (
        r"\b(error|exception|traceback|warning|bug|crash(es|ed)?|fail(s|ed|ing)?|broken"
        r"|wrong|doesn'?t work|does not work|not working|won'?t run|unexpected|debug\w*"
        r"|skip(s|ped|ping)?|off[- ]by[- ]one|infinite|hangs?|stuck|dying|dies|\w+error)\b",
        r"\bnever\s+(stops|ends|finishes|runs|happens|changes|prints)\b",
        r"\b(returns?|gives?|prints?|shows?)\s+(me\s+)?(none|nan|nothing|true|false|0|an?\s+"
        r"empty|the\s+same|the\s+memory|twice|a\s+list\s+of\s+lists)\b",
        r"\balways\s+(0|none|false|true|empty|the\s+same|zero)\b",
        r"\b(prints?|returns?|gives?|shows?|get)\b[^.?!]*\binstead\s+of\b",
        r"\b(but\s+i\s+get|should\s+be\s+\S+\s+but|too\s+(big|small|many|few)"
        r"|twice\s+as\s+many|nothing\s+(happens|shows)|is\s+still\s+(unsorted|empty|there)"
        r"|is\s+(empty|read\s+as)|only\s+keeps|everywhere|results?\s+double"
        r"|closes\s+immediately|has\s+been\s+running|what\s+did\s+i\s+do\s+wrong"
        r"|what'?s\s+wrong|can'?t\s+see\s+why|find\s+the\s+bug|is\s+not\s+callable"
        r"|not\s+defined|no\s+module|gives?\s+nothing|but\s+not\s+here|changes\s+my"
        r"|is\s+shared\s+between|never\s+run|are\s+the\s+same\s+but|look\s+the\s+same)\b",
        r"\bwhy\s+(does|do|is|are|doesn'?t|isn'?t|won'?t)\s+(my|this|it|the\s+\w+\s+\w+\s+"
        r"(always|never|print)|the\s+(output|result|answer|loop|plot|test))\b",
        r"\bnow\s+it\s+(prints|says|gives|returns|shows)\b",
    ),
    "es": (
        r"\b(error|excepcion|falla|no\s+funciona|no\s+termina|nunca\s+termina|se\s+cuelga)\b",
        r"\bpor\s*que\s+(mi|el|la|este|esta)\b",
        r"\b(me\s+(sale|da)\s+(un\s+)?error)\b",
    ),
    "de": (
        r"\b(fehler|\w+error|ausnahme|funktioniert\s+nicht|hangt|bricht\s+ab|stürzt)\b",
        r"\bwarum\s+(gibt|liefert|druckt|ist|bekomme)\s+(meine?|mein|die|der|das|ich)\b",
    ),
    "fr": (
        r"\b(erreur|exception|ne\s+marche\s+pas|ne\s+fonctionne\s+pas|plante)\b",
        r"\bpourquoi\s+(ma|mon|mes|le|la|ce|cette)\s+\w+\s+(ne|n'|renvoie|affiche|donne)",
        r"\bne\s+s'arrete\s+(jamais|pas)\b",
    ),
    "pt": (
        r"\b(erro|excecao|nao\s+funciona|trava|falha)\b",
        r"\bpor\s*que\s+(a\s+|o\s+)?(minha|meu|esta|este)\b",
    ),
}

HOW_TO: dict[str, tuple[str, ...]] = {
    # The student wants a way to do something and will write it: a method, a plan, a hint.
    "en": (
        r"\bhow\s+(do|can|should|would|could)\s+(i|we|you)\b",
        r"\bhow\s+to\b|\bimplement\w*\b|\bapproach\b|\bhint\b|\btips?\s+on\b",
        r"\bwhere\s+(do|should|can)\s+i\s+start\b|\bnext\s+step\b|\bwhat\s+steps\b",
        r"\b(best|good|right)\s+way\s+to\b|\bwhich\s+(function|method|data\s+structure"
        r"|library|module)\b|\bis\s+it\s+better\s+to\b|\bshould\s+i\s+use\b",
        r"\bi\s+(want|need)\s+to\s+(draw|plot|read|write|find|sort|count|make|build|store)\b",
    ),
    "es": (
        r"\bcomo\s+(puedo|hago|se|recorro|leo|escribo|ordeno|empiezo|hacer|podria)\b",
        r"\bpor\s+donde\s+(empiezo|comienzo)\b",
    ),
    "de": (
        r"\bwie\s+(kann|konnte|lese|schreibe|fange|mache|sortiere|soll)\b",
        r"\bwomit\s+fange\b",
    ),
    "fr": (r"\bcomment\s+(faire|puis|lire|ecrire|parcourir|trier|commencer|on)\b",),
    "pt": (
        r"\bcomo\s+(faco|posso|fazer|leio|escrevo|ordeno|comeco|percorro|faz)\b",
        r"\bpor\s+onde\s+comeco\b",
    ),
}

CONCEPT: dict[str, tuple[str, ...]] = {
    # The student wants to understand an idea, not to fix or build something now.
    "en": (
        r"\b(what\s+(is|are|does|do|happens)|what'?s\s+(a|an|the\s+difference)|why\s+(are|is|do"
        r"|would|does)|explain|difference\s+between|meaning\s+of|mean|means|when\s+should"
        r"|understand|don'?t\s+get|concept\w*|purpose\s+of|point\s+of|is\s+\w+\s+the\s+same"
        r"\s+as|how\s+does\s+[\w\s]+\s+work|what\s+does\s+\S+\s+mean)\b",
    ),
    "es": (r"\b(que\s+es|que\s+son|diferencia\s+entre|explica\w*|significa|para\s+que\s+sirve)\b",),
    "de": (
        r"\b(was\s+(ist|sind|bedeutet|macht)|unterschied|erklar\w*|warum\s+sind|wozu|bedeutung)\b",
    ),
    "fr": (r"\b(qu'est-ce|c'est\s+quoi|difference\s+entre|explique\w*|signifie|a\s+quoi\s+sert)",),
    "pt": (r"\b(o\s+que\s+(e|sao|significa)|diferenca\s+entre|explica\w*|para\s+que\s+serve)\b",),
}

# Talk of programming: a concept or how-to question without it is not for this tutor.
PROGRAMMING = (
    r"\b(python|code|coding|codigo|program\w*|function\w*|funcion|funcao|fonction|funktion"
    r"|variable\w*|variavel|loop|schleife|bucle|boucle|list\w*|lista|liste|dict\w*|diccionario"
    r"|dicionario|array|string\w*|strings?|int|integer|float|class\w*|klasse|classe|object\w*"
    r"|method|recurs\w*|rekursion|algorithm\w*|pandas|numpy|dataframe\w*|plot|figure|histogram"
    r"|matplotlib|import|module|package|syntax|index|key|tuple|tupla|tupel|tuplas|set|return"
    r"|argument|parameter|args|kwargs|jupyter|notebook|cell|kernel|sql|query|data|file"
    r"|archivo|arquivo|fichier|datei|csv|exception|error|bug|compile|runtime|complexity|big\s+o"
    r"|test|def|lambda|iterat\w*|generator|yield|sort\w*|search\w*|type|value|print|output"
    r"|input|regex|api|git|terminal|library|install|script|debug\w*|memory|performance|math"
    r"|equation|mutable|immutable|unveranderlich|copy|range|scope|none|boolean|global|stack"
    r"|eval|inheritance|vectori[sz]ed|docstring|columns?|rows?|merge|groupby|append|extend|exercise"
    r"|ejercicio|aufgabe|exercicio|exercice|task|operator|self|queue|maze|menu|game|number\w*"
    r"|numero\w*|word|words|letter|average|mean|sum|max|min|decimals?|datetime|date|grade\w*"
    r"|inventory|customers|student\w*|constructor|dataframes?|palindrome|fizzbuzz|prime)\b"
)


def _join(table: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for patterns in table.values() for p in patterns))


SYMPTOM_RE = _join(SYMPTOMS)
HOW_TO_RE = _join(HOW_TO)
CONCEPT_RE = _join(CONCEPT)
PROGRAMMING_RE = re.compile(PROGRAMMING)
# "what is an exception" asks about the idea; "what is wrong with my loop" does not.
CONCEPT_OPENER_RE = re.compile(
    r"^\W*(what\s+(is|are)\s+(a|an|the)?\s*(?!wrong)\w+|what\s+does\s+\S+\s+mean|explain"
    r"|que\s+es|was\s+ist|qu'est-ce|o\s+que\s+e)\b"
)
PERSONAL_RE = re.compile(r"\b(my|mine|i\s+get|i\s+got|me\s+sale|meine?|ma|mon|minha|meu)\b")
