"""The Stitch QA report: rendered by headless Chromium, the page shows the figures the StitchResult
holds; values are escaped, inputs checked, and the page stays bounded whatever the run's size."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pytest
from stitch_qa_people import stitch_population

from amperity_pipelines.quality.stitch_report import REPORT_FILE, write_stitch_report

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (scripts/setup.sh installs it as root)"
)


class Figures(HTMLParser):
    """Every element carrying data-* attributes, with the example cluster (article) it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict[str, str]] = []
        self._example: str | None = None

    def handle_starttag(self, tag, attrs):
        data = {k: v for k, v in attrs if k.startswith("data-") or k == "class"}
        if tag == "article" and "data-example" in data:
            self._example = data["data-example"]
        if any(k.startswith("data-") for k in data):
            self.elements.append({"tag": tag, "in_example": self._example, **data})

    def handle_endtag(self, tag):
        if tag == "article":
            self._example = None

    def figure(self, name: str, **keys: str) -> list[dict[str, str]]:
        return [
            e for e in self.elements
            if e.get("data-figure") == name and all(e.get(f"data-{k}") == v for k, v in keys.items())
        ]  # fmt: skip

    def value(self, name: str, **keys: str) -> str:
        (element,) = self.figure(name, **keys)
        return element["data-value"]


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One probabilistic run, its report, and the DOM and a screenshot Chromium made of it."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it as root)")
    folder = tmp_path_factory.mktemp("report")
    result = stitch_population()
    path = write_stitch_report(result.tables(), result.stats.as_dict(), folder, title="Demo tenant: Stitch run")
    dom = chromium("--dump-dom", path.as_uri(), profile=folder / "profile").stdout
    figures = Figures()
    figures.feed(dom)
    png = folder / "report.png"
    chromium("--window-size=1280,2200", f"--screenshot={png}", path.as_uri(), profile=folder / "profile")
    return result, path, dom, figures, png


@needs_chromium
def test_headline_figures_are_the_runs(rendered):
    result, path, dom, figures, _ = rendered
    stats = result.stats
    assert path == path.parent / REPORT_FILE
    assert "<h1>Demo tenant: Stitch run</h1>" in dom
    assert int(figures.value("records")) == stats.records == result.unified_coalesced.num_rows
    assert int(figures.value("amperity_ids")) == stats.amperity_ids
    assert float(figures.value("dedupe_rate")) == pytest.approx(stats.dedupe_rate, abs=1e-6)
    assert int(figures.value("singletons")) == stats.cluster_sizes["1"]
    assert int(figures.value("largest_cluster")) == stats.largest_cluster
    assert int(figures.value("pairs_scored")) == stats.pairs_scored
    assert float(figures.value("total_seconds")) == pytest.approx(sum(stats.stage_seconds.values()), abs=1e-3)
    assert {e["data-stage"] for e in figures.figure("stage_seconds")} == set(stats.stage_seconds)
    assert f"{stats.records:,}" in dom and f"{stats.dedupe_rate:.1%}" in dom


@needs_chromium
def test_cluster_size_buckets(rendered):
    result, _, _, figures, _ = rendered
    shown = {e["data-bucket"]: int(e["data-value"]) for e in figures.figure("cluster_size")}
    assert list(shown) == ["1", "2", "3", "4", "5", "6-10", "11-20", "21-63", "64+"]
    assert shown == result.stats.cluster_sizes


@needs_chromium
def test_source_overlap_counts_exact_sets_of_datasources(rendered):
    result, _, _, figures, _ = rendered
    sources: dict[str, set[str]] = {}
    for row in result.unified_coalesced.select(["amperity_id", "datasource"]).to_pylist():
        sources.setdefault(row["amperity_id"], set()).add(row["datasource"])
    expected = Counter(frozenset(s) for s in sources.values())
    shown = {frozenset(json.loads(e["data-sources"])): int(e["data-value"]) for e in figures.figure("overlap")}
    assert shown == dict(expected)
    assert len(expected) > 3  # the population spreads people over several source combinations
    per_source = Counter(ds for s in sources.values() for ds in s)
    assert {e["data-source"]: int(e["data-value"]) for e in figures.figure("source_ids")} == dict(per_source)


@needs_chromium
def test_score_distribution_by_match_category(rendered):
    result, _, _, figures, _ = rendered
    scores = result.unified_scores.to_pylist()
    expected = Counter(s["match_category"] for s in scores)
    assert {e["data-category"]: int(e["data-value"]) for e in figures.figure("score_category")} == dict(expected)
    binned = Counter()
    for e in figures.figure("score_bin"):
        binned[e["data-category"]] += int(e["data-value"])
    assert binned == expected


@needs_chromium
def test_example_clusters_show_their_records_and_pair_scores(rendered):
    result, _, _, figures, _ = rendered
    examples = [e for e in figures.elements if e["tag"] == "article"]
    assert len(examples) == 10
    assert {e["data-reason"] for e in examples} == {"largest", "weakest pair", "random sample"}
    assert len({e["data-example"] for e in examples}) == 10

    largest = examples[0]
    assert largest["data-reason"] == "largest" and int(largest["data-size"]) == result.stats.largest_cluster
    members = {
        (r["datasource"], r["pk"])
        for r in result.unified_coalesced.select(["amperity_id", "datasource", "pk"]).to_pylist()
        if r["amperity_id"] == largest["data-example"]
    }
    rows = [e for e in figures.elements if e["tag"] == "tr" and e["in_example"] == largest["data-example"]]
    assert {(r["data-datasource"], r["data-pk"]) for r in rows if "data-pk" in r} == members

    scores = {
        (s["amperity_id"], s["source1"], s["pk1"], s["source2"], s["pk2"]): s["score"]
        for s in result.unified_scores.to_pylist()
    }
    pairs = [e for e in figures.elements if e.get("class") == "pair"]
    assert pairs
    for pair in pairs:
        key = (pair["in_example"], pair["data-source1"], pair["data-pk1"], pair["data-source2"], pair["data-pk2"])
        assert float(pair["data-score"]) == scores[key]
    assert min(float(p["data-score"]) for p in pairs) == min(scores.values())  # the weakest pair is shown


@needs_chromium
def test_the_screenshot_is_a_real_rendering(rendered):
    *_, png = rendered
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (1280, 2200)
    assert png.stat().st_size > 50_000  # a blank page of that size compresses to a few kB


# Without a browser: inputs, escaping and bounds, on synthetic Stitch tables.


def synthetic(sizes: list[int], *, scores: bool = True, given_name: str = "Ann") -> dict[str, pa.Table]:
    """Clusters of the given sizes; each cluster a chain of pairs scored 3.0 + 0.01 * position."""
    records, pairs = [], []
    for c, size in enumerate(sizes):
        for i in range(size):
            records.append({"amperity_id": f"c{c}", "datasource": ("POS", "Web")[i % 2], "pk": f"c{c}r{i}",
                            "given_name": given_name, "surname": "Quill", "email": f"a{c}@x.test"})  # fmt: skip
            if i:
                pairs.append({"amperity_id": f"c{c}", "source1": ("POS", "Web")[(i - 1) % 2], "pk1": f"c{c}r{i - 1}",
                              "source2": ("POS", "Web")[i % 2], "pk2": f"c{c}r{i}", "score": 3.0 + 0.01 * (i % 100),
                              "match_category": "High", "match_type": "scored"})  # fmt: skip
    tables = {"unified_coalesced": pa.Table.from_pylist(records)}
    if scores:
        tables["unified_scores"] = pa.Table.from_pylist(pairs)
    return tables


def parse(path: Path) -> Figures:
    figures = Figures()
    figures.feed(path.read_text(encoding="utf-8"))
    return figures


def test_every_value_is_escaped(tmp_path):
    tables = synthetic([2, 1], given_name='<script>alert("x")</script>')
    path = write_stitch_report(tables, {}, tmp_path / "r.html", title="<b>Run</b> & co")
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "&lt;b&gt;Run&lt;/b&gt; &amp; co" in text


def test_out_is_a_file_or_a_folder(tmp_path):
    tables = synthetic([2])
    assert write_stitch_report(tables, {}, tmp_path / "a" / "run.html", title="t") == tmp_path / "a" / "run.html"
    assert write_stitch_report(tables, {}, tmp_path / "b", title="t") == tmp_path / "b" / REPORT_FILE
    assert not list((tmp_path / "b").glob(".*.tmp"))


def test_bad_input_is_named(tmp_path):
    tables = synthetic([2])
    without_pk = {"unified_coalesced": tables["unified_coalesced"].drop_columns(["pk"])}
    with pytest.raises(ValueError, match=r"table 'unified_coalesced' lacks column\(s\) pk; expected amperity_id, datasource, pk"):
        write_stitch_report(without_pk, {}, tmp_path, title="t")
    with pytest.raises(ValueError, match=r"no 'unified_coalesced' table among \['unified_scores'\]"):
        write_stitch_report({"unified_scores": tables["unified_scores"]}, {}, tmp_path, title="t")
    with pytest.raises(ValueError, match=r"stats say 5 records but unified_coalesced holds 2 rows"):
        write_stitch_report(tables, {"records": 5}, tmp_path, title="t")


def test_a_supersized_cluster_is_summarised_not_dumped(tmp_path):
    tables = synthetic([2000, 3, 2, 1])
    path = write_stitch_report(tables, {}, tmp_path, title="t", examples=3)
    figures = parse(path)
    big = [e for e in figures.elements if e.get("data-example") == "c0"]
    assert big and big[0]["data-reason"] == "largest" and big[0]["data-size"] == "2000"
    rows = [e for e in figures.elements if e["tag"] == "tr" and e["in_example"] == "c0"]
    assert len([r for r in rows if "data-pk" in r]) == 40 and len([r for r in rows if r.get("class") == "pair"]) == 60
    assert "showing 40 of 2,000" in path.read_text(encoding="utf-8")
    assert figures.value("cluster_size", bucket="64+") == "1"
    assert path.stat().st_size < 200_000


def test_examples_are_deterministic_and_work_without_scores(tmp_path):
    tables = synthetic([5, 4, 3, 3, 2, 2, 2, 2, 2, 1, 1])
    first = [e["data-example"] for e in parse(write_stitch_report(tables, {}, tmp_path / "1.html", title="t")).elements if e["tag"] == "article"]
    again = [e["data-example"] for e in parse(write_stitch_report(tables, {}, tmp_path / "2.html", title="t")).elements if e["tag"] == "article"]
    assert first == again and len(first) == 9  # every multi-record cluster, no repeats
    plain = write_stitch_report({"unified_coalesced": tables["unified_coalesced"]}, {}, tmp_path / "3.html", title="t")
    text = plain.read_text(encoding="utf-8")
    assert "no pair scores" in text
    assert [e["data-reason"] for e in parse(plain).elements if e["tag"] == "article"][:4] == ["largest"] * 4


def test_score_bins_keep_edge_scores_in_the_bin_they_start(tmp_path):
    tables = synthetic([2, 2, 2, 2])
    edges = [(4.9, "Excellent"), (5.0, "Exact"), (3.0, "High"), (3.7, "High")]
    scores = tables["unified_scores"].to_pylist()
    for row, (score, category) in zip(scores, edges, strict=True):
        row.update(score=score, match_category=category)
    tables["unified_scores"] = pa.Table.from_pylist(scores)
    figures = parse(write_stitch_report(tables, {}, tmp_path, title="t"))
    shown = {(e["data-low"], e["data-category"]): e["data-value"] for e in figures.figure("score_bin")}
    assert shown == {("4.9", "Excellent"): "1", ("4.9", "Exact"): "1", ("3", "High"): "1", ("3.7", "High"): "1"}


@pytest.mark.parametrize("sources", [3, 70], ids=["bit-masks", "more-sources-than-bits"])
def test_source_overlap_counts(tmp_path, sources):
    names = [f"S{n:02d}" for n in range(sources)]
    sets = [names[:2], names[:2], names[1:3], [names[0]], [names[-1]], names]  # one ID per set
    records = [
        {"amperity_id": f"id{i}", "datasource": ds, "pk": f"{i}-{ds}"} for i, members in enumerate(sets) for ds in members
    ]
    figures = parse(write_stitch_report({"unified_coalesced": pa.Table.from_pylist(records)}, {}, tmp_path, title="t"))
    shown = {tuple(json.loads(e["data-sources"])): int(e["data-value"]) for e in figures.figure("overlap")}
    assert shown == {tuple(names[:2]): 2, tuple(names[1:3]): 1, (names[0],): 1, (names[-1],): 1, tuple(names): 1}
    per_source = {e["data-source"]: int(e["data-value"]) for e in figures.figure("source_ids")}
    assert per_source[names[0]] == 4 and per_source[names[1]] == 4 and per_source[names[-1]] == (3 if sources == 3 else 2)


def test_an_empty_run_still_makes_a_report(tmp_path):
    tables = {name: table.slice(0, 0) for name, table in synthetic([2]).items()}
    figures = parse(write_stitch_report(tables, {"records": 0}, tmp_path, title="t"))
    assert (figures.value("records"), figures.value("amperity_ids"), figures.value("dedupe_rate")) == ("0", "0", "0.000000")
    assert {e["data-value"] for e in figures.figure("cluster_size")} == {"0"}
    assert not figures.figure("overlap") and not [e for e in figures.elements if e["tag"] == "article"]
