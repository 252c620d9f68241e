"""YAML loading that remembers where every value came from, so errors can name a line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass
class LocatedYaml:
    """Parsed YAML plus the 1-based line of every path (tuple of keys / list indexes)."""

    data: object
    lines: dict[tuple, int] = field(default_factory=dict)

    def line_of(self, path: tuple) -> int | None:
        """The line of the deepest prefix of `path` that exists in the document."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class ConfigTextError(ValueError):
    """A config file that cannot be read: not UTF-8, or (YamlSyntaxError) not YAML."""

    def __init__(self, file: Path, line: int | None, message: str):
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line or '?'}: {message}")


class YamlSyntaxError(ConfigTextError):
    pass


def load_located(path: Path) -> LocatedYaml:
    text = read_utf8(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise YamlSyntaxError(path, mark.line + 1 if mark else None, f"invalid YAML: {err.problem or err}") from None
    located = LocatedYaml(data)
    if node is not None:
        _walk(node, (), located.lines)
    return located


def read_utf8(path: Path) -> str:
    """A config file's text; ConfigTextError with the line of the first byte that is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        byte = data[err.start]
        raise ConfigTextError(path, line, f"not valid UTF-8: byte 0x{byte:02x} (save the file as UTF-8)") from None


def _walk(node: yaml.Node, path: tuple, lines: dict[tuple, int], seen: set[int] | None = None) -> None:
    lines[path] = node.start_mark.line + 1
    # An alias (*name) is the anchored node again: walk each node once, so that a recursive
    # alias (&a [*a]) or a pyramid of aliases cannot loop or blow up; lines under an alias
    # fall back to the alias's own line (line_of takes the deepest known prefix).
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines, seen)
            # The key's own line is more useful than a multi-line value's first line.
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines, seen)
