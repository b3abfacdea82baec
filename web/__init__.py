"""The app page's Python: the demo app, its status panel and the page's test/console API."""
