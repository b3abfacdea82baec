"""Entry point that PyScript runs on the app page."""

from web.launch import main

app = await main()  # noqa: F704 - PyScript runs this file with top-level await
