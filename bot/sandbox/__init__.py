"""The bot with nothing real around it: the Slack and provider stand-ins, the stage, the demo."""
