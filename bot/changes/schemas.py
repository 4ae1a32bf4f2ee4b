"""The change ledger's input: what changed, where, from what to what, when, by whom."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.vocabulary import ChangeKind


class ChangeIn(BaseModel):
    """A change as posted to `POST /changes`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    kind: ChangeKind
    service: str | None = Field(default=None, max_length=200)
    feature: str | None = Field(default=None, max_length=200)
    from_version: str | None = Field(default=None, alias="from", max_length=300)
    to_version: str | None = Field(default=None, alias="to", max_length=300)
    at: AwareDatetime | None = Field(default=None, description="When it took effect; default now")
    author: str | None = Field(default=None, max_length=200)
    link: str | None = Field(default=None, max_length=1000)
    description: str = Field(default="", max_length=4000)

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        try:
            return value.astimezone(UTC) if value else None
        except OverflowError:
            raise ValueError("is outside the dates UTC can hold") from None

    @model_validator(mode="after")
    def _needs_subject(self) -> ChangeIn:
        if not (self.service or self.feature):
            raise ValueError("give `service` or `feature` (or both): what did this change affect?")
        return self
