"""A Stitch run's tables on disk: one Parquet file per table plus the settings and figures.

DIR/<table>.parquet for every table the run produced (unified_coalesced, unified_scores, ...),
DIR/stitch_settings.json and DIR/stitch_stats.json. Written to a temporary folder first and
renamed, so DIR never holds a partial run.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from amperity_pipelines.stitch.result import StitchResult
from amperity_pipelines.stitch.settings import StitchSettings, settings_from_dict, settings_to_dict

SETTINGS_FILE, STATS_FILE = "stitch_settings.json", "stitch_stats.json"


def save_result(result: StitchResult, directory: str | Path) -> Path:
    """Write `result` into `directory` (replacing it whole)."""
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for name, data in result.tables().items():
            pq.write_table(data, staging / f"{name}.parquet")
        if isinstance(result.settings, StitchSettings):
            (staging / SETTINGS_FILE).write_text(json.dumps(settings_to_dict(result.settings), indent=2))
        (staging / STATS_FILE).write_text(json.dumps(result.stats.as_dict(), indent=2))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def load_tables(directory: str | Path) -> tuple[dict[str, pa.Table], StitchSettings | None]:
    """The tables and settings a `save_result` wrote."""
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"no Stitch output folder {folder}")
    tables = {path.stem: pq.read_table(path) for path in sorted(folder.glob("*.parquet"))}
    settings_path = folder / SETTINGS_FILE
    settings = settings_from_dict(json.loads(settings_path.read_text())) if settings_path.exists() else None
    return tables, settings
