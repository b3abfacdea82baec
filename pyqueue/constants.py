"""Defaults and limits in one place, so that the store, the queue and the page agree."""

from __future__ import annotations

DB_NAME = "pyqueue"
"""Default IndexedDB database name."""

SCHEMA_VERSION = 3
"""IndexedDB schema version this code writes."""

MIN_PRIORITY = -1000
MAX_PRIORITY = 1000
"""Priorities are integers in this range; higher runs first."""

DEFAULT_MAX_ATTEMPTS = 3
MAX_ATTEMPTS_LIMIT = 1000

DEFAULT_LEASE_MS = 30_000.0
"""How long a claim is held before another runner may recover the task."""

MAX_PAYLOAD_BYTES = 1024 * 1024
"""Default limit on a payload's JSON size."""

MAX_TRACEBACK_CHARS = 20_000
"""Tracebacks are kept per attempt but clipped, so one failure cannot fill the quota."""

MAX_TIME_MS = 8.64e15
"""The largest time JavaScript's Date can hold; later run_at values are refused."""

PARKED_RUN_AT = 9e15
"""The run_at of a parked task: later than any time a user may give, so it is never due until unparked."""

MAX_SLEEP_MS = 60_000.0
"""The runner never sleeps longer than this in one go, idle or not: timers in browsers overflow past about
24 days, and one look a minute costs one claim while it keeps far-future deadlines honest and bounds what a
lost wake-up costs (a BroadcastChannel message that never came, a task written by another program): an idle
runner finds such a task within this time, never later."""
