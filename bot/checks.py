"""`incidentbot check`: everything that must be valid before the bot may start."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from jinja2.sandbox import SandboxedEnvironment

from bot.comms.rules import check_templates, template_audience
from bot.comms.targets import audience_problems, credential_problems
from bot.config import Config, load_config
from bot.containment import eval_runner
from bot.containment.rules import validate_providers
from bot.errors import ConfigError
from bot.paging import rules as paging_rules
from bot.playbook.loader import builtin_playbooks, load_playbooks
from bot.playbook.schemas import Playbook
from bot.settings import Settings
from bot.templating import make_environment
from bot.trackers import rules as tracker_rules
from bot.vocabulary import IncidentType


def load_content(
    config: Config, env: Mapping[str, str]
) -> tuple[dict[IncidentType, Playbook], SandboxedEnvironment]:
    """Load and validate playbooks, templates and providers; ConfigError on any problem."""
    playbooks = load_playbooks(config.playbooks_dir or builtin_playbooks())
    folders = [config.templates_dir] if config.templates_dir else []
    templates = make_environment(*folders)
    check_templates(templates)
    problems = validate_providers(config, env, templates)
    problems += eval_runner.problems(config, env, templates)
    if problems:
        raise ConfigError("containment providers:\n" + "\n".join(f"  {p}" for p in problems))
    missing = credential_problems(config.status_targets, env)
    missing += audience_problems(config.status_targets, lambda k: template_audience(templates, k))
    if missing:
        raise ConfigError("comms targets:\n" + "\n".join(f"  {p}" for p in missing))
    wrong = tracker_rules.problems(config.trackers, env, list(config.followup.teams))
    if wrong:
        raise ConfigError("trackers:\n" + "\n".join(f"  {p}" for p in wrong))
    unpaged = paging_rules.problems(config.paging, env)
    if unpaged:
        raise ConfigError("paging:\n" + "\n".join(f"  {p}" for p in unpaged))
    return playbooks, templates


def run(settings: Settings) -> Iterator[str]:
    """Validate config, playbooks and templates; yield one line per thing checked."""
    config = load_config(settings.config_path)
    where = settings.config_path or "defaults"
    yield f"config ok ({where}): {len(config.routing.rules)} routing rules"
    playbooks, _ = load_content(config, dict(os.environ))
    steps = sum(len(phase.steps) for p in playbooks.values() for phase in p.phases)
    yield f"playbooks ok: {len(playbooks)} incident types, {steps} steps"
    yield "templates ok: every communication template renders"
    yield f"containment ok: {len(config.providers)} providers, {len(config.actions)} actions mapped"
    named = {s.action for p in playbooks.values() for ph in p.phases for s in ph.steps if s.action}
    unmapped = sorted(named - config.actions.keys())
    if unmapped:  # not an error: their buttons say which config key to set when clicked
        yield f"  playbook actions with no provider yet: {', '.join(unmapped)}"
    watched = len(config.signals.watch)
    yield f"signals ok: {watched} watched signals, default {config.signals.defaults.method}"
    yield f"comms ok: {len(config.status_targets)} publish targets"
    yield f"trackers ok: {', '.join(config.trackers) or 'none (action items stay in the bot)'}"
    targets = ", ".join(config.paging.targets) or "no targets"
    oncall = "; on-call offered from a schedule" if config.paging.oncall else ""
    yield f"paging ok: {targets}{oncall}"
