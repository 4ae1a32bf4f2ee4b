"""Playbook data: phases with time boxes, steps with an owner, a containment action and comms."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from bot.containment import catalog
from bot.vocabulary import CommsKind, IncidentType, Role

TEXT_MAX = 300  # a step renders as one Slack section; keep it short enough to read at a glance
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _known_action(key: str) -> str:
    """Accept only a containment action key present in the catalog."""
    known = catalog.keys()
    if key not in known:
        raise ValueError(f"unknown containment action {key!r}; known: {', '.join(known)}")
    return key


ActionKey = Annotated[
    str,
    AfterValidator(_known_action),
    WithJsonSchema({"type": "string", "enum": list(catalog.keys())}),
]
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=SLUG_PATTERN)]
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Step(_Strict):
    """One thing a responder does; `id` is unique in its playbook and shared across playbooks."""

    id: Slug
    text: Text
    owner: Role
    action: ActionKey | None = None
    comms: CommsKind | None = None
    done_when: Text | None = None


class Phase(_Strict):
    """A time box, in minutes from declaration, holding the steps due by its end."""

    id: Slug
    name: Annotated[str, Field(min_length=1, max_length=75)]
    starts_after_min: Annotated[int, Field(ge=0)]
    due_after_min: Annotated[int, Field(gt=0)]
    steps: Annotated[list[Step], Field(min_length=1)]

    @model_validator(mode="after")
    def _due_after_start(self) -> Phase:
        if self.due_after_min <= self.starts_after_min:
            raise ValueError(
                f"due_after_min ({self.due_after_min}) must be after "
                f"starts_after_min ({self.starts_after_min})"
            )
        return self


class Playbook(_Strict):
    """The responder's checklist for one incident type."""

    type: IncidentType
    title: Annotated[str, Field(min_length=1, max_length=150)]
    summary: Text
    phases: Annotated[list[Phase], Field(min_length=1)]

    @model_validator(mode="after")
    def _phases_in_order(self) -> Playbook:
        for index in range(1, len(self.phases)):
            before, phase = self.phases[index - 1], self.phases[index]
            if phase.starts_after_min < before.due_after_min:
                raise ValueError(
                    f"phases[{index}].starts_after_min: phase {phase.id!r} starts at "
                    f"{phase.starts_after_min} min, before phase {before.id!r} ends at "
                    f"{before.due_after_min} min; list phases in time order without overlap"
                )
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> Playbook:
        _check_unique((f"phases[{i}].id", phase.id, "phase") for i, phase in enumerate(self.phases))
        _check_unique(
            (f"phases[{i}].steps[{j}].id", step.id, "step")
            for i, phase in enumerate(self.phases)
            for j, step in enumerate(phase.steps)
        )
        return self


def _check_unique(entries: Iterable[tuple[str, str, str]]) -> None:
    """Raise naming the field path of the first repeated id in (path, id, noun) entries."""
    seen: dict[str, str] = {}
    for path, ident, noun in entries:
        if ident in seen:
            raise ValueError(f"{path}: duplicate {noun} id {ident!r} (first at {seen[ident]})")
        seen[ident] = path


def playbook_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a playbook file, for editors and CI."""
    return {"$schema": JSON_SCHEMA_DIALECT, **Playbook.model_json_schema()}


def render_json_schema() -> str:
    """Return the playbook JSON Schema as the text stored in playbooks/playbook.schema.json."""
    return json.dumps(playbook_json_schema(), indent=2) + "\n"


# Regenerate the stored schema: python -m bot.playbook.schemas > playbooks/playbook.schema.json
if __name__ == "__main__":
    print(render_json_schema(), end="")
