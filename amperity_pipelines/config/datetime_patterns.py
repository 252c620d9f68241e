"""Joda-Time and java.time date patterns: one tokenizer, and their DuckDB equivalents.

Amperity writes dates as Joda-Time patterns in three places: file patterns
(`'files/'yyyy'/'MM'/'dd'/customers-*.csv'`), the formats of Date/Datetime feed fields
(`yyyy-MM-dd'T'HH:mm:ss.SSSZ`) and Presto's `format_datetime`/`parse_datetime`; Spark SQL uses
java.time patterns. All share one syntax: a run of one letter is one field (`yyyy`, `MM`); text
in single quotes is literal; `''` is a literal single quote, inside or outside a quoted section;
any other character is literal. File patterns add `*`, which matches anything up to the next
`/`, quoted or not.

`tokenize` splits a pattern; `joda_to_strptime` gives DuckDB parse formats (lenient: `%-d` also
reads `05`); `joda_to_strftime` / `java_to_strftime` give DuckDB output formats, translating only
the letters both sides render identically and refusing the rest rather than formatting dates
differently.

It lives in config/ because the tenant config is written in it: the loader checks every file
pattern and field format when the config loads (pure: it imports nothing of ours), and the
engines and the ingest translate with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral


class PatternError(ValueError):
    """A file pattern or a Joda-Time/java.time date format cannot be compiled."""


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Field:
    """A run of one pattern letter, e.g. `yyyy` is Field("y", 4)."""

    letter: str
    width: int

    @property
    def text(self) -> str:
        return self.letter * self.width


@dataclass(frozen=True)
class Wildcard:
    """`*` in a file pattern: any characters except `/`."""


Token = Literal | Field | Wildcard


def tokenize(pattern: str, *, wildcards: bool = False) -> list[Token]:
    """Split a Joda pattern into literals, fields and (for file patterns) wildcards."""
    tokens: list[Token] = []
    literal: list[str] = []

    def flush() -> None:
        if not literal:
            return
        text = "".join(literal)
        literal.clear()
        # In file patterns * is a wildcard even inside quotes: Amperity's own example quotes it
        # ('files/'yyyy'/'MM'/'dd'/customers-*.csv').
        pieces = text.split("*") if wildcards else [text]
        for position, piece in enumerate(pieces):
            if position:
                tokens.append(Wildcard())
            if piece:
                tokens.append(Literal(piece))

    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            if pattern.startswith("''", i):
                literal.append("'")
                i += 2
                continue
            end = i + 1
            while True:
                close = pattern.find("'", end)
                if close < 0:
                    raise PatternError(f"unterminated quote in pattern {pattern!r} (quote opened at position {i + 1})")
                literal.append(pattern[end:close])
                if pattern.startswith("''", close):  # an escaped quote inside a quoted section
                    literal.append("'")
                    end = close + 2
                    continue
                i = close + 1
                break
        elif char.isascii() and char.isalpha():
            flush()
            end = i
            while end < len(pattern) and pattern[end] == char:
                end += 1
            tokens.append(Field(char, end - i))
            i = end
        else:
            literal.append(char)
            i += 1
    flush()
    return tokens


# Digits each supported file-pattern field matches. Single letters (M, d) match one or two digits.
FILE_PATTERN_FIELDS: dict[tuple[str, int], str] = {
    ("y", 4): r"\d{4}",
    ("y", 2): r"\d{2}",
    ("M", 2): r"\d{2}",
    ("M", 1): r"\d{1,2}",
    ("d", 2): r"\d{2}",
    ("d", 1): r"\d{1,2}",
    ("H", 2): r"\d{2}",
    ("m", 2): r"\d{2}",
    ("s", 2): r"\d{2}",
}


def check_file_pattern(pattern: str) -> list[Token]:
    """The tokens of an Amperity file pattern; PatternError unless every field is one it reads."""
    tokens = tokenize(pattern, wildcards=True)
    if not tokens:
        raise PatternError("empty file pattern")
    for token in tokens:
        if isinstance(token, Field) and (token.letter, token.width) not in FILE_PATTERN_FIELDS:
            raise PatternError(
                f"file pattern {pattern!r}: {token.text!r} is not a supported date field "
                "(use yyyy, yy, MM, M, dd, d, HH, mm, ss) and letters meant literally must be "
                f"in single quotes, e.g. '{token.text}'"
            )
    return tokens


PatternFlavor = TypingLiteral["joda", "java"]

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
    for token in tokenize(pattern):
        if isinstance(token, Literal):
            if flavor == "java" and ("[" in token.text or "]" in token.text):
                raise PatternError(f"java date pattern {pattern!r}: optional sections [...] are not supported")
            out.append(token.text.replace("%", "%%"))
            continue
        char, run = token.letter, token.width
        # Text fields: four letters or more all mean the full name (MMMM, EEEEE).
        code = letters.get(char, {}).get(min(run, 4) if char in _TEXT_FIELDS else run)
        if code is None:
            raise PatternError(
                f"{flavor} date pattern {pattern!r}: {token.text!r} is not supported; supported fields: {_describe(letters)}"
            )
        out.append(code)
    return "".join(out)


def _describe(letters: dict[str, dict[int, str]]) -> str:
    return " ".join(letter * max(widths) for letter, widths in letters.items())


# The letters `joda_to_strptime` reads, for messages.
_STRPTIME_LETTERS = "y, Y, M, d, D, H, h, m, s, S, a, E, Z, z"
# Feed formats that are not patterns: numbers of seconds or milliseconds since 1970-01-01 UTC.
EPOCH_SECONDS = ("epoch", "epoch_seconds", "unix")
EPOCH_MILLIS = ("epoch_ms", "epoch_millis", "epoch_milliseconds")


def _strptime_directive(field: Field) -> str:
    """The DuckDB strptime directive for one Joda field; the `%-x` forms also accept padded values."""
    letter, width = field.letter, field.width
    if letter in "yY":
        return "%y" if width == 2 else "%Y"
    if letter == "M":
        return {1: "%-m", 2: "%m", 3: "%b"}.get(width, "%B")
    if letter == "d":
        return "%-d" if width == 1 else "%d"
    if letter == "D":
        return "%-j" if width < 3 else "%j"
    if letter == "H":
        return "%-H" if width == 1 else "%H"
    if letter == "h":
        return "%-I" if width == 1 else "%I"
    if letter == "m":
        return "%-M" if width == 1 else "%M"
    if letter == "s":
        return "%-S" if width == 1 else "%S"
    if letter == "S":  # fraction of second: milli, micro or nano by width
        return "%g" if width <= 3 else "%f" if width <= 6 else "%n"
    if letter == "a":
        return "%p"
    if letter == "E":
        return "%a" if width <= 3 else "%A"
    if letter == "z" or (letter == "Z" and width >= 3):
        return "%Z"
    if letter == "Z":
        return "%z"
    raise PatternError(
        f"unsupported Joda-Time field {field.text!r} (letter {letter}): supported letters are "
        f"{_STRPTIME_LETTERS}; put letters meant literally in single quotes, e.g. 'T'"
    )


def joda_to_strptime(pattern: str) -> tuple[str, ...]:
    """DuckDB `strptime` formats equivalent to a Joda-Time format, most likely first.

    Usually one format. A `Z` offset field gives two: Joda parses `+0200`, `+02:00` and a literal
    `Z` for UTC, while strptime's `%z` rejects the letter, so the second format reads `Z` literally.
    """
    parts: list[str] = []
    offset_positions: list[int] = []
    for token in tokenize(pattern):
        if isinstance(token, Literal):
            parts.append(token.text.replace("%", "%%"))
        else:
            directive = _strptime_directive(token)
            if directive == "%z":
                offset_positions.append(len(parts))
            parts.append(directive)
    if not parts:
        raise PatternError("empty date format")
    primary = "".join(parts)
    if not offset_positions:
        return (primary,)
    utc = list(parts)
    for position in offset_positions:
        utc[position] = "Z"
    return (primary, "".join(utc))


def check_date_format(fmt: str) -> None:
    """Raise PatternError unless `fmt` is a usable Date/Datetime field format (a Joda-Time
    pattern with at least one field, or an epoch keyword); the tenant loader calls it so that a
    bad format is a config error with its line, not a failed load."""
    if fmt.lower() in EPOCH_SECONDS + EPOCH_MILLIS:
        return
    try:
        joda_to_strptime(fmt)
    except PatternError as err:
        raise PatternError(f"format {fmt!r}: {err}") from None
    if not any(isinstance(token, Field) for token in tokenize(fmt)):
        raise PatternError(
            f"format {fmt!r} has no date or time field (such as yyyy, MM, dd, HH); text in single quotes is literal"
        )
