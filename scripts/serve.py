"""Tiny static file server for pyqueue's pages, rooted at the repository.

Run it (``bash scripts/serve.sh`` does) or import it: tests and benchmarks call
``serving(REPO_ROOT)``, which yields the base URL of a server running in a thread.
The server is :mod:`pyqueue.testing.server`, the one users' tests get from the pytest plugin.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pyqueue.testing.server import MIME_TYPES, make_server, serving

__all__ = ["MIME_TYPES", "REPO_ROOT", "main", "make_server", "serving"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    httpd = make_server(REPO_ROOT, args.host, args.port)
    print(f"pyqueue is served at http://{args.host}:{httpd.server_address[1]}/", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
