"""The Stitch QA report: one self-contained HTML file per Stitch run.

Why a file and not a dashboard: it opens anywhere (a browser, Dagster's asset metadata, an email
attachment) with no server and no network, and it records what a run looked like after the
tables have moved on. Figures are aggregated in DuckDB (stitch_report_data), charts are inline
SVG (stitch_report_svg), and every value is HTML-escaped. Each figure carries `data-figure` and
`data-value` attributes so tests and tools read numbers from the rendered page, not its pixels.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from amperity_pipelines.quality.stitch_report_data import (
    MATCH_CATEGORIES,
    SCORE_BINS_PER_POINT,
    ExampleCluster,
    ReportData,
    collect,
)
from amperity_pipelines.quality.stitch_report_svg import (
    CATEGORY_COLORS,
    Bar,
    attrs,
    column_chart,
    esc,
    score_histogram,
    upset_chart,
)

__all__ = ["REPORT_FILE", "write_stitch_report"]

_PUNCTUATION = re.compile(r"[\W_]+")

REPORT_FILE = "stitch_report.html"
"""File name used when `out` is a folder."""

RUN_DETAILS = (
    ("pairs_kept", "Pairs kept (at or above the threshold)"),
    ("trivial_duplicates", "Trivial duplicates collapsed"),
    ("bad_values", "Bad values ignored"),
    ("split_components", "Components split on a conflict"),
    ("supersized_clusters", "Supersized clusters"),
    ("oversized_blocks", "Oversized blocks skipped"),
    ("pairs_skipped", "Pairs in skipped blocks"),
)
EXAMPLE_FIELDS = (
    ("datasource", "Datasource"), ("pk", "PK"), ("name", "Name"), ("email", "Email"), ("phone", "Phone"),
    ("address", "Address"), ("city", "City"), ("postal", "Postal"), ("birthdate", "Birthdate"),
)  # fmt: skip


def write_stitch_report(
    tables: Mapping[str, pa.Table], stats: Mapping, out: Path, *, title: str, examples: int = 10
) -> Path:
    """Write the report of one Stitch run and return its path.

    `tables` as `StitchResult.tables()` names them (unified_coalesced is required; unified_scores
    adds the score figures and pair scores), `stats` as `StitchStats.as_dict()` (pairs scored,
    stage times and the other figures the tables do not hold). `out` ending in `.html` is the
    file; otherwise it is a folder that receives `stitch_report.html`.
    """
    if examples < 0:
        raise ValueError(f"stitch report: examples must be 0 or more, got {examples}")
    data = collect(tables, examples=examples)
    recorded = stats.get("records")
    if recorded is not None and recorded != data.records:
        raise ValueError(
            f"stitch report: stats say {recorded} records but unified_coalesced holds {data.records} rows; "
            "pass the stats and tables of the same run"
        )
    path = Path(out) if Path(out).suffix.lower() == ".html" else Path(out) / REPORT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, render(data, stats, title=title))
    return path


def render(data: ReportData, stats: Mapping, *, title: str) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<header><h1>{esc(title)}</h1><p class='sub'>Stitch QA report · generated {generated} · "
        f"{len(data.source_ids)} datasources</p></header>",
        _headline(data, stats),
        _run_details(stats),
        _cluster_sizes(data),
        _overlap(data),
        _scores(data),
        _examples(data.examples),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
        f"<style>{STYLE}</style></head><body><main>{''.join(body)}</main></body></html>\n"
    )


def _headline(data: ReportData, stats: Mapping) -> str:
    stages = stats.get("stage_seconds") or {}
    cards = [
        ("records", data.records, f"{data.records:,}", "Records"),
        ("amperity_ids", data.amperity_ids, f"{data.amperity_ids:,}", "Amperity IDs"),
        ("dedupe_rate", f"{data.dedupe_rate:.6f}", f"{data.dedupe_rate:.1%}", "Dedupe rate"),
        ("singletons", data.singletons, f"{data.singletons:,}", "Singletons"),
        ("largest_cluster", data.largest_cluster, f"{data.largest_cluster:,}", "Largest cluster"),
    ]
    if stats.get("pairs_scored") is not None:
        cards.append(("pairs_scored", stats["pairs_scored"], f"{stats['pairs_scored']:,}", "Pairs scored"))
    if stages:
        total = sum(stages.values())
        cards.append(("total_seconds", f"{total:.3f}", f"{total:,.1f} s", "Time in stages"))
    html = "".join(
        f"<div class='card'{attrs({'data-figure': key, 'data-value': value})}>"
        f"<div class='v'>{esc(shown)}</div><div class='k'>{esc(label)}</div></div>"
        for key, value, shown, label in cards
    )
    note = (
        "<p class='note'>Dedupe rate = (records − Amperity IDs) / records. Singletons are Amperity IDs "
        "holding one record.</p>"
    )
    return f"<section id='headline'><div class='cards'>{html}</div>{note}</section>"


def _run_details(stats: Mapping) -> str:
    rows = [
        f"<tr{attrs({'data-figure': key, 'data-value': stats[key]})}><th>{esc(label)}</th>"
        f"<td class='num'>{stats[key]:,}</td></tr>"
        for key, label in RUN_DETAILS
        if isinstance(stats.get(key), int)
    ]
    stages = stats.get("stage_seconds") or {}
    slowest = max(stages.values(), default=0) or 1
    stage_rows = [
        f"<tr{attrs({'data-figure': 'stage_seconds', 'data-stage': stage, 'data-value': seconds})}>"
        f"<th>{esc(stage)}</th><td class='num'>{seconds:,.2f} s</td>"
        f"<td class='barcell'><span class='hbar' style='width:{100 * seconds / slowest:.1f}%'></span></td></tr>"
        for stage, seconds in stages.items()
    ]
    if not rows and not stage_rows:
        return ""
    counts = f"<table class='facts'>{''.join(rows)}</table>" if rows else ""
    times = f"<table class='stages'><caption>Time per stage</caption>{''.join(stage_rows)}</table>" if stage_rows else ""
    return _section("run", "Run", f"<div class='two'>{counts}{times}</div>")


def _cluster_sizes(data: ReportData) -> str:
    bars = [
        Bar(label, clusters, {"bucket": label}, f"{clusters:,} IDs of {label} records ({data.bucket_records[label]:,} records)")
        for label, clusters in data.size_buckets.items()
    ]
    chart = column_chart(bars, figure="cluster_size", caption="Amperity IDs per cluster size")
    rows = "".join(
        f"<tr><td>{esc(label)}</td><td class='num'>{clusters:,}</td><td class='num'>{data.bucket_records[label]:,}</td>"
        f"<td class='num'>{100 * clusters / data.amperity_ids if data.amperity_ids else 0:.2f}%</td></tr>"
        for label, clusters in data.size_buckets.items()
    )
    head = "<tr><th>Records per ID</th><th>IDs</th><th>Records</th><th>% of IDs</th></tr>"
    note = "<p class='note'>Clusters beyond 20 records hint at over-clustering; 64+ counts as supersized.</p>"
    return _section("cluster-sizes", "Cluster sizes", f"<div class='two'>{chart}<table class='grid'>{head}{rows}</table></div>", note)


def _overlap(data: ReportData) -> str:
    if not data.overlaps:
        return _section("overlap", "Source overlap", "<p>No records.</p>")
    combos = [(o.sources, o.amperity_ids) for o in data.overlaps]
    other = data.other_overlaps.amperity_ids if data.other_overlaps else None
    chart = upset_chart(combos, data.source_ids, other=other, caption="Amperity IDs per exact set of datasources")
    note = (
        "<p class='note'>Each column counts the Amperity IDs whose records come from exactly the datasources "
        "marked below it; the left bars count the IDs holding at least one record of each datasource.</p>"
    )
    return _section("overlap", "Source overlap", f"<div class='scroll'>{chart}</div>", note)


def _scores(data: ReportData) -> str:
    if not data.has_scores:
        return _section("scores", "Pair scores", "<p>This run wrote no pair scores (no Unified Scores table).</p>")
    caption = "Scored pairs by score and match category"
    chart = score_histogram(data.score_bins, per_point=SCORE_BINS_PER_POINT, caption=caption)
    legend = "".join(
        f"<span class='key'><i style='background:{color}'></i>{esc(name)}</span>"
        for name, color in CATEGORY_COLORS.items()
    )
    totals: dict[str, int] = {}
    for row in data.category_scores:
        totals[row.category] = totals.get(row.category, 0) + row.pairs
    rows = "".join(
        f"<tr{attrs({'data-figure': 'score_category', 'data-category': category, 'data-value': pairs})}>"
        f"<td>{esc(category)}</td><td class='num'>{pairs:,}</td></tr>"
        for category, pairs in sorted(totals.items(), key=lambda kv: _category_rank(kv[0]))
    )
    detail = "".join(
        f"<tr{attrs({'data-figure': 'score_type', 'data-category': r.category, 'data-type': r.match_type})}"
        f"{attrs({'data-value': r.pairs})}>"
        f"<td>{esc(r.category)}</td><td>{esc(r.match_type)}</td><td class='num'>{r.pairs:,}</td>"
        f"<td class='num'>{r.lowest:.2f}</td><td class='num'>{r.highest:.2f}</td></tr>"
        for r in data.category_scores
    )
    tables = (
        f"<table class='grid'><tr><th>Match category</th><th>Pairs</th></tr>{rows}</table>"
        "<table class='grid'><tr><th>Category</th><th>Match type</th><th>Pairs</th><th>Lowest</th><th>Highest</th></tr>"
        f"{detail}</table>"
    )
    note = (
        "<p class='note'>Unified Scores holds the scored pairs inside clusters. A pair below the threshold is there "
        "when other pairs hold its two records together: those are the links to check first.</p>"
    )
    return _section("scores", "Pair scores", f"<div class='legend'>{legend}</div>", chart, f"<div class='two'>{tables}</div>", note)


def _examples(examples: list[ExampleCluster]) -> str:
    if not examples:
        return _section("examples", "Example clusters", "<p>No cluster holds more than one record.</p>")
    intro = (
        "<p class='note'>Picked deterministically: the largest clusters, the clusters with the weakest pair, "
        "and a fixed-seed random sample. Highlighted cells differ within the cluster.</p>"
    )
    return _section("examples", "Example clusters", intro, *(_example(i, e) for i, e in enumerate(examples, 1)))


def _example(number: int, example: ExampleCluster) -> str:
    rows = [{**r, "name": _name(r)} for r in example.records]
    varying = {key for key, _ in EXAMPLE_FIELDS[2:] if len({_norm(r.get(key)) for r in rows} - {""}) > 1}
    index = {(r.get("datasource"), r.get("pk")): i for i, r in enumerate(rows, 1)}
    head = "".join(f"<th>{esc(label)}</th>" for _, label in EXAMPLE_FIELDS)
    body = "".join(
        f"<tr{attrs({'data-datasource': r.get('datasource'), 'data-pk': r.get('pk')})}><td class='num'>{i}</td>"
        + "".join(_cell(r.get(key), key in varying) for key, _ in EXAMPLE_FIELDS)
        + "</tr>"
        for i, r in enumerate(rows, 1)
    )
    shown = f" (showing {len(rows)} of {example.size:,})" if len(rows) < example.size else ""
    records = f"<table class='grid recs'><tr><th>#</th>{head}</tr>{body}</table>"
    pairs = ""
    if example.pairs:
        pair_rows = "".join(_pair_row(p, index) for p in example.pairs)
        more = f" (weakest {len(example.pairs)} of {example.pair_count:,})" if len(example.pairs) < example.pair_count else ""
        pairs = (
            f"<table class='grid pairs'><caption>Pair scores{more}</caption><tr><th>Record</th><th>Record</th>"
            f"<th>Score</th><th>Category</th><th>Match type</th></tr>{pair_rows}</table>"
        )
    data = {"data-example": example.amperity_id, "data-reason": example.reason, "data-size": example.size}
    return (
        f"<article class='example'{attrs(data)}><h3>{number}. {esc(example.reason)} · {example.size:,} records{esc(shown)}"
        f"<span class='aid'>{esc(example.amperity_id)}</span></h3><div class='scroll'>{records}</div>{pairs}</article>"
    )


def _pair_row(pair: Mapping, index: Mapping) -> str:
    def side(source, pk):
        number = index.get((source, pk))
        prefix = f"#{number} " if number else ""
        return f"{prefix}{source} / {pk}"

    category = str(pair["match_category"])
    data = {
        "data-source1": pair["source1"], "data-pk1": pair["pk1"], "data-source2": pair["source2"],
        "data-pk2": pair["pk2"], "data-score": pair["score"],
    }  # fmt: skip
    return (
        f"<tr class='pair'{attrs(data)}><td>{esc(side(pair['source1'], pair['pk1']))}</td>"
        f"<td>{esc(side(pair['source2'], pair['pk2']))}</td><td class='num'>{pair['score']:.2f}</td>"
        f"<td><i class='dot' style='background:{CATEGORY_COLORS.get(category, '#ccc')}'></i>{esc(category)}</td>"
        f"<td>{esc(pair['match_type'])}</td></tr>"
    )


def _section(anchor: str, heading: str, *parts: str) -> str:
    return f"<section id='{anchor}'><h2>{esc(heading)}</h2>{''.join(parts)}</section>"


def _cell(value: object, varies: bool) -> str:
    if value is None or value == "":
        return "<td class='null'>—</td>"
    return f"<td class='diff'>{esc(value)}</td>" if varies else f"<td>{esc(value)}</td>"


def _name(record: Mapping) -> str | None:
    parts = [str(record[k]).strip() for k in ("given_name", "surname") if record.get(k)]
    return " ".join(parts) or record.get("full_name")


def _norm(value: object) -> str:
    """Letters and digits only, upper case: "(206) 555-0101" and "2065550101" do not differ."""
    return "" if value is None else _PUNCTUATION.sub("", str(value)).upper()


def _category_rank(category: str) -> int:
    return MATCH_CATEGORIES.index(category) if category in MATCH_CATEGORIES else len(MATCH_CATEGORIES)


def _write_atomically(path: Path, text: str) -> None:
    """Readers (a browser, the Dagster UI) never see half a report."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


STYLE = """
:root{--ink:#24323f;--muted:#6b7783;--line:#e4e8ec;--bg:#f7f9fb;--accent:#3b6ea8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
header h1{margin:0;font-size:24px}
.sub{margin:4px 0 18px;color:var(--muted)}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:0 0 18px}
h2{font-size:17px;margin:0 0 12px}
h3{font-size:14px;margin:18px 0 8px;text-transform:none}
.aid{font:12px ui-monospace,"DejaVu Sans Mono",monospace;color:var(--muted);margin-left:10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--bg)}
.card .v{font-size:22px;font-weight:600}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.note{color:var(--muted);font-size:12px;margin:10px 0 0}
.two{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:13px}
caption{text-align:left;font-weight:600;padding:0 0 6px}
.grid th,.grid td,.facts th,.facts td,.stages th,.stages td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;white-space:nowrap}
.grid th{background:var(--bg);font-weight:600}
.facts th,.stages th{font-weight:normal;color:var(--muted)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.null{color:#c0c6cc}
td.diff{background:#fff4d6}
.barcell{width:160px}
.hbar{display:inline-block;height:10px;background:var(--accent);border-radius:2px;min-width:1px}
.legend{margin:0 0 6px}
.key{margin-right:14px;font-size:12px}
.key i,.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.pairs{margin-top:8px}
svg text{font-family:inherit;fill:var(--ink)}
svg .lbl{font-size:12px}
svg .val{font-size:11px;fill:var(--muted)}
svg .small{font-size:10px}
"""
