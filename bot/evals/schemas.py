"""Evaluation runs posted to `POST /evals`, used to validate a fix."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.untrusted import INT32_MAX, UtcTime


class EvalIn(BaseModel):
    """One evaluation run of a suite against a feature."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    suite: str = Field(min_length=1, max_length=200)
    feature: str = Field(min_length=1, max_length=200)
    passed: int = Field(ge=0, le=INT32_MAX)
    total: int = Field(gt=0, le=INT32_MAX)
    at: UtcTime | None = Field(default=None, description="When the run finished; default now")
    versions: dict[str, str] = Field(default_factory=dict, description="e.g. model, prompt, index")
    incident: int | None = Field(
        default=None, ge=1, le=INT32_MAX, description="Incident number this run validates"
    )
    link: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _passed_le_total(self) -> EvalIn:
        if self.passed > self.total:
            raise ValueError("`passed` cannot be more than `total`")
        return self
