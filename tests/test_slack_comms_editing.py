"""Hand edits to a comms draft are the person's: kept through any number of Edit/Save cycles and
previews, replaced only by an explicit Re-draft that asks first; versions are never overwritten."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Config
from bot.models import CommsVersion
from bot.sandbox.stage import Stage
from bot.slack.ids import ActionId
from tests.support.comms_form import (
    button,
    card,
    context_texts,
    declare,
    field,
    input_value,
    new_form,
    open_form,
    press,
    preview,
    rows,
    state_of,
    with_roles,
)

SEGMENT = "Support assistant users asking about refunds"
DONE = "We turned off refund answers."
OUR_DONE = "What we have done: At 03:40 we turned off refund answers and told the help centre."
OUR_TITLE = "Refund answers quoted the wrong refund window"


@pytest.fixture
def config() -> Config:
    return Config.model_validate({"default_responders": ["U_BOB", "U_CAROL"]})


async def saved(stage: Stage, view: dict[str, Any], user: str = "U_BOB", **typed: str) -> None:
    response = await stage.submit(view, state_of(view, **typed), user=user)
    assert response.status_code == 200 and response.text in ("", "null"), response.text
    await stage.settle()


async def edit(stage: Stage, channel: str, user: str = "U_BOB") -> dict[str, Any]:
    """Press Edit on the draft card; return the form it opens."""
    message = card(stage, channel)
    before = len(stage.slack.views())
    await stage.click(
        ActionId.COMMS_EDIT, button(message, ActionId.COMMS_EDIT), user=user, channel=channel
    )
    return await new_form(stage, before)


def text_of(view: dict[str, Any]) -> str:
    return input_value(view, ActionId.COMMS_TEXT) or ""


def redraft_button(view: dict[str, Any]) -> dict[str, Any]:
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == ActionId.COMMS_REDRAFT:
                return dict(element)
    raise AssertionError("no Re-draft button")


async def hand_edited_v2(stage: Stage) -> str:
    """v1 as drafted, then v2 with the title and one line rewritten by hand; return the channel."""
    channel = await declare(stage)
    await with_roles(stage, channel)
    view = await open_form(stage, channel)
    await saved(stage, view, **{field("segment"): SEGMENT, field("actions_taken"): DONE})
    view = await edit(stage, channel)
    text = text_of(view)
    assert f"What we have done: {DONE}" in text
    mine = text.replace(f"What we have done: {DONE}", OUR_DONE)
    await saved(stage, view, **{ActionId.COMMS_TITLE: OUR_TITLE, ActionId.COMMS_TEXT: mine})
    return channel


async def test_hand_edits_survive_any_number_of_edits_and_saves(stage: Stage) -> None:
    channel = await hand_edited_v2(stage)
    for n, segment in enumerate(("Refund askers in the EU", "Refund askers everywhere", "All"), 3):
        view = await edit(stage, channel)
        assert OUR_DONE in text_of(view)
        words = context_texts(view)
        assert "✍️ *Yours*, kept as you wrote it: the title, “What we have done: At 03:40" in words
        assert "🤖 *Drafted* from the fields:" in words
        await saved(stage, view, **{field("segment"): segment})  # only the field changes
        versions = await rows(stage, CommsVersion)
        assert [v.version for v in versions] == list(range(1, n + 1))
        newest = versions[-1]
        assert newest.title == OUR_TITLE and OUR_DONE in newest.text
        assert f"Who is affected: {segment}." in newest.text  # the drafted line followed
        assert newest.scope["segment"] == segment

    v1, v2, *_ = await rows(stage, CommsVersion)  # never overwritten
    assert f"Who is affected: {SEGMENT}." in v1.text and OUR_DONE not in v1.text
    assert OUR_DONE in v2.text and v2.title == OUR_TITLE and v2.scope["segment"] == SEGMENT
    saves = [e.text for e in stage.slack.ephemerals(user="U_BOB") if "Saved v" in e.text]
    assert len(saves) == 5 and not any("were kept" in t for t in saves)


async def test_own_words_win_where_the_fields_change_under_them(stage: Stage) -> None:
    channel = await hand_edited_v2(stage)
    view = await edit(stage, channel)
    ours = "Who is affected: people who asked the assistant about refunds since Monday."
    text = text_of(view).replace(f"Who is affected: {SEGMENT}.", ours)
    await saved(stage, view, **{ActionId.COMMS_TEXT: text, field("segment"): "Everyone"})
    newest = (await rows(stage, CommsVersion))[-1]
    assert ours in newest.text and "Everyone" not in newest.text and OUR_DONE in newest.text
    told = stage.slack.ephemerals(user="U_BOB")[-1].text
    assert "Saved v3" in told and "Your own words were kept where the fields changed" in told
    assert "people who asked the assistant about refunds since Monday" in told


async def test_preview_keeps_what_was_typed_and_moves_the_drafted_lines(stage: Stage) -> None:
    channel = await declare(stage)
    await with_roles(stage, channel)
    view = await open_form(stage, channel)
    assert "🤖 *Drafted* from the fields below: every line follows them." in context_texts(view)
    typed = text_of(view) + "\nWe are sorry for the confusion this caused."
    shown = await preview(
        stage, view, **{ActionId.COMMS_TEXT: typed, field("segment"): "Refund askers in the EU"}
    )
    text = text_of(shown)
    assert text.endswith("We are sorry for the confusion this caused.")
    assert "Who is affected: Refund askers in the EU." in text
    assert "“We are sorry for the confusion this caused.”" in context_texts(shown)
    # Previewing again with nothing changed keeps everything, and saving stores what is shown.
    again = await preview(stage, shown)
    assert text_of(again) == text
    await saved(stage, again, **{field("actions_taken"): DONE})
    [version] = await rows(stage, CommsVersion)
    assert version.text.endswith("We are sorry for the confusion this caused.")
    assert f"What we have done: {DONE}" in version.text


async def test_only_redraft_replaces_own_words_and_it_asks_first(stage: Stage) -> None:
    channel = await hand_edited_v2(stage)
    view = await edit(stage, channel)
    confirm = redraft_button(view)["confirm"]
    assert confirm["title"]["text"] == "Re-draft the message?"
    assert "replacing the words you wrote yourself" in confirm["text"]["text"]
    assert "saved versions stay in *History*" in confirm["text"]["text"]
    assert confirm["deny"]["text"] == "Keep my text"

    fresh = await press(stage, view, ActionId.COMMS_REDRAFT, **{field("segment"): "Everyone"})
    assert OUR_DONE not in text_of(fresh) and f"What we have done: {DONE}" in text_of(fresh)
    assert "Who is affected: Everyone." in text_of(fresh)
    assert input_value(fresh, ActionId.COMMS_TITLE) != OUR_TITLE
    assert "every line follows them" in context_texts(fresh)
    assert len(await rows(stage, CommsVersion)) == 2  # nothing saved by re-drafting

    await saved(stage, fresh)
    _, v2, v3 = await rows(stage, CommsVersion)
    assert OUR_DONE not in v3.text and v3.title != OUR_TITLE
    assert OUR_DONE in v2.text and v2.title == OUR_TITLE  # still there, in History


async def test_a_save_over_someone_elses_newer_version_says_so(stage: Stage) -> None:
    channel = await hand_edited_v2(stage)
    bobs = await edit(stage, channel)
    alices = await edit(stage, channel, user="U_ALICE")
    await saved(stage, alices, user="U_ALICE", **{field("segment"): "Refund askers in the EU"})
    await saved(stage, bobs, **{field("segment"): "Refund askers everywhere"})
    versions = await rows(stage, CommsVersion)
    assert [(v.version, v.author) for v in versions][-2:] == [(3, "U_ALICE"), (4, "U_BOB")]
    told = stage.slack.ephemerals(user="U_BOB")[-1].text
    assert "<@U_ALICE> saved v3 while you had this open" in told
