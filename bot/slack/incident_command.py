"""`/incident`: ack (or answer usage at once); the worker runs the subcommand and replies."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.context.async_context import AsyncBoltContext

from bot.errors import BadInput
from bot.slack import command_text
from bot.slack.context import SlackContext
from bot.slack.listeners import MODULES
from bot.slack.listening import UNORDERED, listen
from bot.slack.subcommand import Invocation, Subcommand
from bot.slack.text import esc


def registry() -> dict[str, Subcommand]:
    """Every subcommand of every stage, by name, with `help` listing them all."""
    found = {s.name: s for m in MODULES for s in m.SUBCOMMANDS}
    usages = [s.usage for s in found.values()] + ["`/incident help` — this list"]

    async def _help(ctx: SlackContext, call: Invocation) -> str:
        return command_text.help_text(usages)

    found["help"] = Subcommand("help", usages[-1], _help)
    return found


def register(app: AsyncApp, ctx: SlackContext) -> None:
    """Register `/incident`."""
    subcommands = registry()

    async def check_arguments(
        ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        name, rest = command_text.split(command.get("text", ""))
        sub = subcommands.get(name)
        if sub is None:
            await ack(
                response_type="ephemeral",
                text=f"I don't know `{esc(name[:40])}`. Try `/incident help`.",
            )
            return
        try:
            if sub.check is not None:
                sub.check(rest, sub.usage)
        except BadInput as exc:
            await ack(response_type="ephemeral", text=str(exc))
            return
        if sub.opens_modal:
            context[UNORDERED] = True
        await ack()

    async def incident_command(command: dict[str, Any], respond: AsyncRespond) -> None:
        name, rest = command_text.split(command.get("text", ""))
        call = Invocation(
            name, rest, command["user_id"], command["channel_id"], command["trigger_id"]
        )
        reply = await subcommands[name].run(ctx, call)
        if reply:
            await respond(text=reply, response_type="ephemeral")

    listen(app.command("/incident"), incident_command, ack=check_arguments)
