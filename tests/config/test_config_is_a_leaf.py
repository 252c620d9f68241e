"""config/ is a leaf: it imports nothing of the package outside config/, so every other part can
read the tenant config without dragging engines, Stitch or quality code in (the checks that need
them are in `tenant_check`)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import amperity_pipelines.config

CONFIG = Path(amperity_pipelines.config.__file__).parent


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, wherever it is (functions included); a
    relative import is resolved against amperity_pipelines.config."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = "amperity_pipelines.config".split(".")
                base = ".".join(package[: len(package) - node.level + 1])
                found.append((node.lineno, f"{base}.{node.module}" if node.module else base))
            else:
                found.append((node.lineno, node.module))
    return found


def test_config_imports_nothing_of_ours_outside_config():
    files = sorted(CONFIG.glob("*.py"))
    assert len(files) > 5
    outside = [
        f"{path.name}:{line}: {module}"
        for path in files
        for line, module in imported_modules(path)
        if module.split(".")[0] == "amperity_pipelines" and not (module + ".").startswith("amperity_pipelines.config.")
    ]
    assert outside == []


def test_importing_the_config_loads_no_other_module_of_ours():
    code = (
        "import sys, amperity_pipelines.config.loader, amperity_pipelines.config.models, "
        "amperity_pipelines.config.standard_tables; "
        "print(sorted(m for m in sys.modules if m.startswith('amperity_pipelines.') "
        "and not m.startswith('amperity_pipelines.config')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CONFIG.parents[1])
    assert done.stdout.strip() == "[]"
