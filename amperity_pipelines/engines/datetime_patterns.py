"""Joda-Time (Trino) and java.time (Spark) date patterns -> DuckDB strftime/strptime formats.

Both pattern languages repeat a letter to choose a field and its width (`yyyy-MM-dd`) and quote
literal text in single quotes (`'T'`, `''` is one quote). DuckDB uses `%` codes. Only the letters
whose output both sides render identically are translated; anything else raises `ValueError`
rather than formatting dates silently differently.
"""

from __future__ import annotations

from typing import Literal

PatternFlavor = Literal["joda", "java"]

# (letter, run length) -> DuckDB code; a length missing from a letter's table is unsupported.
_COMMON: dict[str, dict[int, str]] = {
    "y": {1: "%Y", 2: "%y", 3: "%Y", 4: "%Y"},
    "M": {1: "%-m", 2: "%m", 3: "%b", 4: "%B"},
    "d": {1: "%-d", 2: "%d"},
    "D": {1: "%-j", 3: "%j"},
    "H": {1: "%-H", 2: "%H"},
    "h": {1: "%-I", 2: "%I"},
    "m": {1: "%-M", 2: "%M"},
    "s": {1: "%-S", 2: "%S"},
    "S": {3: "%g", 6: "%f", 9: "%n"},  # fraction of second: milli-, micro-, nanoseconds
    "a": {1: "%p"},
    "E": {1: "%a", 2: "%a", 3: "%a", 4: "%A"},
}
_TEXT_FIELDS = frozenset("MLE")
_FLAVOR_LETTERS: dict[PatternFlavor, dict[str, dict[int, str]]] = {
    # Joda: Y is year-of-era (same digits as y), x the ISO week-year, w its week, e ISO weekday.
    "joda": {
        **_COMMON,
        "Y": _COMMON["y"],
        "x": {4: "%G"},
        "w": {1: "%-V", 2: "%V"},
        "e": {1: "%u"},
    },
    # java.time (Spark 3): L is the stand-alone month; Y/w/e are locale-dependent there, so refused.
    "java": {**_COMMON, "L": _COMMON["M"]},
}


def joda_to_strftime(pattern: str) -> str:
    """A Joda-Time pattern (Trino `format_datetime`/`parse_datetime`, feed formats) as a DuckDB format."""
    return _convert(pattern, "joda")


def java_to_strftime(pattern: str) -> str:
    """A Spark 3 (java.time) datetime pattern as a DuckDB format."""
    return _convert(pattern, "java")


def _convert(pattern: str, flavor: PatternFlavor) -> str:
    letters = _FLAVOR_LETTERS[flavor]
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            literal, i = _quoted(pattern, i)
            out.append(literal.replace("%", "%%"))
            continue
        if char.isascii() and char.isalpha():
            run = len(pattern[i:]) - len(pattern[i:].lstrip(char))
            # Text fields: four letters or more all mean the full name (MMMM, EEEEE).
            code = letters.get(char, {}).get(min(run, 4) if char in _TEXT_FIELDS else run)
            if code is None:
                raise ValueError(
                    f"{flavor} date pattern {pattern!r}: {char * run!r} is not supported; "
                    f"supported fields: {_describe(letters)}"
                )
            out.append(code)
            i += run
            continue
        if char in "[]" and flavor == "java":
            raise ValueError(f"java date pattern {pattern!r}: optional sections [...] are not supported")
        out.append("%%" if char == "%" else char)
        i += 1
    return "".join(out)


def _quoted(pattern: str, start: int) -> tuple[str, int]:
    """The literal text of a quote starting at `start` and the index after it."""
    if pattern.startswith("''", start):
        return "'", start + 2
    text: list[str] = []
    i = start + 1
    while i < len(pattern):
        if pattern[i] == "'":
            if pattern.startswith("''", i):
                text.append("'")
                i += 2
                continue
            return "".join(text), i + 1
        text.append(pattern[i])
        i += 1
    raise ValueError(f"date pattern {pattern!r}: quote opened at position {start + 1} is never closed")


def _describe(letters: dict[str, dict[int, str]]) -> str:
    return " ".join(letter * max(widths) for letter, widths in letters.items())
