"""What every tenant config model shares: strict pydantic models, names, fractions, folders."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def check_identifier(value: str) -> str:
    if not IDENTIFIER.match(value):
        raise ValueError(
            f"{value!r} is not a valid name: use letters, digits and underscores, starting with a letter"
        )
    return value


Name = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(check_identifier)]
"""The name of a tenant, source, feed, courier, table, destination...: an identifier, because
it becomes a SQL name, part of an asset key and part of a storage path."""


def inside_folder(path: str, folder: str, *, what: str | None = None) -> str:
    """`path` when it is a relative path that stays inside `folder`, else ValueError.

    Couriers read <landing>/<tenant>/<location.path>/<pattern> and destinations write
    <exports>/<tenant>/<path>: an absolute path, a `..` or a `~` would reach any file the
    process can read or write. A backslash is refused too, so a path means the same on every OS.
    `what` names the path in the message (default: the path itself)."""
    problem = None
    if "\x00" in path:
        problem = "contains a NUL character"
    elif "\\" in path:
        problem = "contains a backslash (separate folders with /)"
    elif path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        problem = "is absolute"
    elif ".." in path.split("/"):
        problem = "has a '..' component"
    elif path.startswith("~"):
        problem = "starts with '~'"
    if problem:
        raise ValueError(f"{what or repr(path)} {problem}: it must stay inside {folder}")
    return path


def parse_threshold(value):
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage: expected a share such as 0.01 or 1%") from None
    return value


Share = Annotated[float, BeforeValidator(parse_threshold), Field(ge=0.0, le=1.0)]
"""A fraction: 0.005 or "0.5%"."""
