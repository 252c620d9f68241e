"""Amperity file patterns: which landed files belong to a fileset entry, and for which date.

A pattern such as `'files/'yyyy'/'MM'/'dd'/customers-*.csv'` names a file by path and date:
run for 2020-04-10 it looks for `files/2020/04/10/customers-*.csv`. Date fields are Joda-Time
(yyyy, yy, MM, M, dd, d, HH, mm, ss), literals sit in single quotes and `*` matches anything up
to the next `/`. Date ranges are [start, end): start inclusive, end exclusive, as Amperity runs them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from amperity_pipelines.config.datetime_patterns import FILE_PATTERN_FIELDS, Field, Literal, Token, Wildcard, check_file_pattern
from amperity_pipelines.config.models import FileSpec
from amperity_pipelines.ingest.errors import MissingFileError

_TIME_LETTERS = frozenset("Hms")
_GLOB_SPECIAL = re.compile(r"([*?\[])")


def _two_digit_year(value: int) -> int:
    """Joda's pivot for `yy`: the century that puts the year within 80 years before / 20 after today."""
    pivot = date.today().year + 20
    year = 2000 + value
    return year - 100 if year > pivot else year


@dataclass(frozen=True)
class FileMatch:
    """A path that matches a pattern; `file_date` is None when the pattern has no date fields."""

    file_date: date | None
    file_datetime: datetime | None = None


@dataclass(frozen=True)
class FilePattern:
    pattern: str
    tokens: tuple[Token, ...]
    regex: re.Pattern[str]

    @classmethod
    def compile(cls, pattern: str) -> FilePattern:
        tokens = tuple(check_file_pattern(pattern))
        parts: list[str] = []
        for token in tokens:
            if isinstance(token, Literal):
                parts.append(re.escape(token.text))
            elif isinstance(token, Wildcard):
                parts.append(r"[^/]*")
            else:
                parts.append(f"({FILE_PATTERN_FIELDS[token.letter, token.width]})")
        return cls(pattern, tokens, re.compile("".join(parts)))

    @property
    def fields(self) -> list[Field]:
        return [t for t in self.tokens if isinstance(t, Field)]

    @property
    def has_date(self) -> bool:
        return any(f.letter in "yMd" for f in self.fields)

    @property
    def literal_prefix(self) -> str:
        """The leading literal text, before the first date field or wildcard."""
        prefix = []
        for token in self.tokens:
            if not isinstance(token, Literal):
                break
            prefix.append(token.text)
        return "".join(prefix)

    def for_date(self, day: date | datetime) -> str:
        """The glob (relative to the landing folder) of the files for one day.

        Given a date, time fields (HH, mm, ss) match any two digits; given a datetime, they are filled in.
        """
        parts: list[str] = []
        for token in self.tokens:
            if isinstance(token, Literal):
                parts.append(_GLOB_SPECIAL.sub(r"[\1]", token.text))
            elif isinstance(token, Wildcard):
                parts.append("*")
            elif token.letter in _TIME_LETTERS and not isinstance(day, datetime):
                parts.append("[0-9][0-9]")
            else:
                parts.append(_format_field(token, day))
        return "".join(parts)

    def match(self, relpath: str) -> FileMatch | None:
        """Whether a relative path (with `/` separators) matches, and the file date it carries."""
        found = self.regex.fullmatch(relpath)
        if found is None:
            return None
        values: dict[str, int] = {}
        for token, text in zip(self.fields, found.groups(), strict=True):
            number = int(text)
            if token.letter == "y" and token.width == 2:
                number = _two_digit_year(number)
            if values.setdefault(token.letter, number) != number:
                return None  # the same field twice with different values (e.g. yyyy/ ... yyyyMMdd)
        if not self.has_date:
            return FileMatch(None)
        try:
            stamp = datetime(
                values.get("y", 1970), values.get("M", 1), values.get("d", 1),
                values.get("H", 0), values.get("m", 0), values.get("s", 0),
            )
        except ValueError:
            return None  # digits in the right places but not a calendar date (month 13)
        has_time = any(f.letter in _TIME_LETTERS for f in self.fields)
        return FileMatch(stamp.date(), stamp if has_time else None)


def _format_field(token: Field, moment: date | datetime) -> str:
    value = {
        "y": moment.year,
        "M": moment.month,
        "d": moment.day,
        "H": getattr(moment, "hour", 0),
        "m": getattr(moment, "minute", 0),
        "s": getattr(moment, "second", 0),
    }[token.letter]
    if token.letter == "y" and token.width == 2:
        value %= 100
    return str(value).zfill(token.width)


@dataclass(frozen=True)
class LandedFile:
    """A file found in a landing folder."""

    path: Path
    """Absolute path."""
    relpath: str
    """Path relative to the landing folder, with `/` separators: the name used in messages and lineage."""
    file_date: date | None
    size: int
    mtime_ns: int


def _in_range(file_date: date | None, day: date | None, start: date | None, end: date | None) -> bool:
    if file_date is None:
        return True  # a pattern without a date selects its files on every run
    if day is not None:
        return file_date == day
    return (start is None or file_date >= start) and (end is None or file_date < end)


def discover(
    root: Path,
    spec: FileSpec,
    *,
    day: date | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[LandedFile]:
    """Files under `root` matching `spec.pattern` for one day, a [start, end) range, or any date.

    Ordered by file date, then relative path: the order in which Amperity loads a fileset.
    """
    if day is not None and (start is not None or end is not None):
        raise ValueError("give either day or a start/end range, not both")
    pattern = FilePattern.compile(spec.pattern)
    root = Path(root).absolute()
    # Walk only below the literal folder the pattern starts with (files/ in 'files/'yyyy...).
    prefix_dir = pattern.literal_prefix.rpartition("/")[0]
    base = root / prefix_dir if prefix_dir else root
    found: list[LandedFile] = []
    for folder, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(folder) / filename
            relpath = path.relative_to(root).as_posix()
            matched = pattern.match(relpath)
            if matched is None or not _in_range(matched.file_date, day, start, end):
                continue
            stat = path.stat()
            found.append(LandedFile(path, relpath, matched.file_date, stat.st_size, stat.st_mtime_ns))
    found.sort(key=lambda f: (f.file_date or date.min, f.relpath))
    return found


def discover_fileset(
    root: Path,
    specs: Sequence[FileSpec],
    *,
    day: date | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[tuple[LandedFile, FileSpec]]:
    """The files of a courier's fileset, ordered by file date then path.

    Raises MissingFileError when a non-optional entry matches nothing, naming the glob it looked for.
    """
    pairs: list[tuple[LandedFile, FileSpec]] = []
    for spec in specs:
        files = discover(root, spec, day=day, start=start, end=end)
        if not files and not spec.optional:
            raise MissingFileError(_missing_message(root, spec, day, start, end), file=spec.pattern)
        pairs.extend((landed, spec) for landed in files)
    pairs.sort(key=lambda pair: (pair[0].file_date or date.min, pair[0].relpath))
    return pairs


def _missing_message(root: Path, spec: FileSpec, day, start, end) -> str:
    pattern = FilePattern.compile(spec.pattern)
    if day is not None:
        wanted = f"{pattern.for_date(day)} (for {day.isoformat()})"
    elif start is not None or end is not None:
        wanted = f"{spec.pattern} between {start or 'the beginning'} and {end or 'now'} (end exclusive)"
    else:
        wanted = spec.pattern
    return f"no file for feed {spec.feed} in {root}: looked for {wanted}; mark the file optional if it may be absent"


def feeds_of(pairs: Iterable[tuple[LandedFile, FileSpec]]) -> dict[str, list[tuple[LandedFile, FileSpec]]]:
    """Group a discovered fileset by feed name, keeping the load order within each feed."""
    grouped: dict[str, list[tuple[LandedFile, FileSpec]]] = {}
    for landed, spec in pairs:
        grouped.setdefault(spec.feed, []).append((landed, spec))
    return grouped
