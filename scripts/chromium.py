"""How this project launches Debian's Chromium, for the browser tests and the benchmarks alike.

Playwright's own browser download cannot work offline here, so both drive
``/usr/bin/chromium`` (installed by scripts/test.sh and benches/run).
"""

PATH = "/usr/bin/chromium"

ARGS = [
    "--no-sandbox",  # the tests and CI run as root
    # Without these, Chromium keeps trying hosts that this offline machine cannot reach.
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
