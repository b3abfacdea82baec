"""Tiny static file server for pyqueue's pages, rooted at the repository.

Run it (``bash scripts/serve.sh`` does) or import it: tests call
``make_server(root, "127.0.0.1", 0)`` and run ``serve_forever`` in a thread.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

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


class Handler(SimpleHTTPRequestHandler):
    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return MIME_TYPES.get(os.path.splitext(path)[1].lower()) or super().guess_type(path)

    def end_headers(self) -> None:
        # Pages and the rebuilt pyqueue.zip must never come from the browser cache.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: one line per request drowns the useful output


def make_server(
    root: str | os.PathLike[str] = REPO_ROOT, host: str = "127.0.0.1", port: int = 8000
) -> ThreadingHTTPServer:
    """Return a bound (not yet serving) server for ``root``; port 0 picks a free port."""
    handler = functools.partial(Handler, directory=os.fspath(root))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


@contextlib.contextmanager
def serving(root: str | os.PathLike[str] = REPO_ROOT) -> Iterator[str]:
    """Serve *root* on a free loopback port in a background thread; yield its base URL (tests, benches)."""
    server = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, name="pyqueue-static-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    server = make_server(REPO_ROOT, args.host, args.port)
    print(f"pyqueue is served at http://{args.host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
