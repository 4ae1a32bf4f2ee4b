"""The boundary to Slack: untrusted text escaped, and every payload fitted to what the Slack
stand-in (like Slack) accepts, clipped with a visible "…"."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Config, Web
from bot.sandbox.slack import limits
from bot.sandbox.stage import Stage
from bot.slack import text


def section(body: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": body}}


def button(label: str, value: str = "v") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": "a",
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


OVERSIZED: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "h" * 500}},
    section("s" * 5000),
    {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2500}] * 12},
    {"type": "actions", "elements": [button("b" * 100, "v" * 2500)]},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "pick"},
        "accessory": {
            "type": "static_select",
            "action_id": "pick",
            "placeholder": {"type": "plain_text", "text": "p" * 200},
            "options": [option("o" * 100, "x" * 200)] * 120,
        },
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 4000}] * 12},
]


def test_untrusted_markup_is_escaped_and_our_own_is_not() -> None:
    hostile = "<!channel> <@U0EVIL1> <https://evil.example|click> & {{ 7*7 }}"
    assert text.esc(hostile) == (
        "&lt;!channel&gt; &lt;@U0EVIL1&gt; &lt;https://evil.example|click&gt; &amp; {{ 7*7 }}"
    )
    assert text.user("U_ALICE") == "<@U_ALICE>"
    assert text.user("U1><!channel") == "<@U1channel>"
    assert text.link("https://x.example/a|b>", "<!here>") == (
        "<https://x.example/a%7Cb&gt;|&lt;!here&gt;>"
    )
    assert text.esc("nul \x00 and \ud800") == "nul \ufffd and \ufffd"


def test_a_cut_never_splits_markup_and_shows_an_ellipsis() -> None:
    assert text.clip("abcdef", 4) == "abc…"
    assert text.clip("see <@U123ABC> now", 10) == "see …"
    assert text.clip("a &amp; b", 5) == "a …"
    assert text.clip("x" * 50, 20, more="<https://bot.example/1|full text>").endswith("…")
    assert len(text.clip("x" * 5000, 3000)) == 3000


def test_the_stand_in_refuses_oversized_blocks_and_takes_them_fitted() -> None:
    problems = limits.block_problems(OVERSIZED, limit=limits.MESSAGE_MAX_BLOCKS, at="/blocks")
    assert len(problems) >= 10
    fitted = text.fit_message(OVERSIZED)
    assert limits.block_problems(fitted, limit=limits.MESSAGE_MAX_BLOCKS, at="/blocks") == []
    assert fitted[1]["text"]["text"].endswith("…") and len(fitted[1]["text"]["text"]) == 3000
    assert len(fitted[2]["fields"]) == 10
    assert OVERSIZED[1]["text"]["text"] == "s" * 5000  # the builder's blocks are left alone


def test_too_many_blocks_end_with_a_note_of_how_many_more() -> None:
    fitted = text.fit_message([section(str(n)) for n in range(60)])
    assert len(fitted) == 50
    assert fitted[-1]["elements"][0]["text"] == "… 11 more"


def test_views_are_fitted_to_modal_limits() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "An incident title far too long"},
        "submit": {"type": "plain_text", "text": "Submit this now please!!!"},
        "blocks": [section(str(n)) for n in range(120)],
    }
    assert limits.view_problems(view, kind="modal")
    fitted = text.fit_view(view)
    assert limits.view_problems(fitted, kind="modal") == []
    assert fitted["title"]["text"] == "An incident title far t…"


def test_text_topic_and_channel_name_limits() -> None:
    assert len(text.fit_text("t" * 50_000)) == 40_000
    assert len(text.fit_topic("t" * 300)) == 250
    assert len(text.fit_channel_name("inc-" + "x" * 100)) == 80


@pytest.fixture
def config() -> Config:
    return Config(web=Web(public_url="https://bot.example"))


async def test_a_long_description_is_clipped_with_a_link_to_the_whole(stage: Stage) -> None:
    alert = {
        "title": "Refund answers wrong <!channel>",
        "description": "A long story. " * 600,
        "labels": {"feature": "f" * 5000, "severity": "P2"},
    }
    assert (await stage.alert("generic", alert)).status_code == 202
    await stage.settle()
    [channel] = [c for c in stage.slack.workspace.channels.values() if c.name.startswith("inc-")]
    [summary] = stage.slack.pins(channel.id)
    payload = stage.slack.message_payload(summary)
    sections = [
        b["text"]["text"] for b in payload["blocks"] if b.get("text", {}).get("type") == "mrkdwn"
    ]
    [described] = [t for t in sections if t.startswith("A long story.")]
    assert len(described) <= 3000
    assert described.endswith("… <https://bot.example/ui/incidents/1|full text>")
    assert "&lt;!channel&gt;" in payload["text"] and "<!channel>" not in payload["text"]
