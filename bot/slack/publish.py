"""Publishing an approved communication to a Slack channel target."""

from __future__ import annotations

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

from bot.comms.clients import Delivery, Message
from bot.comms.targets import SlackTarget
from bot.slack.blocks import comms as comms_blocks
from bot.slack.gateway import PostKey, SlackGateway


async def to_slack(
    gateway: SlackGateway, target: SlackTarget, message: Message, once: PostKey
) -> Delivery:
    """Post the message in the target channel (once); a failure is an outcome, not an error."""
    text = comms_blocks.published_text(message.title, message.text)
    blocks = comms_blocks.message_sections(message.title, message.text)
    try:
        ts = await gateway.post(target.channel, text, list(blocks), once=once)
    except SlackApiError as exc:
        return Delivery(ok=False, error=f"Slack: {exc.response.get('error', exc)}")
    except (ClientError, TimeoutError) as exc:
        return Delivery(ok=False, error=f"Slack unreachable: {exc!r}")
    return Delivery(ok=True, external_id=ts)
