"""Testing a page that runs pyqueue, with pytest and Playwright.

:mod:`.plugin` is the pytest plugin (registered through the ``pytest11`` entry
point, so installing pyqueue is enough); :mod:`.page` drives a page through
the read-only view that :func:`pyqueue.browser.start` publishes; :mod:`.server`
serves a directory on loopback with the MIME types Pyodide needs. Nothing
here is imported by the library itself, and only :mod:`.page` needs Playwright.
"""
