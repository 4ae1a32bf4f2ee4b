"""The storm settings (`storm:` in the YAML config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Storm(BaseModel):
    """The cap on incidents alerts open, and the pace of channel creation in Slack."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_incidents: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Incidents one alert source may open per window; past it, new alert groups "
        "attach to that source's alert-storm incident",
    )
    window_minutes: int = Field(default=10, ge=1, le=24 * 60)
    channels_per_minute: int = Field(
        default=20,
        ge=1,
        le=100,
        description="conversations.create calls per minute (Slack's Tier 2 allows about 20)",
    )
