"""The README's examples are real: its config validates and its commands exist."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from bot.alerts.sources import PARSERS, parse
from bot.checks import load_content
from bot.config import Config
from bot.signals.schemas import SignalsIn
from bot.slack.incident_command import registry
from bot.vocabulary import Source
from tests.support import vendor_payloads

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
SECRETS = {
    name: "x"
    for name in (
        "LAUNCHDARKLY_API_TOKEN",
        "UNLEASH_ADMIN_TOKEN",
        "LANGFUSE_PUBLIC_KEY",
        "LANGFUSE_SECRET_KEY",
        "GATEWAY_TOKEN",
        "REVIEW_TOKEN",
        "STATUSPAGE_API_KEY",
        "JIRA_EMAIL",
        "JIRA_API_TOKEN",
        "JIRA_WEBHOOK_SECRET",
        "LINEAR_API_KEY",
        "LINEAR_WEBHOOK_SECRET",
        "PAGERDUTY_ROUTING_KEY",
        "PAGERDUTY_API_TOKEN",
        "EVAL_RUNNER_TOKEN",
    )
}


def config_example() -> dict[str, object]:
    block = README.split("### The YAML config", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    data = yaml.safe_load(block)
    data.pop("templates_dir")  # a folder of the reader's own
    return dict(data)


def test_the_config_example_validates_with_its_providers_and_targets() -> None:
    config = Config.model_validate(config_example())
    load_content(config, SECRETS)
    assert config.actions["prompt_rollback"] == "langfuse_prompts"
    assert set(config.trackers) == {"ai-quality", "search-linear"}
    assert config.paging.targets["ai-oncall"].severities == ["P1"]


def test_every_subcommand_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z]+)", README, flags=re.M))
    assert set(registry()) - {"help"} <= documented


def test_every_alert_source_is_documented() -> None:
    http_row = next(line for line in README.splitlines() if "`POST /alerts/{source}`" in line)
    pointing = section("## Pointing monitors at the bot").split("\n\n", 2)[1]
    for source in PARSERS:
        assert f"`{source}`" in http_row, source
        assert f"`{source}`" in pointing, source


def section(title: str) -> str:
    return README.split(title, 1)[1].split("\n### ", 1)[0]


def json_blocks(text: str) -> list[Any]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, flags=re.S)]


def test_the_langfuse_alert_example_is_what_the_bot_parses() -> None:
    [example] = json_blocks(section("#### Alerts"))
    [alert] = parse(Source.LANGFUSE, example)
    assert alert.dedupe_key == "langfuse-alert:proj_xyz789:monitor_abc123"
    assert example == vendor_payloads.load("langfuse_alert.json")  # the documented example


def test_the_datadog_template_fills_into_a_payload_the_bot_parses() -> None:
    template = next(b for b in json_blocks(section("### Datadog")) if "transition" in b)
    filled = {
        key: value.replace("$", "").lower() if key != "date" else "1406662672000"
        for key, value in template.items()
    }
    [alert] = parse(Source.DATADOG, filled | {"transition": "Triggered"})
    assert alert.dedupe_key == "alert_cycle_key"


def test_the_generic_curl_example_is_accepted() -> None:
    body = section("### Generic JSON").split("-d '", 1)[1].split("'\n", 1)[0]
    [alert] = parse(Source.GENERIC, json.loads(body))
    assert alert.dedupe_key == "refunds-escalation-storm"


def test_the_signals_examples_are_what_post_signals_accepts() -> None:
    examples = json_blocks(section("### Quality signals and control charts"))
    assert len(examples) == 2
    for example in examples:
        body = SignalsIn.model_validate(example if "batches" in example else {"batches": [example]})
        assert all(batch.points for batch in body.batches)
