from __future__ import annotations

import pytest

from amperity_pipelines.config.models import DestinationSpec


@pytest.fixture
def destination():
    """A DestinationSpec factory with test defaults (folder `out`, name template without a date)."""

    def make(**settings) -> DestinationSpec:
        settings.setdefault("name", "test_destination")
        settings.setdefault("path", "out")
        settings.setdefault("filename_template", "{name}")
        return DestinationSpec(**settings)

    return make
