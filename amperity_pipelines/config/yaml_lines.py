"""YAML loading that remembers where every value came from, so errors can name a line.

It also refuses what PyYAML accepts silently: a key written twice (the last one would win) and
aliases that expand into millions of values (a "billion laughs" would hang validation)."""

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


MAX_EXPANDED_NODES = 200_000
"""How many values a document may hold once its aliases (*name) are expanded. A tenant file has
a few thousand; nine levels of nine aliases (a "billion laughs") have 9**9, which validating
would take hours and gigabytes to walk."""


def load_located(path: Path) -> LocatedYaml:
    text = read_utf8(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_aliases(path, node)
            _check_duplicate_keys(path, node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise YamlSyntaxError(path, mark.line + 1 if mark else None, f"invalid YAML: {err.problem or err}") from None
    except RecursionError:
        raise YamlSyntaxError(path, None, "YAML nested too deeply to read") from None
    finally:
        loader.dispose()
    located = LocatedYaml(data)
    if node is not None:
        _walk(node, (), located.lines)
    return located


def read_utf8(path: Path) -> str:
    """A config file's text; ConfigTextError with the line of the first byte that is not UTF-8."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        bom = data[:2].hex(" ")
        raise ConfigTextError(path, 1, f"not valid UTF-8: the file is UTF-16 (it starts with the byte-order mark {bom}); save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        byte = data[err.start]
        raise ConfigTextError(path, line, f"not valid UTF-8: byte 0x{byte:02x} (save the file as UTF-8)") from None


def _check_aliases(path: Path, root: yaml.Node) -> None:
    """YamlSyntaxError when the document, its aliases expanded, holds over MAX_EXPANDED_NODES values.

    Counted on the composed nodes, where an alias is the anchored node again (not a copy), each
    node once: the count costs the size of the file, not of its expansion."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:  # a recursive alias (&a [*a]): the models report the cycle
            return 1
        in_progress.add(key)
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                break
        in_progress.discard(key)
        sizes[key] = total
        if total > MAX_EXPANDED_NODES:
            message = (
                f"YAML aliases expand too much: over {MAX_EXPANDED_NODES:,} values once every *alias is "
                "replaced by its anchor (&anchor); write the values out or use fewer aliases"
            )
            raise YamlSyntaxError(path, node.start_mark.line + 1, message)
        return total

    size(root)


def _check_duplicate_keys(path: Path, root: yaml.Node) -> None:
    """YamlSyntaxError naming the first key written twice in one mapping (YAML keeps the last one
    silently, so the first is ignored); merge keys (<<: *base) may be overridden as usual."""
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                stack += [key_node, value_node]
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                line = key_node.start_mark.line + 1
                key = (key_node.tag, key_node.value)
                if key in first:
                    message = f"duplicate key {key_node.value!r} (first on line {first[key]}): YAML would silently keep only the last one"
                    raise YamlSyntaxError(path, line, message)
                first[key] = line
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


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
