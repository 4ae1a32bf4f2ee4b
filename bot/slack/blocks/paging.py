"""Block Kit and texts for paging: the on-call offer, page replies, pages on the summary."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.paging.pagerduty import OnCallPerson
from bot.paging.schemas import PageView
from bot.slack import button_value
from bot.slack.ids import ActionId, BlockId
from bot.slack.text import clip, esc
from bot.vocabulary import PageState

STATE_ICON = {PageState.TRIGGERED: "📟", PageState.ACKNOWLEDGED: "✅", PageState.RESOLVED: "☑️"}


@dataclass(frozen=True)
class Offer:
    """Who is on call (if PagerDuty said), their Slack user (if found), or why not known."""

    incident_id: int
    person: OnCallPerson | None
    user_id: str | None
    error: str | None = None


def offer_text(offer: Offer) -> str:
    """What the channel is told about the on-call."""
    if offer.error:
        return f"📟 Could not ask PagerDuty who is on call: {esc(clip(offer.error, 300))}"
    person = offer.person
    if person is None:
        return "📟 Nobody is on call in the configured PagerDuty schedule right now."
    where = f" for *{esc(person.schedule)}*"
    if offer.user_id is None:
        email = f" ({esc(person.email)})" if person.email else ""
        return (
            f"📟 On call now{where}: {esc(person.name)}{email}, not found in Slack by email. "
            "Assign a commander with `/incident role commander @someone`."
        )
    return f"📟 On call now{where}: <@{offer.user_id}>. No commander yet: make them commander?"


def offer_blocks(offer: Offer) -> list[Block]:
    """The offer, with a button when the on-call is a Slack user."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=offer_text(offer)))]
    if offer.user_id is not None and offer.person is not None:
        button = ButtonElement(
            text=clip(f"Make {offer.person.name} commander", 75),
            action_id=ActionId.OFFER_COMMANDER,
            value=button_value.encode(offer.incident_id, offer.user_id),
            style="primary",
        )
        blocks.append(ActionsBlock(block_id=BlockId.ONCALL_OFFER, elements=[button]))
    return blocks


def page_reply(page: PageView, new: bool, actor: str) -> str:
    """Tell the channel a target was paged (or already was)."""
    if new:
        return f"📟 <@{actor}> paged *{esc(page.target)}* through PagerDuty."
    return f"📟 *{esc(page.target)}* is already paged ({page_words(page)})."


def page_words(page: PageView) -> str:
    """A page's state: what PagerDuty shows, and what is still being sent."""
    if page.sent is None:
        return "sending" + (f" · ⚠️ {esc(clip(page.error, 200))}" if page.error else "")
    state = f"{STATE_ICON[page.sent]} {page.sent.value}"
    if page.sent is not page.wanted:
        state += f", {page.wanted.value} being sent"
    if page.error:
        state += f" · ⚠️ {esc(clip(page.error, 200))}"
    return state
