"""Process settings from the environment, built once at startup and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError


class Settings(BaseSettings):
    """The environment contract from DESIGN.md."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    database_url: str = Field(default="sqlite+aiosqlite:///./incidentbot.db", alias="DATABASE_URL")
    # Most connections one process opens (PostgreSQL), plus one for LISTEN. The default lets four
    # processes share PostgreSQL's default of 100 connections with room to spare.
    database_pool_size: int = Field(default=20, ge=1, le=500, alias="DATABASE_POOL_SIZE")
    webhook_token: SecretStr | None = Field(default=None, alias="INCIDENTBOT_WEBHOOK_TOKEN")
    config_path: Path | None = Field(default=None, alias="INCIDENTBOT_CONFIG")
    # Sign in with Slack (OpenID Connect) for the web pages; without them, login links only.
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    # Signs web sessions and login links; derived from the signing secret when unset.
    session_secret: SecretStr | None = Field(default=None, alias="INCIDENTBOT_SESSION_SECRET")

    def require_serving_secrets(self) -> None:
        """Raise a one-line ConfigError naming the first missing secret `serve` needs."""
        required = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "INCIDENTBOT_WEBHOOK_TOKEN": self.webhook_token,
        }
        for name, value in required.items():
            if value is None or not value.get_secret_value():
                raise ConfigError(f"{name} is not set; `incidentbot serve` needs it")
