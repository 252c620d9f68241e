"""Vectorised text building for the demo generator: every function works on whole Arrow arrays.

Per-row Python never touches the big tables; small per-vocabulary loops (a few thousand names)
precompute variants (typos, nicknames) that rows then pick by index with `pc.take`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TYPOS_PER_NAME = 3
_KEYBOARD_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}


def typo_variants(name: str, rng: np.random.Generator, count: int = TYPOS_PER_NAME) -> list[str]:
    """`count` distinct misspellings of `name`: swapped, dropped, doubled or fat-fingered letters."""
    out: list[str] = []
    for _ in range(40):
        if len(out) == count:
            break
        i = int(rng.integers(1, max(2, len(name))))  # keep the first letter: it drives blocking
        kind = int(rng.integers(4))
        if len(name) < 3 or i >= len(name):
            candidate = name + name[-1]
        elif kind == 0 and i + 1 < len(name):
            candidate = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        elif kind == 1:
            candidate = name[:i] + name[i + 1 :]
        elif kind == 2:
            candidate = name[:i] + name[i] + name[i:]
        else:
            near = _KEYBOARD_NEIGHBOURS.get(name[i].lower(), "e")
            candidate = name[:i] + near[int(rng.integers(len(near)))] + name[i + 1 :]
        if candidate != name and candidate not in out and candidate.strip():
            out.append(candidate)
    while len(out) < count:
        out.append(name + "e" * (len(out) + 1))
    return out


@dataclass(frozen=True)
class NameBook:
    """A name list with, per entry, its nicknames and typo variants, flattened for `pc.take`.

    Entry i occupies variants[start[i]] (the canonical spelling), then n_nick[i] nicknames, then
    TYPOS_PER_NAME misspellings.
    """

    canonical: tuple[str, ...]
    variants: pa.Array
    start: np.ndarray
    n_nick: np.ndarray

    @classmethod
    def build(cls, entries: list[tuple[str, tuple[str, ...]]], rng: np.random.Generator) -> NameBook:
        flat: list[str] = []
        start, n_nick = [], []
        for name, nicknames in entries:
            start.append(len(flat))
            n_nick.append(len(nicknames))
            flat += [name, *nicknames, *typo_variants(name, rng)]
        return cls(
            canonical=tuple(name for name, _ in entries),
            variants=pa.array(flat, pa.string()),
            start=np.asarray(start, np.int64),
            n_nick=np.asarray(n_nick, np.int64),
        )

    def pick(self, index: np.ndarray, *, nickname: np.ndarray, typo: np.ndarray, u: np.ndarray) -> pa.Array:
        """Spelling per row: canonical, else a nickname (where one exists), else a typo; u in [0, 1)."""
        base = self.start[index]
        nicks = self.n_nick[index]
        offset = np.zeros(len(index), np.int64)
        use_nick = nickname & (nicks > 0)
        offset[use_nick] = 1 + (u[use_nick] * nicks[use_nick]).astype(np.int64)
        offset[typo] = 1 + nicks[typo] + (u[typo] * TYPOS_PER_NAME).astype(np.int64)
        return pc.take(self.variants, pa.array(base + offset))


def digits(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers as zero-padded strings."""
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")


def join(*parts, sep: str = "", skip_nulls: bool = False) -> pa.Array:
    """Element-wise concatenation of arrays and literal strings.

    skip_nulls leaves null parts (and their separator) out; a row whose array parts are all null is null.
    """
    if not skip_nulls:
        return pc.binary_join_element_wise(*parts, sep, null_handling="emit_null")
    # Not null_handling="skip": pyarrow 26 drops the rows whose parts are all null (the result is
    # shorter than its inputs). Prefix each present part with the separator and cut the first one.
    arrays = [p for p in parts if isinstance(p, pa.Array)]
    pieces = [pc.fill_null(pc.binary_join_element_wise(sep, p, ""), "") for p in parts]
    body = pc.utf8_slice_codeunits(pc.binary_join_element_wise(*pieces, ""), len(sep))
    present = np.zeros(len(arrays[0]), bool)
    for array in arrays:
        present |= pc.is_valid(array).to_numpy(zero_copy_only=False)
    return mask_null(body, ~present)


def mask_null(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """`values` with the rows where mask is true set to null."""
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def where(mask: np.ndarray, if_true, if_false) -> pa.Array:
    return pc.if_else(pa.array(mask), if_true, if_false)


def pick_from(values: tuple[str, ...], index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, pa.string()), pa.array(index))


def money(cents: np.ndarray) -> pa.Array:
    """Integer cents as plain decimal strings: 1999 -> '19.99', -500 -> '-5.00'."""
    cents = np.asarray(cents, np.int64)
    body = join(pc.cast(pa.array(np.abs(cents) // 100), pa.string()), ".", digits(np.abs(cents) % 100, 2))
    return where(cents < 0, join("-", body), body)


PHONE_STYLES = (
    "(206) 555-0143",
    "206.555.0143",
    "+1 206 555 0143",
    "2065550143",
    "206-555-0143",
    "1-206-555-0143",
    "+12065550143",
)


def phone(area: np.ndarray, exchange: np.ndarray, line: np.ndarray, style: np.ndarray) -> pa.Array:
    """US phone numbers in the formats of PHONE_STYLES, chosen per row by `style`."""
    a, e, n = digits(area, 3), digits(exchange, 3), digits(line, 4)
    formats = (
        join("(", a, ") ", e, "-", n),
        join(a, ".", e, ".", n),
        join("+1 ", a, " ", e, " ", n),
        join(a, e, n),
        join(a, "-", e, "-", n),
        join("1-", a, "-", e, "-", n),
        join("+1", a, e, n),
    )
    return pc.choose(pa.array(style, pa.int8()), *formats)


def local_timestamps(seconds: np.ndarray) -> pa.Array:
    """Naive wall-clock seconds as an Arrow timestamp (no zone)."""
    return pa.array(np.asarray(seconds, np.int64), pa.timestamp("s"))


_ISO_FIELDS = {"%Y": (0, 4), "%m": (5, 7), "%d": (8, 10), "%H": (11, 13), "%M": (14, 16), "%S": (17, 19)}
_MONTH_ABBREVIATIONS = pa.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])


def format_iso(iso: pa.Array, fmt: str) -> pa.Array:
    """Reformat ISO text ('YYYY-MM-DD[ HH:MM:SS]') with the strftime codes %Y %m %d %H %M %S %b.

    Slicing ISO text instead of `pc.strftime`: Arrow's strftime runs ~5 s per million rows.
    """
    parts: list = []
    for literal, code in re.findall(r"([^%]*)(%[a-zA-Z])?", fmt):
        if literal:
            parts.append(literal)
        if code == "%b":
            month = pc.subtract(pc.cast(pc.utf8_slice_codeunits(iso, 5, 7), pa.int8()), 1)
            parts.append(pc.take(_MONTH_ABBREVIATIONS, month))
        elif code:
            parts.append(pc.utf8_slice_codeunits(iso, *_ISO_FIELDS[code]))
    return join(*parts)


def strftime(seconds: np.ndarray, fmt: str) -> pa.Array:
    """Wall-clock seconds formatted with the codes of `format_iso`."""
    return format_iso(pc.cast(local_timestamps(seconds), pa.string()), fmt)


def format_dates(dates: pa.Array, fmt: str) -> pa.Array:
    """date32 values formatted with %Y %m %d (nulls stay null)."""
    return format_iso(pc.cast(dates, pa.string()), fmt)


def utc_seconds(seconds: np.ndarray, zone: str) -> np.ndarray:
    """Wall-clock seconds in `zone` as Unix epoch seconds (gaps and overlaps resolve to the earliest)."""
    zoned = pc.assume_timezone(local_timestamps(seconds), timezone=zone, ambiguous="earliest", nonexistent="earliest")
    return zoned.cast(pa.int64()).to_numpy()


def utc_offsets(seconds: np.ndarray, zone: str) -> pa.Array:
    """The zone's UTC offset at each wall-clock time, as Joda `Z` prints it ('-0800')."""
    offset = (np.asarray(seconds, np.int64) - utc_seconds(seconds, zone)) // 60
    sign = where(offset < 0, "-", "+")
    return join(sign, digits(np.abs(offset) // 60, 2), digits(np.abs(offset) % 60, 2))


def us_short_datetime(seconds: np.ndarray) -> pa.Array:
    """Joda `M/d/yyyy h:mm a` (no zero padding on month, day, hour): '11/5/2026 6:07 AM'."""
    ts = local_timestamps(seconds)
    hour = pc.hour(ts).to_numpy()
    hour12 = np.where(hour % 12 == 0, 12, hour % 12)
    return join(
        pc.cast(pc.month(ts), pa.string()), "/", pc.cast(pc.day(ts), pa.string()), "/",
        pc.cast(pc.year(ts), pa.string()), " ", pc.cast(pa.array(hour12), pa.string()), ":",
        strftime(seconds, "%M"), " ", where(hour < 12, "AM", "PM"),
    )


def json_lines(columns: dict[str, pa.Array], kinds: dict[str, str]) -> pa.Array:
    """One compact JSON object per row; null values leave their key out (as many exporters do).

    kinds: 'string' values are quoted and escaped, 'raw' values (numbers, true/false) are not.
    """
    fragments = []
    for name, values in columns.items():
        if kinds.get(name, "string") == "string":
            escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
            value = join('"', escaped, '"')
        else:
            value = values
        fragments.append(join(f'"{name}":', value))
    body = join(*fragments, sep=",", skip_nulls=True)
    return join("{", body, "}")
