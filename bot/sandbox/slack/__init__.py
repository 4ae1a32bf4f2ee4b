"""A stand-in for the Slack Web API, Events and Socket Mode: a real local HTTP server."""
