"""The README's examples are real: its config validates and its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.checks import load_content
from bot.config import Config
from bot.slack.listeners.commands import registry

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


def test_every_subcommand_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z]+)", README, flags=re.M))
    assert set(registry()) - {"help"} <= documented
