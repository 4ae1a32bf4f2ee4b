"""The HTTP side: the FastAPI app, the machines' routes and the JSON API (pages are in bot/ui)."""
