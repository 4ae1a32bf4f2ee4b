"""Scoped user communications: templates, scope, rendering, lint (pure; no Slack, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import ValidationError

from bot.comms import lint, rules
from bot.comms.schemas import (
    REQUIRED_FIELDS,
    Draft,
    IncidentFacts,
    LintRule,
    Scope,
    StatusPageStatus,
)
from bot.errors import BadInput, ConfigError
from bot.templating import (
    as_sentence,
    builtin_templates,
    format_duration,
    format_when,
    make_environment,
)
from bot.vocabulary import Audience, CommsKind, IncidentType, Severity, Status

START = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
NOW = START + timedelta(minutes=50)

INTERNAL_KINDS = {CommsKind.STAKEHOLDER_UPDATE, CommsKind.LEGAL_LEADERSHIP}


@pytest.fixture(scope="module")
def env() -> SandboxedEnvironment:
    return make_environment()


@pytest.fixture
def full_scope() -> Scope:
    return Scope(
        incident_title="Smart Reply quoting outdated refund amounts",
        incident_type=IncidentType.RETRIEVAL_CONTEXT,
        severity=Severity.P2,
        feature="Smart Reply",
        what_happened="suggested replies quoted refund amounts from an outdated price list",
        window_start=START,
        window_end=START + timedelta(hours=1, minutes=20),
        timezone="Europe/Berlin",
        segment="Smart Reply users in the EU workspace",
        affected_count=1240,
        user_action="check any refund amount you sent with a suggested reply during this time "
        "against the current price list",
        actions_taken="we switched Smart Reply back to the current price list",
        next_update_at=START + timedelta(hours=2),
        status_page_status=StatusPageStatus.MONITORING,
        prevention="Smart Reply now refuses price data older than one day, and our on-call team "
        "is alerted within 5 minutes when the price list is out of date",
        lead="Dana Ruiz (incident commander)",
    )


@pytest.fixture
def bare_scope() -> Scope:
    return Scope(
        incident_title="Wrong refund amounts",
        incident_type=IncidentType.HALLUCINATION,
        severity=Severity.P1,
        window_start=START,
    )


def draft(text: str, audience: Audience = Audience.EXTERNAL, *, scope: Scope) -> Draft:
    return Draft(
        kind=CommsKind.STATUS_UPDATE, audience=audience, title="Update", text=text, scope=scope
    )


def override(tmp_path: Path, kind: str, source: str) -> SandboxedEnvironment:
    (tmp_path / "comms").mkdir(exist_ok=True)
    (tmp_path / "comms" / f"{kind}.j2").write_text(source)
    return make_environment(tmp_path)


# --- templates ------------------------------------------------------------------------------


def test_there_is_one_builtin_template_per_kind() -> None:
    comms = builtin_templates() / "comms"
    names = {p.name.removesuffix(".j2") for p in comms.iterdir() if p.name.endswith(".j2")}
    assert names == {kind.value for kind in CommsKind}


@pytest.mark.parametrize("kind", list(CommsKind))
def test_full_scope_renders_and_passes_lint_clean(
    env: SandboxedEnvironment, full_scope: Scope, kind: CommsKind
) -> None:
    result = rules.render_draft(env, kind, full_scope)
    assert result.title and result.text
    assert result.audience is (Audience.INTERNAL if kind in INTERNAL_KINDS else Audience.EXTERNAL)
    assert "Smart Reply" in result.title + result.text
    assert "15:05 CET" in result.text  # window shown in the scope's time zone
    findings = lint.lint(result, internal_terms=("pricebot",)).findings
    assert findings == (), findings


@pytest.mark.parametrize("kind", list(CommsKind))
def test_unfilled_scope_still_renders_but_blocks(
    env: SandboxedEnvironment, bare_scope: Scope, kind: CommsKind
) -> None:
    result = rules.render_draft(env, kind, bare_scope)
    errors = lint.lint(result).errors
    assert {e.field for e in errors} == set(REQUIRED_FIELDS[kind])
    assert all(e.rule is LintRule.REQUIRED for e in errors)


def test_status_update_wording_follows_status_page_status(
    env: SandboxedEnvironment, full_scope: Scope
) -> None:
    identified = full_scope.model_copy(update={"status_page_status": StatusPageStatus.IDENTIFIED})
    assert "found the cause" in rules.render_draft(env, CommsKind.STATUS_UPDATE, identified).text


def test_ongoing_window_is_said_plainly(env: SandboxedEnvironment, full_scope: Scope) -> None:
    ongoing = rules.update_scope(full_scope, {"window_end": None})
    text = rules.render_draft(env, CommsKind.LEGAL_LEADERSHIP, ongoing).text
    assert "still open" in text


def test_builtin_templates_pass_check(env: SandboxedEnvironment) -> None:
    rules.check_templates(env)


def test_check_reports_unknown_variable_and_missing_header(tmp_path: Path) -> None:
    override(tmp_path, "resolution", "{# audience: external #}\nFixed {{ featur }}\n")
    bad_env = override(tmp_path, "follow_up", "No header\n")
    with pytest.raises(ConfigError) as caught:
        rules.check_templates(bad_env)
    assert "featur" in str(caught.value) and "comms/follow_up.j2" in str(caught.value)


def test_strict_undefined_catches_missing_variable(
    env: SandboxedEnvironment, tmp_path: Path, full_scope: Scope
) -> None:
    with pytest.raises(UndefinedError):
        env.from_string("Hello {{ nobody }}").render()
    typo = override(tmp_path, "acknowledgement", "{# audience: external #}\n{{ featur }}\n")
    with pytest.raises(ConfigError) as caught:
        rules.render_draft(typo, CommsKind.ACKNOWLEDGEMENT, full_scope)
    assert isinstance(caught.value.__cause__, UndefinedError)


def test_team_folder_overrides_builtin(tmp_path: Path, full_scope: Scope) -> None:
    team = override(
        tmp_path, "acknowledgement", "{# audience: internal #}\nOur {{ feature }}\n\nBody\n"
    )
    ours = rules.render_draft(team, CommsKind.ACKNOWLEDGEMENT, full_scope)
    assert (ours.title, ours.text, ours.audience) == ("Our Smart Reply", "Body", Audience.INTERNAL)
    builtin = rules.render_draft(team, CommsKind.RESOLUTION, full_scope)
    assert builtin.title.startswith("Resolved")


def test_missing_team_folder_fails_at_startup(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        make_environment(tmp_path / "nope")


def test_sandbox_blocks_unsafe_attribute_access(
    env: SandboxedEnvironment, tmp_path: Path, full_scope: Scope
) -> None:
    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__ }}").render()
    evil = override(
        tmp_path, "acknowledgement", "{# audience: external #}\n{{ feature.__class__ }}\n"
    )
    with pytest.raises(ConfigError) as caught:
        rules.render_draft(evil, CommsKind.ACKNOWLEDGEMENT, full_scope)
    assert isinstance(caught.value.__cause__, SecurityError)


def test_output_is_not_html_escaped(env: SandboxedEnvironment) -> None:
    assert env.from_string("{{ text }}").render(text="<b> & co") == "<b> & co"


# --- filters --------------------------------------------------------------------------------


def test_when_formats_in_utc_and_in_a_given_zone() -> None:
    assert format_when(START) == "2026-11-23 14:05 UTC"
    assert format_when(START, "Europe/Berlin") == "2026-11-23 15:05 CET"
    assert format_when(START.replace(month=7), "Europe/Berlin") == "2026-07-23 16:05 CEST"
    assert format_when(START, "Asia/Dubai") == "2026-11-23 18:05 UTC+04"


def test_when_rejects_naive_times_and_unknown_zones() -> None:
    with pytest.raises(TypeError):
        format_when(START.replace(tzinfo=None))
    with pytest.raises(ConfigError):
        format_when(START, "Mars/Olympus")


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=1, minutes=20), "1 h 20 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(days=1, hours=3, minutes=5), "1 d 3 h 5 min"),
        (timedelta(seconds=20), "under 1 min"),
    ],
)
def test_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


def test_sentence_keeps_case_and_adds_full_stop() -> None:
    assert as_sentence("users in the EU") == "Users in the EU."
    assert as_sentence("Done!") == "Done!"


# --- lint -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "flagged", "clean"),
    [
        (
            LintRule.VAGUE,
            "This affects some users.",
            "This affects users of Smart Reply in the EU.",
        ),
        (LintRule.VAGUE, "We are looking into an issue.", "Suggested replies quoted old prices."),
        (LintRule.VAGUE, "You may have been affected.", "You were affected if you used it."),
        (LintRule.VAGUE, "A small number of accounts.", "1,240 accounts in the EU workspace."),
        (LintRule.BLAMES_AI, "The model hallucinated prices.", "Smart Reply showed wrong prices."),
        (LintRule.BLAMES_AI, "The AI decided to refund.", "Our AI assistant offered refunds."),
        (LintRule.BLAMES_AI, "The algorithm ranked it.", "Search ranked old articles first."),
        (LintRule.JARGON, "We moved off gpt-4o-2024-08-06.", "We restored the previous version."),
        (LintRule.JARGON, "Back on claude-3-5-sonnet-20241022.", "Back on the earlier version."),
        (LintRule.JARGON, "llama-3.1-70b served it.", "A backup system served it."),
        (LintRule.JARGON, "We rolled back prompt v12.", "We rolled back the change."),
        (LintRule.JARGON, "The LLM used stale embeddings.", "Answers used an old price list."),
        (LintRule.PLACEHOLDER, "Next update at TBD.", "Next update by 16:00 UTC."),
        (LintRule.PLACEHOLDER, "TODO: add window.", "Add it to your to-do list."),
        (LintRule.PLACEHOLDER, "Affected: [insert segment].", "Affected: EU users."),
        (LintRule.PLACEHOLDER, "Affected: {{ segment }}.", "Affected: EU users."),
        (LintRule.PLACEHOLDER, "Affected since <start time>.", "See <https://status.example.com>."),
        (LintRule.PLACEHOLDER, "Call XXX.", "Call support."),
        (LintRule.PERSONAL_DATA, "Reported by dana.ruiz@example.com.", "Write to support@acme.io."),
        (LintRule.PERSONAL_DATA, "Call +49 30 1234 5678.", "From 2026-11-23 14:05 UTC."),
        (LintRule.PERSONAL_DATA, "Seen from 203.0.113.42.", "Seen on version 3.2."),
    ],
)
def test_lint_rule_flags_and_passes(
    full_scope: Scope, rule: LintRule, flagged: str, clean: str
) -> None:
    warned = lint.lint(draft(flagged, scope=full_scope)).warnings
    assert rule in {w.rule for w in warned}, warned
    assert lint.lint(draft(clean, scope=full_scope)).warnings == ()


def test_findings_carry_the_matched_excerpt(full_scope: Scope) -> None:
    text = "Some Users saw an issue; Some Users again."
    warned = lint.lint(draft(text, scope=full_scope)).warnings
    assert [w.excerpt for w in warned] == ["Some Users", "an issue"]  # one finding per excerpt
    assert all(w.message for w in warned)


def test_one_finding_per_span_even_if_two_rules_match(full_scope: Scope) -> None:
    warned = lint.lint(draft("The model hallucinated.", scope=full_scope)).warnings
    assert [(w.rule, w.excerpt) for w in warned] == [(LintRule.BLAMES_AI, "The model hallucinated")]


def test_personal_data_and_ai_jargon_only_matter_externally(full_scope: Scope) -> None:
    text = "Reported by dana@example.com (+1 415 555 0100); our LLM used an old price list."
    external = lint.lint(draft(text, scope=full_scope)).warnings
    assert {w.rule for w in external} == {LintRule.PERSONAL_DATA, LintRule.JARGON}
    assert lint.lint(draft(text, Audience.INTERNAL, scope=full_scope)).warnings == ()


def test_internal_model_ids_are_flagged_internally_too(full_scope: Scope) -> None:
    text = "Rolled back prompt v12 on gpt-4o-mini."
    warned = lint.lint(draft(text, Audience.INTERNAL, scope=full_scope)).warnings
    assert [w.excerpt for w in warned] == ["prompt v12", "gpt-4o-mini"]


def test_internal_terms_are_case_insensitive_whole_words(full_scope: Scope) -> None:
    terms = ("Falcon", "  ", "ml-ranker")
    warned = lint.lint(
        draft("The FALCON pipeline and ml-ranker.", scope=full_scope), internal_terms=terms
    )
    assert [w.excerpt for w in warned.warnings] == ["FALCON", "ml-ranker"]
    assert all(w.rule is LintRule.JARGON for w in warned.warnings)
    unflagged = lint.lint(draft("Falconry and ml-rankers.", scope=full_scope), internal_terms=terms)
    assert unflagged.warnings == ()


def test_required_fields_block_per_kind(full_scope: Scope) -> None:
    scope = rules.update_scope(full_scope, {"segment": "", "prevention": ""})
    ack = lint.lint(draft("Text.", scope=scope))
    assert not ack.ok and [e.field for e in ack.errors] == ["segment"]
    follow_up = Draft(
        kind=CommsKind.FOLLOW_UP, audience=Audience.EXTERNAL, title="T", text="x.", scope=scope
    )
    assert [e.field for e in lint.lint(follow_up).errors] == ["segment", "prevention"]
    assert lint.lint(draft("Text.", scope=full_scope)).ok


# --- scope ----------------------------------------------------------------------------------


def test_update_scope_validates_and_names_the_field(full_scope: Scope) -> None:
    assert rules.update_scope(full_scope, {"feature": "  Inbox  "}).feature == "Inbox"
    with pytest.raises(BadInput) as bad_zone:
        rules.update_scope(full_scope, {"timezone": "Europe/Atlantis"})
    assert bad_zone.value.field == "timezone"
    with pytest.raises(BadInput):
        rules.update_scope(full_scope, {"window_end": START - timedelta(minutes=1)})
    with pytest.raises(BadInput) as naive:
        rules.update_scope(full_scope, {"next_update_at": datetime(2026, 11, 23, 16, 0)})
    assert naive.value.field == "next_update_at"


def test_scope_stores_times_in_utc_and_drafts_are_frozen(full_scope: Scope) -> None:
    berlin = datetime(2026, 11, 23, 15, 5, tzinfo=ZoneInfo("Europe/Berlin"))
    assert rules.update_scope(full_scope, {"window_start": berlin}).window_start.tzinfo is UTC
    with pytest.raises(ValidationError):
        draft("Text.", scope=full_scope).text = "changed"  # type: ignore[misc]


def facts(**changes: object) -> IncidentFacts:
    values: dict[str, object] = {
        "title": "Smart Reply quoting outdated refund amounts",
        "type": IncidentType.RETRIEVAL_CONTEXT,
        "severity": Severity.P2,
        "status": Status.INVESTIGATING,
        "feature": "Smart Reply",
        "labels": {"segment": "Smart Reply users in the EU workspace"},
        "first_alert_at": START,
        "declared_at": START + timedelta(minutes=10),
        "containment_summaries": ["Switched to the current price list", "Paused the sync job."],
        "alert_titles": ["Refund accuracy below 95%"],
        "lead": "Dana Ruiz",
    }
    return IncidentFacts.model_validate(values | changes)


def test_prefill_scope_from_facts() -> None:
    scope = rules.prefill_scope(facts(), now=NOW, cadence_minutes=60, timezone="Europe/Berlin")
    assert (scope.feature, scope.segment, scope.lead) == (
        "Smart Reply",
        "Smart Reply users in the EU workspace",
        "Dana Ruiz",
    )
    assert scope.window_start == START and scope.window_end is None
    assert scope.next_update_at == NOW + timedelta(minutes=60)
    assert scope.status_page_status is StatusPageStatus.INVESTIGATING
    assert scope.actions_taken == "Switched to the current price list. Paused the sync job."
    assert scope.what_happened and scope.user_action and scope.timezone == "Europe/Berlin"


def test_prefill_after_containment_and_resolution() -> None:
    contained_at = START + timedelta(minutes=40)
    contained = rules.prefill_scope(
        facts(status=Status.CONTAINED, contained_at=contained_at), now=NOW, cadence_minutes=60
    )
    assert contained.window_end == contained_at
    assert contained.status_page_status is StatusPageStatus.MONITORING
    resolved = rules.prefill_scope(
        facts(status=Status.RESOLVED, resolved_at=NOW, feature=None, labels={"feature": "Inbox"}),
        now=NOW,
        cadence_minutes=60,
    )
    assert resolved.next_update_at is None and resolved.window_end == NOW
    assert resolved.status_page_status is StatusPageStatus.RESOLVED and resolved.feature == "Inbox"


def test_prefill_caps_safety_updates_at_one_hour() -> None:
    safety = facts(type=IncidentType.SAFETY_VIOLATION, severity=Severity.P3)
    scope = rules.prefill_scope(safety, now=NOW, cadence_minutes=240)
    assert scope.next_update_at == NOW + timedelta(minutes=60)


@pytest.mark.parametrize("incident_type", list(IncidentType))
def test_prefilled_wording_passes_lint(
    env: SandboxedEnvironment, incident_type: IncidentType
) -> None:
    scope = rules.prefill_scope(facts(type=incident_type), now=NOW, cadence_minutes=60)
    result = rules.render_draft(env, CommsKind.ACKNOWLEDGEMENT, scope)
    assert lint.lint(result).findings == ()


def test_cadence_by_severity_with_overrides() -> None:
    assert [rules.cadence_minutes(s) for s in Severity] == [30, 60, 240]
    assert rules.cadence_minutes(Severity.P2, {"P2": 45}) == 45
    assert rules.cadence_minutes(Severity.P1, {"P2": 45}) == 30
    with pytest.raises(ConfigError):
        rules.cadence_minutes(Severity.P3, {"P3": 0})


def test_diff_versions() -> None:
    diff = rules.diff_versions("Line one\nOld line\n", "Line one\nNew line\n")
    assert "-Old line" in diff and "+New line" in diff and " Line one" in diff
    assert rules.diff_versions("same", "same") == ""


def test_cadence_accepts_config_keyed_by_severity() -> None:
    assert rules.cadence_minutes(Severity.P3, {Severity.P3: 120}) == 120
