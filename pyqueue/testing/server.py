"""A static file server for pages that load Pyodide: loopback, correct MIME types, never stale.

``serving(root)`` runs one in a background thread for tests and benchmarks;
``make_server`` returns one bound but not yet serving (scripts/serve.py).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Browsers refuse ES modules served with a wrong type, and WebAssembly streaming
# compilation needs application/wasm.
MIME_TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".json": "application/json",
    ".css": "text/css",
    ".html": "text/html",
    ".py": "text/x-python",
    ".map": "application/json",
    ".svg": "image/svg+xml",
}


REVALIDATED = frozenset({".wasm"})
"""Extensions served ``no-cache`` (kept, asked for again each time) rather than ``no-store``.

Chromium keeps the optimized machine code of a WebAssembly module beside the
module's entry in its HTTP cache and takes it from there on the next load of
an unchanged module: a page then starts running Pyodide in optimized code.
Under ``no-store`` every page compiles the runtime anew and starts in its
baseline tier, so whatever runs first (the imports of an app) runs slowly,
as on no returning visit of a real site. ``no-cache`` still never serves a
stale file: the browser asks each time, and gets 304 only while the file's
modification time is unchanged.
"""


class Handler(SimpleHTTPRequestHandler):
    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return MIME_TYPES.get(os.path.splitext(path)[1].lower()) or super().guess_type(path)

    def end_headers(self) -> None:
        # Pages and a rebuilt package zip must never come from the browser cache.
        extension = os.path.splitext(self.path.partition("?")[0])[1].lower()
        self.send_header("Cache-Control", "no-cache" if extension in REVALIDATED else "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: one line per request drowns the useful output


def make_server(root: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """Return a bound (not yet serving) server for *root*; port 0 picks a free port."""
    handler = functools.partial(Handler, directory=os.fspath(root))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


@contextlib.contextmanager
def serving(root: str | os.PathLike[str]) -> Iterator[str]:
    """Serve *root* on a free loopback port in a background thread; yield its base URL (ending in ``/``)."""
    server = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, name="pyqueue-static-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
