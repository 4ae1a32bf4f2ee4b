"""The normalized alert every source parser produces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.vocabulary import AlertStatus, Source


class Link(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    url: str


class NormalizedAlert(BaseModel):
    """One alert from any monitor, in one shape."""

    model_config = ConfigDict(frozen=True)

    source: Source
    external_id: str = Field(description="The monitor's own id for this alert or event")
    dedupe_key: str = Field(description="Same key = same underlying problem")
    group: str | None = Field(
        default=None,
        description="The monitor's own notification group (Alertmanager's groupKey): "
        "the alerts of one group share an incident unless a routing rule groups otherwise",
    )
    status: AlertStatus
    severity: str | None = Field(default=None, description="Severity as the monitor said it")
    title: str
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    links: tuple[Link, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    values: dict[str, float] = Field(default_factory=dict)
    raw: dict[str, Any] = Field(default_factory=dict, description="This alert's own JSON item")
