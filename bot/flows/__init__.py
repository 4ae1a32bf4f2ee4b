"""Use-cases shared by HTTP routes, Slack listeners and scheduled jobs."""
