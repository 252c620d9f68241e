"""Stitch settings written as YAML (a `stitch.yaml` for the command, `stitch.settings` in a tenant).

The keys are StitchSettings' fields; Amperity's hyphenated spelling (`block-size-cap`) works too.
`threshold` takes a number 1-5 or a category name (Weak, Moderate, High, Excellent, Exact);
`rules` and `bad_value_rules` are lists of mappings; `nicknames` takes `add:` and `remove:` lists
of [canonical name, nickname] pairs; `preset` starts from a named preset (stitch.settings.PRESETS,
e.g. record-linkage) that the other keys then override. Every problem comes back as (key path,
message), so callers can name the file and line (`tenant_check` for a tenant's settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from amperity_pipelines.config.yaml_lines import load_located
from amperity_pipelines.stitch.settings import PRESETS, BadValueRule, Rule, StitchSettings

CATEGORY_THRESHOLDS = {"weak": 1, "moderate": 2, "high": 3, "excellent": 4, "exact": 5}
FIELDS = set(StitchSettings.__dataclass_fields__) - {"nickname_changes"}
Problem = tuple[tuple, str]


class StitchSettingsError(ValueError):
    """A stitch.yaml that cannot be used; the message names the file, line and key."""


def parse_settings(data: object) -> tuple[StitchSettings | None, list[Problem]]:
    """StitchSettings from plain YAML data, or None and every problem found."""
    if data is None:
        return StitchSettings(), []
    if not isinstance(data, Mapping):
        return None, [((), "expected a mapping of Stitch settings")]
    values: dict[str, object] = {}
    problems: list[Problem] = []
    base: dict[str, object] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        path = (raw_key,)
        if key == "preset":
            if not isinstance(value, str) or value not in PRESETS:
                problems.append((path, f"unknown Stitch settings preset {value!r}: expected one of {', '.join(PRESETS)}"))
            else:
                base = dict(PRESETS[value])
            continue
        if key == "nicknames":
            changes, found = _nicknames(value, path)
            problems += found
            values["nickname_changes"] = changes
            continue
        if key not in FIELDS:
            problems.append((path, f"unknown Stitch setting {raw_key!r}: expected one of {', '.join(sorted(FIELDS | {'nicknames', 'preset'}))}"))
            continue
        try:
            values[key] = _value(key, value)
            StitchSettings(**{key: values[key]})  # each setting checked alone, so the error has a key
        except (TypeError, ValueError) as err:
            problems.append((path, str(err)))
            values.pop(key, None)
    if problems:
        return None, problems
    try:
        return StitchSettings(**{**base, **values}), []
    except (TypeError, ValueError) as err:
        return None, [((), str(err))]


def load_settings_file(path: Path) -> StitchSettings:
    """Read a stitch.yaml; raises StitchSettingsError naming file:line: key: problem."""
    if not path.is_file():
        raise StitchSettingsError(f"{path}: no such file")
    located = load_located(path)
    settings, problems = parse_settings(located.data)
    if problems:
        lines = [f"{path}:{located.line_of(where) or '?'}: {'.'.join(map(str, where)) or '(top)'}: {message}" for where, message in problems]
        raise StitchSettingsError("\n".join(lines))
    return settings


def _value(key: str, value: object) -> object:
    if key == "threshold" and isinstance(value, str):
        if value.lower() not in CATEGORY_THRESHOLDS:
            raise ValueError(f"threshold {value!r}: expected 1-5 or one of Weak, Moderate, High, Excellent, Exact")
        return CATEGORY_THRESHOLDS[value.lower()]
    if key == "rules":
        return tuple(Rule(**_mapping(item, "a rule", ("condition", "semantic"))) for item in _list(value, key))
    if key == "bad_value_rules":
        return tuple(
            BadValueRule(**_mapping(item, "a bad-value rule", ("semantic", "proxy", "threshold"))) for item in _list(value, key)
        )
    if key in ("strategies", "tf_adjusted"):
        return tuple(_list(value, key))
    return value


def _nicknames(value: object, path: tuple) -> tuple[tuple[tuple[str, str, str], ...], list[Problem]]:
    if not isinstance(value, Mapping) or set(value) - {"add", "remove"}:
        return (), [(path, "expected `add:` and/or `remove:`, each a list of [canonical name, nickname] pairs")]
    changes, problems = [], []
    for action in ("add", "remove"):
        pairs = value.get(action) or []
        if not isinstance(pairs, list):
            problems.append(((*path, action), f"expected a list of [canonical name, nickname] pairs, got {pairs!r}"))
            continue
        for index, pair in enumerate(pairs):
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) and p.strip() for p in pair)):
                problems.append(((*path, action, index), f"expected [canonical name, nickname], got {pair!r}"))
                continue
            changes.append((pair[0].strip().lower(), pair[1].strip().lower(), action.upper()))
    return tuple(changes), problems


def _list(value: object, key: str) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list")
    return value


def _mapping(item: object, what: str, keys: tuple[str, ...]) -> dict:
    if not isinstance(item, Mapping):
        raise ValueError(f"{what} is a mapping with {', '.join(keys)}; got {item!r}")
    unknown = set(item) - set(keys)
    if unknown:
        raise ValueError(f"{what} takes {', '.join(keys)}; unknown: {', '.join(sorted(map(str, unknown)))}")
    return {str(k): v for k, v in item.items()}
