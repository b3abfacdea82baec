"""Two probes behind the figures of ``benches/run`` that the full run cannot show: where the time goes.

    bash scripts/setup.sh      # builds static/pyqueue.zip from the working tree
    .venv/bin/python benches/probes.py --enqueue 2000
    .venv/bin/python benches/probes.py --depth 1000,100000 --churn 1000 --reads 1000

``--enqueue N``: N single enqueues alternated with N bare puts from Python
(Pyodide's floor, as in the ``ab`` case), each cut into segments (see
``probes_cases.SEGMENTS``): the mean ms of each segment, side by side.

``--depth``: for each level, a new database of that many pending tasks; its
single reads timed (``benchJs.headReads``), then again after each of two
rounds of *churn* tasks enqueued, then claimed and completed by a runner, as
the ``depth`` case of ``benches/run`` does (so every round reads at the
level). Says which reads slow down as a store grows and is worked, and
whether the JS loop's way of reading the head does better.
"""

from __future__ import annotations

import argparse
import json
import sys

import bench  # benches/bench.py, beside this script

CHURN_ROUNDS = 2
CASES_IN_PYODIDE = "/home/pyodide/app/probes_cases.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enqueue", type=int, default=0, help="single enqueues (and bare puts) to cut in segments")
    parser.add_argument("--depth", default="", help="comma-separated levels (pending tasks) to read at")
    parser.add_argument("--churn", type=int, default=1_000, help="tasks claimed and completed between read rounds")
    parser.add_argument("--reads", type=int, default=1_000, help="reads of each kind per round")
    args = parser.parse_args()
    levels = [int(level) for level in args.depth.split(",") if level]
    if not args.enqueue and not levels:
        parser.error("give --enqueue N and/or --depth LEVELS")
    with bench.serve() as base_url, bench.browser(base_url) as context:
        page = bench.BenchPage(context)
        page.js("([url, path]) => window.pyLoadFile(url, path)", ["/benches/probes_cases.py", CASES_IN_PYODIDE])
        page.py("import probes_cases")
        if args.enqueue:
            bench.log(f"enqueue: {args.enqueue:,} single enqueues alternated with bare puts")
            print(json.dumps({"enqueue_segments_ms": page.py(f"await probes_cases.enqueue_segments({args.enqueue})")}))
        for level in levels:
            name = f"bench-probe-depth-{level}"
            bench.log(f"depth {level:,}: filling")
            page.py(f"await probes_cases.depth_fill({name!r}, {level})")
            for round_ in range(CHURN_ROUNDS + 1):
                churn_ms = None
                if round_:
                    bench.log(f"depth {level:,}: churn {round_}/{CHURN_ROUNDS}")
                    churn_ms = page.py(f"await probes_cases.depth_churn({name!r}, {args.churn})")
                reads = page.js("([name, reps]) => window.benchJs.headReads(name, reps)", [name, args.reads])
                print(json.dumps({"level": level, "round": round_, "churn_ms_per_task": churn_ms, "read_ms": reads}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
