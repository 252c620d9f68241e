"""Inline SVG charts of the Stitch QA report: drawn here, in Python, so the HTML file needs no
script, no library and no network, and the browser's DOM holds every figure as an attribute.

Each mark carries `data-figure` and `data-value` (plus the key it belongs to) for tests and tools.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

CATEGORY_COLORS = {
    "Exact": "#1a7f4b",
    "Excellent": "#4caf7a",
    "High": "#9fd4a8",
    "Moderate": "#f2b35e",
    "Weak": "#e0683a",
    "None": "#9a9a9a",
}
INK = "#24323f"
MUTED = "#7b8794"
BAR = "#3b6ea8"
GRID = "#e4e8ec"


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def attrs(values: Mapping[str, object]) -> str:
    """` name="value"` pairs, every value escaped."""
    return "".join(f' {name}="{esc(value)}"' for name, value in values.items())


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    data: dict[str, object] = field(default_factory=dict)
    """data-* attributes of the bar (without the prefix), besides data-value."""
    tooltip: str = ""


def column_chart(bars: Sequence[Bar], *, figure: str, caption: str, width: int = 640, height: int = 240) -> str:
    """Vertical bars with their value above and label below."""
    left, bottom, top = 44, 34, 22
    plot_h = height - bottom - top
    step = (width - left - 8) / max(len(bars), 1)
    peak = max((b.value for b in bars), default=0) or 1
    parts = [_svg_open(width, height, caption), _y_grid(left, top, plot_h, width - 8, peak)]
    for i, bar in enumerate(bars):
        x = left + i * step + step * 0.15
        w = step * 0.7
        h = _scaled(bar.value, peak, plot_h)
        y = top + plot_h - h
        data = {"data-figure": figure, **{f"data-{k}": v for k, v in bar.data.items()}, "data-value": bar.value}
        parts.append(
            f'<g class="bar"{attrs(data)}><title>{esc(bar.tooltip or f"{bar.label}: {bar.value:,}")}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{BAR}" rx="2"/>'
            f'<text x="{x + w / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle" class="val">{bar.value:,}</text>'
            f'<text x="{x + w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" class="lbl">{esc(bar.label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def upset_chart(
    combinations: Sequence[tuple[tuple[str, ...], int]],
    source_ids: Mapping[str, int],
    *,
    other: int | None,
    caption: str,
) -> str:
    """UpSet plot: one column per exact set of datasources (bar = Amperity IDs with exactly that
    set, dots below = the set), one row per datasource with its total on the left."""
    sources = list(source_ids)
    columns = len(combinations) + (1 if other else 0)
    name_w, size_w, col_w, row_h, bars_h = 150, 110, 34, 24, 170
    x0 = name_w + size_w + 10
    width = max(x0 + columns * col_w + 10, 420)
    height = bars_h + 30 + len(sources) * row_h + 26
    peak = max([n for _, n in combinations] + [other or 0]) or 1
    size_peak = max(source_ids.values(), default=0) or 1
    matrix_top = bars_h + 30
    parts = [_svg_open(width, height, caption)]
    parts.append(_y_grid(x0, 20, bars_h - 20, width - 10, peak))
    for r, source in enumerate(sources):
        y = matrix_top + r * row_h
        if r % 2 == 0:
            parts.append(f'<rect x="0" y="{y}" width="{width}" height="{row_h}" fill="#f5f7f9"/>')
        w = _scaled(source_ids[source], size_peak, size_w - 44)
        parts.append(
            f'<g class="set"{attrs({"data-figure": "source_ids", "data-source": source, "data-value": source_ids[source]})}>'
            f'<text x="{name_w - 8}" y="{y + 16}" text-anchor="end" class="lbl">{esc(_shorten(source, 22))}</text>'
            f'<rect x="{name_w}" y="{y + 6}" width="{w:.1f}" height="{row_h - 12}" fill="{MUTED}" rx="2"/>'
            f'<text x="{name_w + w + 4:.1f}" y="{y + 16}" class="val">{source_ids[source]:,}</text></g>'
        )
    for i, (members, count) in enumerate(combinations):
        cx = x0 + i * col_w + col_w / 2
        h = _scaled(count, peak, bars_h - 20)
        data = {"data-figure": "overlap", "data-sources": json.dumps(list(members)), "data-value": count}
        title = f"{' + '.join(members)}: {count:,} Amperity IDs"
        parts.append(f'<g class="combo"{attrs(data)}><title>{esc(title)}</title>')
        parts.append(f'<rect x="{cx - col_w * 0.35:.1f}" y="{bars_h - h:.1f}" width="{col_w * 0.7:.1f}" height="{h:.1f}" fill="{INK}" rx="2"/>')
        parts.append(f'<text x="{cx:.1f}" y="{bars_h - h - 5:.1f}" text-anchor="middle" class="val small">{count:,}</text>')
        rows = [r for r, s in enumerate(sources) if s in members]
        if len(rows) > 1:
            y1, y2 = (matrix_top + r * row_h + row_h / 2 for r in (rows[0], rows[-1]))
            parts.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y1}" y2="{y2}" stroke="{INK}" stroke-width="3"/>')
        for r in range(len(sources)):
            fill = INK if r in rows else "#d5dbe1"
            parts.append(f'<circle cx="{cx:.1f}" cy="{matrix_top + r * row_h + row_h / 2}" r="6" fill="{fill}"/>')
        parts.append("</g>")
    if other:
        cx = x0 + len(combinations) * col_w + col_w / 2
        h = _scaled(other, peak, bars_h - 20)
        parts.append(
            f'<g class="combo"{attrs({"data-figure": "overlap_other", "data-value": other})}>'
            f"<title>{other:,} Amperity IDs in the combinations not shown</title>"
            f'<rect x="{cx - col_w * 0.35:.1f}" y="{bars_h - h:.1f}" width="{col_w * 0.7:.1f}" height="{h:.1f}" fill="{MUTED}" rx="2"/>'
            f'<text x="{cx:.1f}" y="{bars_h - h - 5:.1f}" text-anchor="middle" class="val small">{other:,}</text>'
            f'<text x="{cx:.1f}" y="{matrix_top - 8}" text-anchor="middle" class="lbl small">other</text></g>'
        )
    parts.append(f'<text x="{name_w}" y="{matrix_top - 8}" class="lbl small">IDs with the source</text>')
    parts.append("</svg>")
    return "".join(parts)


def score_histogram(bins: Mapping[tuple[int, str], int], *, per_point: int, caption: str,
                    width: int = 720, height: int = 260) -> str:  # fmt: skip
    """Pairs per score bin from 0 to 5 (`per_point` bins per point), stacked by match category."""
    left, bottom, top = 52, 36, 16
    plot_w, plot_h = width - left - 12, height - bottom - top
    count = 5 * per_point
    totals = [sum(n for (b, _), n in bins.items() if b == i) for i in range(count)]
    peak = max(totals, default=0) or 1
    step = plot_w / count
    parts = [_svg_open(width, height, caption), _y_grid(left, top, plot_h, width - 12, peak)]
    for tick in range(6):
        x = left + tick * plot_w / 5
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" class="lbl">{tick}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" class="lbl small">pair score</text>')
    for i in range(count):
        low, high = i / per_point, (i + 1) / per_point
        y = top + plot_h
        for category, color in CATEGORY_COLORS.items():
            n = bins.get((i, category), 0)
            if not n:
                continue
            h = _scaled(n, peak, plot_h)
            y -= h
            data = {"data-figure": "score_bin", "data-low": f"{low:g}", "data-category": category, "data-value": n}
            parts.append(
                f'<rect{attrs(data)} x="{left + i * step + 1:.1f}" y="{y:.1f}" width="{step - 2:.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{esc(f'{low:g} to {high:g}: {n:,} {category} pairs')}</title></rect>"
            )
        if totals[i] and (step >= 22 or totals[i] == peak):  # narrow bins: only the peak is labelled (tooltips have all)
            parts.append(f'<text x="{left + (i + 0.5) * step:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="val small">{totals[i]:,}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: float, height: float, caption: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="{esc(caption)}">'
    )


def _y_grid(left: float, top: float, plot_h: float, right: float, peak: int) -> str:
    lines = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        value = peak * fraction
        lines.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        lines.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="lbl small">{value:,.0f}</text>')
    return "".join(lines)


def _scaled(value: int, peak: int, span: float) -> float:
    """Linear height; a non-zero value gets at least 2 px so it stays visible next to a big one."""
    return 0.0 if value <= 0 else max(span * value / peak, 2.0)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
