"""Playbook files, their schema and loader, the containment catalog, and the pure playbook rules."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.containment import catalog
from bot.errors import ConfigError
from bot.playbook import rules
from bot.playbook.loader import load_playbooks
from bot.playbook.schemas import Phase, Playbook, Step, render_json_schema
from bot.vocabulary import CommsKind, IncidentType, Role

PLAYBOOKS = Path(__file__).resolve().parent.parent / "bot" / "playbooks"
STANDARD_PHASES = [
    ("triage", 0, 15),
    ("scope", 15, 60),
    ("mitigate", 60, 240),
    ("post-incident", 24 * 60, 72 * 60),
]
SHARED_STEP_IDS = {
    "assign-roles",
    "confirm-failure",
    "post-acknowledgement",
    "sample-queries",
    "check-changes",
    "status-update",
    "verify-fix",
    "post-resolution",
    "watch-quality",
    "eval-case",
    "detection-gap",
    "post-follow-up",
}
CATALOG_KEYS = {
    "feature_flag_off",
    "feature_flag_on",
    "prompt_rollback",
    "model_rollback",
    "enable_fallback",
    "disable_fallback",
    "raise_human_review",
    "tighten_guardrail",
    "block_pattern",
    "refresh_index",
    "pause_pipeline",
    "resume_pipeline",
    "failover_provider",
    "shed_load",
    "route_to_humans",
    "add_disclaimer",
}


@pytest.fixture(scope="module")
def playbooks() -> dict[IncidentType, Playbook]:
    return load_playbooks(PLAYBOOKS)


def _all_playbooks() -> list[Playbook]:
    return list(load_playbooks(PLAYBOOKS).values())


def _steps_due_within(playbook: Playbook, minutes: int) -> list[Step]:
    return [s for p in playbook.phases if p.due_after_min <= minutes for s in p.steps]


# --- the shipped playbooks ---------------------------------------------------------------------


def test_every_incident_type_has_exactly_its_playbook(
    playbooks: dict[IncidentType, Playbook],
) -> None:
    assert set(playbooks) == set(IncidentType)
    assert all(playbook.type is kind for kind, playbook in playbooks.items())


@pytest.mark.parametrize("playbook", _all_playbooks(), ids=lambda p: p.type.value)
def test_playbook_has_the_four_phases_and_a_workable_number_of_steps(playbook: Playbook) -> None:
    phases = [(p.id, p.starts_after_min, p.due_after_min) for p in playbook.phases]
    assert phases == STANDARD_PHASES
    assert 10 <= len(rules.all_steps(playbook)) <= 18


@pytest.mark.parametrize("playbook", _all_playbooks(), ids=lambda p: p.type.value)
def test_every_action_resolves_and_every_comms_is_a_template(playbook: Playbook) -> None:
    for step in rules.all_steps(playbook):
        if step.action is not None:
            assert catalog.get(step.action).key == step.action
        if step.comms is not None:
            assert isinstance(step.comms, CommsKind)


@pytest.mark.parametrize("playbook", _all_playbooks(), ids=lambda p: p.type.value)
def test_common_steps_use_shared_ids(playbook: Playbook) -> None:
    assert SHARED_STEP_IDS.issubset(rules.step_ids(playbook))


@pytest.mark.parametrize("playbook", _all_playbooks(), ids=lambda p: p.type.value)
def test_comms_run_from_acknowledgement_to_follow_up(playbook: Playbook) -> None:
    kinds = [s.comms for s in rules.all_steps(playbook) if s.comms]
    assert CommsKind.ACKNOWLEDGEMENT in {s.comms for s in _steps_due_within(playbook, 15)}
    for kind in (CommsKind.STATUS_UPDATE, CommsKind.RESOLUTION, CommsKind.FOLLOW_UP):
        assert kind in kinds
    assert kinds.index(CommsKind.RESOLUTION) < kinds.index(CommsKind.FOLLOW_UP)


@pytest.mark.parametrize("playbook", _all_playbooks(), ids=lambda p: p.type.value)
def test_post_incident_adds_an_eval_case_and_closes_the_detection_gap(playbook: Playbook) -> None:
    last = playbook.phases[-1]
    assert {"eval-case", "detection-gap", "watch-quality"} <= {s.id for s in last.steps}


def test_safety_playbook_pages_safety_and_tells_legal_within_the_hour(
    playbooks: dict[IncidentType, Playbook],
) -> None:
    safety = playbooks[IncidentType.SAFETY_VIOLATION]
    first_hour = _steps_due_within(safety, 60)
    assert any(step.owner is Role.SAFETY for step in first_hour)
    assert any(step.comms is CommsKind.LEGAL_LEADERSHIP for step in first_hour)
    assert any(step.action == "feature_flag_off" for step in _steps_due_within(safety, 15))


@pytest.mark.parametrize(
    ("kind", "action"),
    [
        (IncidentType.QUALITY_REGRESSION, "prompt_rollback"),
        (IncidentType.QUALITY_REGRESSION, "model_rollback"),
        (IncidentType.HALLUCINATION, "add_disclaimer"),
        (IncidentType.HALLUCINATION, "raise_human_review"),
        (IncidentType.PROMPT_INJECTION, "tighten_guardrail"),
        (IncidentType.PROMPT_INJECTION, "block_pattern"),
        (IncidentType.RETRIEVAL_CONTEXT, "refresh_index"),
        (IncidentType.PIPELINE_INFRASTRUCTURE, "pause_pipeline"),
        (IncidentType.AVAILABILITY_LATENCY, "failover_provider"),
        (IncidentType.DISTRIBUTION_SHIFT, "route_to_humans"),
    ],
)
def test_playbook_offers_the_typical_first_containment(
    playbooks: dict[IncidentType, Playbook], kind: IncidentType, action: str
) -> None:
    assert action in {s.action for s in rules.all_steps(playbooks[kind])}


def test_json_schema_file_is_current() -> None:
    stored = (PLAYBOOKS / "playbook.schema.json").read_text(encoding="utf-8")
    assert stored == render_json_schema(), (
        "playbooks/playbook.schema.json is stale; regenerate it with "
        "`python -m bot.playbook.schemas > playbooks/playbook.schema.json`"
    )


# --- the containment catalog -------------------------------------------------------------------


def test_catalog_covers_the_actions_playbooks_may_name() -> None:
    assert set(catalog.keys()) == CATALOG_KEYS
    assert len(catalog.keys()) == len(CATALOG_KEYS)


@pytest.mark.parametrize("action", catalog.actions(), ids=lambda a: a.key)
def test_catalog_action_fits_a_button_and_its_undo_exists(action: catalog.Action) -> None:
    assert 0 < len(action.title) <= 24
    assert action.description and "\n" not in action.description
    if action.undo is not None:
        assert action.reversible
        assert catalog.get(action.undo).undo == action.key


def test_catalog_pairs_the_documented_undos() -> None:
    assert catalog.get("feature_flag_off").undo == "feature_flag_on"
    assert catalog.get("enable_fallback").undo == "disable_fallback"
    assert catalog.get("pause_pipeline").undo == "resume_pipeline"


def test_catalog_get_unknown_key_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="feature_flag_off"):
        catalog.get("reboot_universe")


# --- bad playbooks fail at load, naming file and field ------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for path in PLAYBOOKS.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _edit(folder: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _load_error(folder: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_playbooks(folder)
    return str(caught.value)


def test_unknown_action_names_file_and_field(folder: Path) -> None:
    _edit(
        folder,
        "quality_regression",
        lambda d: d["phases"][2]["steps"][0].update(action="reboot_universe"),
    )
    message = _load_error(folder)
    assert "quality_regression.yaml: phases[2].steps[0].action (step 'prompt-rollback')" in message
    assert "unknown containment action 'reboot_universe'" in message


def test_duplicate_step_id_names_file_and_field(folder: Path) -> None:
    _edit(folder, "hallucination", lambda d: d["phases"][1]["steps"][0].update(id="assign-roles"))
    message = _load_error(folder)
    assert "hallucination.yaml: phases[1].steps[0].id: duplicate step id 'assign-roles'" in message
    assert "first at phases[0].steps[0].id" in message


def test_extra_field_names_file_and_field(folder: Path) -> None:
    _edit(folder, "prompt_injection", lambda d: d["phases"][0]["steps"][1].update(owner_team="x"))
    message = _load_error(folder)
    assert "prompt_injection.yaml: phases[0].steps[1].owner_team" in message
    assert "Extra inputs are not permitted" in message


def test_unknown_owner_and_comms_name_their_fields(folder: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["phases"][0]["steps"][0]["owner"] = "intern"
        data["phases"][0]["steps"][2]["comms"] = "tweet"

    _edit(folder, "retrieval_context", change)
    message = _load_error(folder)
    assert "retrieval_context.yaml: phases[0].steps[0].owner (step 'assign-roles')" in message
    assert "retrieval_context.yaml: phases[0].steps[2].comms" in message


def test_missing_playbook_for_a_type_names_folder_and_type(folder: Path) -> None:
    (folder / "distribution_shift.yaml").unlink()
    message = _load_error(folder)
    assert str(folder) in message
    assert "type: no playbook for 'distribution_shift'" in message


def test_missing_type_field_names_file_and_field(folder: Path) -> None:
    _edit(folder, "availability_latency", lambda d: d.pop("type"))
    assert "availability_latency.yaml: type: Field required" in _load_error(folder)


def test_type_must_match_file_name(folder: Path) -> None:
    _edit(folder, "hallucination", lambda d: d.update(type="safety_violation"))
    message = _load_error(folder)
    assert "hallucination.yaml: type: 'safety_violation' does not match the file name" in message


def test_step_text_over_300_characters_is_rejected(folder: Path) -> None:
    _edit(folder, "safety_violation", lambda d: d["phases"][0]["steps"][0].update(text="x" * 301))
    message = _load_error(folder)
    assert "safety_violation.yaml: phases[0].steps[0].text" in message
    assert "at most 300 characters" in message


def test_phases_out_of_order_are_rejected(folder: Path) -> None:
    _edit(folder, "distribution_shift", lambda d: d["phases"].reverse())
    message = _load_error(folder)
    assert "distribution_shift.yaml: phases[1].starts_after_min" in message


def test_duplicate_yaml_key_is_rejected(folder: Path) -> None:
    path = folder / "pipeline_infrastructure.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "title: Again\n", encoding="utf-8")
    message = _load_error(folder)
    assert "pipeline_infrastructure.yaml: invalid YAML" in message
    assert "duplicate key 'title'" in message


def test_every_problem_is_reported_at_once(folder: Path) -> None:
    _edit(folder, "hallucination", lambda d: d["phases"][0]["steps"][0].update(action="nope"))
    _edit(folder, "quality_regression", lambda d: d.update(extra=1))
    message = _load_error(folder)
    assert "hallucination.yaml: phases[0].steps[0].action" in message
    assert "quality_regression.yaml: extra" in message


def test_empty_folder_is_rejected(tmp_path: Path) -> None:
    assert "no playbook files" in _load_error(tmp_path)


def test_empty_file_is_rejected(folder: Path) -> None:
    (folder / "hallucination.yaml").write_text("", encoding="utf-8")
    assert "hallucination.yaml: expected a mapping" in _load_error(folder)


# --- the pure rules ------------------------------------------------------------------------------


def _step(step_id: str, owner: Role = Role.ENGINEERING) -> Step:
    return Step(id=step_id, text=f"Do {step_id}.", owner=owner)


def _playbook(kind: IncidentType, phases: dict[str, list[str]]) -> Playbook:
    windows = iter([(0, 15), (15, 60), (60, 240), (1440, 4320)])
    built = []
    for phase_id, ids in phases.items():
        start, due = next(windows)
        steps = [_step(i) for i in ids]
        built.append(
            Phase(
                id=phase_id, name=phase_id, starts_after_min=start, due_after_min=due, steps=steps
            )
        )
    return Playbook(type=kind, title=kind.label, summary="Test.", phases=built)


SMALL = _playbook(
    IncidentType.QUALITY_REGRESSION,
    {"triage": ["a", "b"], "scope": ["c"], "mitigate": ["d", "e"]},
)
DECLARED = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)


def _ids(steps: list[Step]) -> list[str]:
    return [step.id for step in steps]


def test_next_steps_are_the_open_steps_of_the_earliest_unfinished_phase() -> None:
    assert _ids(rules.next_steps(SMALL, done=set(), skipped=set())) == ["a", "b"]
    assert _ids(rules.next_steps(SMALL, done={"a"}, skipped=set())) == ["b"]
    assert _ids(rules.next_steps(SMALL, done={"a"}, skipped={"b"})) == ["c"]
    assert _ids(rules.next_steps(SMALL, done={"a", "b", "c", "e"}, skipped=set())) == ["d"]
    assert rules.next_steps(SMALL, done={"a", "b", "c", "d"}, skipped={"e"}) == []


def test_progress_counts_only_this_playbooks_steps() -> None:
    result = rules.progress(SMALL, done={"a", "c", "zz"}, skipped={"b", "c"})
    assert result == rules.Progress(done=2, skipped=1, total=5)
    assert result.open == 2
    assert not result.complete
    assert rules.progress(SMALL, done={"a", "b", "c"}, skipped={"d", "e"}).complete


def test_overdue_phases_are_past_due_with_open_steps() -> None:
    def overdue(minutes: int, done: set[str]) -> list[str]:
        now = DECLARED + timedelta(minutes=minutes)
        return [p.id for p in rules.overdue_phases(SMALL, DECLARED, now, done, set())]

    assert overdue(15, set()) == []
    assert overdue(16, set()) == ["triage"]
    assert overdue(16, {"a", "b"}) == []
    assert overdue(61, {"a", "b"}) == ["scope"]
    assert overdue(241, {"c"}) == ["triage", "mitigate"]
    assert overdue(10_000, {"a", "b", "c", "d", "e"}) == []


def test_skipped_steps_close_a_phase_for_overdue() -> None:
    now = DECLARED + timedelta(hours=1, minutes=1)
    assert rules.overdue_phases(SMALL, DECLARED, now, done={"a"}, skipped={"b", "c"}) == []


def test_merge_on_type_change_keeps_done_steps_shared_by_id() -> None:
    new = _playbook(
        IncidentType.HALLUCINATION,
        {"triage": ["a", "x"], "scope": ["c", "y"]},
    )
    assert rules.merge_on_type_change(SMALL, new, done={"a", "b", "c"}) == {"a", "c"}
    assert rules.merge_on_type_change(SMALL, new, done=set()) == set()


def test_merge_between_real_playbooks_keeps_shared_steps(
    playbooks: dict[IncidentType, Playbook],
) -> None:
    old = playbooks[IncidentType.QUALITY_REGRESSION]
    new = playbooks[IncidentType.SAFETY_VIOLATION]
    done = {"assign-roles", "confirm-failure", "compare-versions", "sample-queries"}
    kept = rules.merge_on_type_change(old, new, done)
    assert kept == {"assign-roles", "confirm-failure", "sample-queries"}


def test_find_step_by_id() -> None:
    found = rules.find_step(SMALL, "d")
    assert found is not None and found.id == "d"
    assert rules.find_step(SMALL, "missing") is None
