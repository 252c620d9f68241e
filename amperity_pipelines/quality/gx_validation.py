"""Run a table's expectation suite with Great Expectations 1.x and keep what it found.

One GX file context per quality folder (`<lakehouse>/<tenant>/quality/gx`), created once per
process: it stores every validation result as JSON and renders the Data Docs site into
`<lakehouse>/<tenant>/quality/data_docs/`, so results of past runs stay browsable. GX is
imported inside the functions here: the import costs 10-20 s, and Dagster loads the code
location (and the config loader) without ever needing it.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amperity_pipelines.quality.expectations import ExpectationConfig, TableSuite

if TYPE_CHECKING:
    import pandas as pd

DATA_SOURCE = "lakehouse"
BATCH_DEFINITION = "whole_batch"
DOCS_SITE = "quality_site"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class FailedExpectation:
    type: str
    kwargs: dict
    origin: str
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    examples: list[dict] = field(default_factory=list)
    """Failing rows: key columns plus the values that failed (at most `examples` of them)."""
    error: str | None = None
    """Set when GX could not evaluate the expectation at all (e.g. a wrong argument type)."""

    @property
    def column(self) -> str:
        return str(self.kwargs.get("column") or ", ".join(self.kwargs.get("column_list") or []) or "(table)")

    def summary(self) -> str:
        if self.error:
            return f"{self.type} on {self.column}: could not run: {self.error}"
        if self.unexpected_count is not None and self.unexpected_percent is not None:
            return f"{self.type} on {self.column}: {self.unexpected_count:,} failing ({self.unexpected_percent:.2f}%)"
        return f"{self.type} on {self.column}: observed {self.observed_value!r}"


@dataclass(frozen=True)
class ValidationOutcome:
    success: bool
    evaluated: int
    successful: int
    failures: list[FailedExpectation]
    result_file: Path | None
    """The validation result JSON GX stored for this run."""
    data_docs: Path | None
    """The Data Docs HTML page of this validation result."""
    docs_index: Path | None = None
    """The Data Docs site's index page (every stored validation of the tenant)."""


def quality_context(root: str | Path):
    """The GX file context under `root` (created on first use), one per process and folder."""
    return _context(str(Path(root).absolute()))


@functools.cache
def _context(root: str):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=root)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(Path(root) / "data_docs")},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "validation_results_limit": 200},
    }
    sites = context.list_data_docs_sites()
    if set(sites) != {DOCS_SITE} or sites[DOCS_SITE] != site:
        for name in list(sites):
            context.delete_data_docs_site(name)
        context.add_data_docs_site(DOCS_SITE, site)
    context.variables.save()
    return context


def build_expectation(config: ExpectationConfig):
    """A GX expectation object; a bad argument names the expectation and where it came from."""
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        return get_expectation_impl(config.type)(**config.kwargs, meta={"origin": config.origin})
    except Exception as err:  # GX raises pydantic v1 errors or its own for unknown names
        raise ValueError(f"{config.type} ({config.origin}) with {config.kwargs}: {err}") from err


def validate_frame(
    root: str | Path,
    suite: TableSuite,
    frame: pd.DataFrame,
    *,
    run_name: str,
    examples: int = 5,
    batch_note: str = "",
) -> ValidationOutcome:
    """Validate `frame` against `suite` through a GX checkpoint that stores the result and
    updates the Data Docs; report failing expectations with up to `examples` failing rows."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier

    with _LOCK:  # one GX context per folder is not safe to mutate from two threads at once
        context = quality_context(root)
        source = _data_source(context)
        try:
            asset = source.get_asset(suite.name)
        except LookupError:
            asset = source.add_dataframe_asset(suite.name)
        try:
            batch = asset.get_batch_definition(BATCH_DEFINITION)
        except KeyError:
            batch = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
        gx_suite = gx.ExpectationSuite(
            name=suite.name,
            expectations=[build_expectation(config) for config in suite.expectations],
            meta={"notes": batch_note} if batch_note else {},
        )
        gx_suite = context.suites.add_or_update(gx_suite)
        definition = context.validation_definitions.add_or_update(gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite))
        result_format: dict = {"result_format": "SUMMARY", "partial_unexpected_count": examples}
        if suite.key_columns:
            result_format["unexpected_index_column_names"] = list(suite.key_columns)
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite.name,
                validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="update_data_docs", site_names=[DOCS_SITE])],
                result_format=result_format,
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_name))
        [(identifier, validation)] = result.run_results.items()
        return ValidationOutcome(
            success=bool(validation.success),
            evaluated=int(validation.statistics.get("evaluated_expectations", 0)),
            successful=int(validation.statistics.get("successful_expectations", 0)),
            failures=_failures(validation.results, examples),
            result_file=_stored_file(context.validation_results_store.store_backend, identifier),
            data_docs=_docs_page(context, identifier),
            docs_index=_docs_page(context, None),
        )


def _data_source(context):
    try:
        return context.data_sources.get(DATA_SOURCE)
    except (KeyError, ValueError, LookupError):
        return context.data_sources.add_pandas(DATA_SOURCE)


def _failures(results, examples: int) -> list[FailedExpectation]:
    out = []
    for item in results:
        if item.success:
            continue
        config = item.expectation_config
        origin = (config.meta or {}).get("origin", "")
        body = item.result or {}
        error = _exception_message(item.exception_info)
        rows = body.get("partial_unexpected_index_list") or []
        if not rows and body.get("partial_unexpected_list"):
            rows = [{"value": value} for value in body["partial_unexpected_list"]]
        out.append(
            FailedExpectation(
                type=config.type,
                kwargs={k: v for k, v in config.kwargs.items() if k not in ("batch_id",)},
                origin=origin,
                unexpected_count=body.get("unexpected_count"),
                unexpected_percent=body.get("unexpected_percent"),
                observed_value=body.get("observed_value"),
                examples=[{k: _plain(v) for k, v in row.items()} for row in rows[:examples]],
                error=error,
            )
        )
    return out


def _exception_message(info) -> str | None:
    """GX reports an expectation it could not evaluate either directly or per failed metric."""
    if not info:
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info.get("raised_exception") else None
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _plain(value: Any) -> Any:
    """JSON-friendly values for Dagster metadata (dates and decimals as text, NA as None)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _stored_file(backend, identifier) -> Path | None:
    url = backend.get_url_for_key(identifier.to_tuple())
    return Path(url.removeprefix("file://")) if url and url.startswith("file://") else None


def _docs_page(context, identifier) -> Path | None:
    urls = context.get_docs_sites_urls(resource_identifier=identifier, site_name=DOCS_SITE)
    url = urls[0].get("site_url") if urls else None
    return Path(url.removeprefix("file://")) if url and url.startswith("file://") else None
