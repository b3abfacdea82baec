"""Two versions of pyqueue in one page, alternated: a git ref's and the working tree's.

    bash scripts/setup.sh      # builds static/pyqueue.zip from the working tree
    .venv/bin/python benches/versions.py --ref main --n 800 --many 500 --many-runs 10
    .venv/bin/python benches/versions.py --ref main --process    # runner chunks instead

The enqueue mode alternates op by op; ``--process`` alternates runner chunks
(concurrency 1 without batches, then 4 with batches), of the sizes of the
``ab`` case of ``benches/bench.py``.

Separate runs of ``benches/run`` on a shared machine differ by more than a
change to the enqueue moves it; here the load falls on both versions alike.
The ref's ``pyqueue/`` is written into the page as ``pyqueue_base`` (its
imports are relative). Prints the medians of single enqueues (and of the bare
put from Python, Pyodide's floor, as in the ``ab`` case) and of ``enqueue_many``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import bench  # benches/bench.py, beside this script

PACKAGE_DIR = "/home/pyodide/versions"


def ref_files(ref: str) -> dict[str, str]:
    """The Python files of ``pyqueue/`` at *ref*: path inside the package -> text."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True, cwd=bench.REPO_ROOT).stdout

    names = [n for n in git("ls-tree", "-r", "--name-only", ref, "pyqueue").split() if n.endswith(".py")]
    return {name.removeprefix("pyqueue/"): git("show", f"{ref}:{name}") for name in names}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="the git ref to compare the working tree with")
    parser.add_argument("--n", type=int, default=800, help="single enqueues of each version")
    parser.add_argument("--many", type=int, default=500, help="tasks per enqueue_many")
    parser.add_argument("--many-runs", type=int, default=10, help="enqueue_many runs of each version")
    parser.add_argument("--process", action="store_true", help="alternate runner chunks instead of enqueues")
    parser.add_argument("--chunks", type=int, default=bench.FULL.ab_chunks, help="runner chunks of each version")
    parser.add_argument("--chunk-n", type=int, default=bench.FULL.ab_chunk_n, help="tasks per chunk at c1 (x2 at c4)")
    args = parser.parse_args()
    with bench.serve() as base_url, bench.browser(base_url) as context:
        page = bench.BenchPage(context)
        for path, text in ref_files(args.ref).items():
            page.js(
                """([path, text]) => {
                    window.pyodide.FS.mkdirTree(path.substring(0, path.lastIndexOf("/")));
                    window.pyodide.FS.writeFile(path, text);
                }""",
                [f"{PACKAGE_DIR}/pyqueue_base/{path}", text],
            )
        page.py(f"import sys\nsys.path.insert(0, {PACKAGE_DIR!r})\nNone")
        cases = ["/benches/versions_cases.py", "/home/pyodide/app/versions_cases.py"]
        page.js("([url, path]) => window.pyLoadFile(url, path)", cases)
        page.py("import versions_cases")
        if args.process:
            call = f"alternate_process({args.chunks}, {args.chunk_n}, {bench.FULL.batch_size})"
        else:
            call = f"alternate({args.n}, {args.many}, {args.many_runs})"
        result = page.py(f"await versions_cases.{call}")
    print(json.dumps({"ref": args.ref, **result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
