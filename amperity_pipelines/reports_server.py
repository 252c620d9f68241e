"""A read-only web server for the reports a lakehouse holds, so links in the Dagster UI open.

Browsers do not open `file://` links from a web page, so the Stitch QA reports and the Great
Expectations Data Docs that runs write under a local lakehouse (`<root>/<tenant>/reports/` and
`<root>/<tenant>/quality/data_docs/`) are served over HTTP on 127.0.0.1, and asset metadata links
to them there. Nothing else under the root is served: Delta tables, quarantine and the load
ledger stay unreachable (every other path, and any path that leaves the root, is a 404).
"""

from __future__ import annotations

import http.server
from functools import partial
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

SERVED = (("reports",), ("quality", "data_docs"))
"""Folders below `<root>/<tenant>/` that are served."""


def is_served(relative: str) -> bool:
    """Whether a path relative to the lakehouse root (as in a URL) may be served."""
    parts = PurePosixPath(relative).parts
    if not parts or any(part in ("..", ".") or part.startswith("_") for part in parts):
        return False
    return any(tuple(parts[1 : 1 + len(folder)]) == folder and len(parts) > 1 + len(folder) for folder in SERVED)


def report_url(base_url: str, root: str | Path, path: Path) -> str:
    """The URL of a report file under `root` on the server at `base_url`; a file:// URI when
    there is no server or the file is not one it serves."""
    try:
        relative = Path(path).absolute().relative_to(Path(str(root)).absolute()).as_posix()
    except ValueError:
        return Path(path).absolute().as_uri()
    if not base_url or not is_served(relative):
        return Path(path).absolute().as_uri()
    return f"{base_url.rstrip('/')}/{quote(relative)}"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def send_head(self):
        relative = unquote(urlsplit(self.path).path).lstrip("/")
        if not is_served(relative) or not (Path(self.directory) / relative).resolve().is_relative_to(Path(self.directory).resolve()):
            self.send_error(404, "not a report")
            return None
        return super().send_head()

    def list_directory(self, path):
        self.send_error(404, "not a report")
        return None

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def serve(root: str | Path, *, host: str = "127.0.0.1", port: int = 3001) -> http.server.ThreadingHTTPServer:
    """A server for `root`'s reports (not started: call serve_forever)."""
    handler = partial(_Handler, directory=str(Path(root).absolute()))
    return http.server.ThreadingHTTPServer((host, port), handler)
