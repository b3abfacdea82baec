"""A live dashboard of a queue, as a component any page mounts into an element of its choice. Needs Pyodide.

```python
from pyqueue.browser.dashboard import DashboardOptions, mount_dashboard

dashboard = mount_dashboard("queue-dashboard", queue, runner, DashboardOptions(retention=policy))
...
dashboard.unmount()
```

The host page gives an empty element and links the style sheet
``dashboard.css`` (shipped in this package: :data:`CSS_PATH`; serve it from
the page's origin, or pass its URL as ``DashboardOptions.css_url``). The
dashboard builds everything else: counts, the throughput chart, per-type
numbers, the task table with its filters, a task's detail with every
attempt's error and traceback, retry and cancel (one task, or all of the
filter's status and type), purge with a preview, the
retention policy's dry run, and export / import. Every text it shows is set
as text (``textContent``) and it needs no inline script or style, so it works
under a strict Content-Security-Policy (``script-src 'self' 'wasm-unsafe-eval';
style-src 'self'``).

One module per part: :mod:`.overview`, :mod:`.chart`, :mod:`.type_table`,
:mod:`.task_table` (with :mod:`.filters`), :mod:`.detail`, :mod:`.actions`, :mod:`.bulk_actions`,
:mod:`.housekeeping`, :mod:`.transfer`; :mod:`.component` puts them together,
:mod:`.refresh` says when to render, :mod:`.dom` builds elements.
"""

from __future__ import annotations

from pathlib import Path

from .component import Dashboard, DashboardOptions, mount_dashboard

CSS_PATH = Path(__file__).with_name("dashboard.css")
"""The dashboard's style sheet, shipped with the package."""

__all__ = ["CSS_PATH", "Dashboard", "DashboardOptions", "mount_dashboard"]
