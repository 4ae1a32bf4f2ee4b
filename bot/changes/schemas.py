"""The change ledger's input: what changed, where, from what to what, when, by whom."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.untrusted import UtcTime
from bot.vocabulary import ChangeKind


class ChangeIn(BaseModel):
    """A change as posted to `POST /changes`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    kind: ChangeKind
    service: str | None = Field(default=None, max_length=200)
    feature: str | None = Field(default=None, max_length=200)
    from_version: str | None = Field(default=None, alias="from", max_length=300)
    to_version: str | None = Field(default=None, alias="to", max_length=300)
    at: UtcTime | None = Field(default=None, description="When it took effect; default now")
    author: str | None = Field(default=None, max_length=200)
    link: str | None = Field(default=None, max_length=1000)
    description: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _needs_subject(self) -> ChangeIn:
        if not (self.service or self.feature):
            raise ValueError("give `service` or `feature` (or both): what did this change affect?")
        return self
