"""`/incident action`, `actions`, `postmortem` and `stats`: parse, call one flow, reply."""

from __future__ import annotations

from datetime import timedelta

from bot.errors import BadInput
from bot.flows import action_items as item_flows
from bot.flows import durations as duration_flows
from bot.flows import postmortem as postmortem_flows
from bot.incidents import store as incident_store
from bot.postmortem.schemas import ActionAddArgs, ActionsQuery, Scope
from bot.slack import followup_args
from bot.slack.blocks import followup_text
from bot.slack.context import SlackContext
from bot.slack.subcommand import Invocation, Reply, Subcommand
from bot.vocabulary import PostmortemState

USAGE = {
    "action": (
        f"`{followup_args.USAGE_ACTION_ADD}` — add a postmortem action item; "
        f"`{followup_args.USAGE_ACTION_DUE}` — move its due date"
    ),
    "actions": (
        f"`{followup_args.USAGE_ACTIONS}` — list action items (this incident's in its channel)"
    ),
    "postmortem": (
        f"`{followup_args.USAGE_POSTMORTEM}` — write the postmortem to the channel's canvas, "
        "put it in review, publish it"
    ),
    "stats": f"`{followup_args.USAGE_STATS}` — time to detect, acknowledge, contain, resolve",
}


def check_action(rest: str, usage: str) -> object:
    """Check `/incident action add …` or `… due …` before acking."""
    verb, _, args = rest.partition(" ")
    if verb.lower() == "add":
        return followup_args.parse_action_add(args)
    if verb.lower() == "due":
        return followup_args.parse_action_due(args)
    raise BadInput(f"Usage: {usage}")


async def action(ctx: SlackContext, call: Invocation) -> Reply:
    """Add an action item in an incident channel, or move an item's due date."""
    parsed = check_action(call.rest, USAGE["action"])
    now = ctx.deps.clock()
    if isinstance(parsed, followup_args.ActionDueArgs):
        async with ctx.flow() as session:
            item = await item_flows.change_due(
                session=session,
                config=ctx.deps.config,
                item_id=parsed.item_id,
                due_on=parsed.due,
                actor=call.user_id,
                now=now,
            )
        return f"📅 Action item #{item.id} is now due {item.due}; reminders moved with it."
    assert isinstance(parsed, ActionAddArgs)
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        item = await item_flows.add(
            session=session,
            config=ctx.deps.config,
            incident_id=incident.id,
            args=parsed,
            actor=call.user_id,
            now=now,
        )
    return followup_text.item_added(item, item_flows.today(ctx.deps.config, now))


async def actions(ctx: SlackContext, call: Invocation) -> Reply:
    """List action items: this incident's, mine, overdue, someone's or a team's."""
    query = followup_args.parse_actions(call.rest)
    now = ctx.deps.clock()
    async with ctx.flow() as session:
        incident = await incident_store.get_by_channel(session=session, channel_id=call.channel_id)
        items = await item_flows.listing(
            session=session,
            config=ctx.deps.config,
            query=query,
            user_id=call.user_id,
            incident_id=incident.id if incident else None,
            now=now,
        )
    title = _title(query, incident.number if incident else None)
    return followup_text.actions_list(title, items, item_flows.today(ctx.deps.config, now))


def _title(query: ActionsQuery, number: int | None) -> str:
    if query.scope is Scope.HERE and number is not None:
        return f"Action items of incident #{number}"
    return {
        Scope.HERE: "Your open action items",
        Scope.MINE: "Your open action items",
        Scope.OVERDUE: "Overdue action items",
        Scope.USER: f"Open action items of <@{query.value}>",
        Scope.TEAM: f"Open action items of team {query.value}",
    }[query.scope]


async def postmortem(ctx: SlackContext, call: Invocation) -> Reply:
    """Post the postmortem draft into the channel, or move it to review or published."""
    target = followup_args.parse_postmortem(call.rest)
    async with ctx.incident_flow(call.channel_id) as (session, incident):
        doc = await postmortem_flows.write(
            session=session,
            config=ctx.deps.config,
            templates=ctx.deps.templates,
            incident_id=incident.id,
            target=target,
            actor=call.user_id,
            now=ctx.deps.clock(),
            name_of=ctx.gateway.display_name,
        )
    if target is not PostmortemState.DRAFT:
        await ctx.gateway.post(call.channel_id, followup_text.postmortem_moved(doc, call.user_id))
        return None
    await ctx.gateway.post(call.channel_id, followup_text.postmortem_head(doc))
    return None


async def stats(ctx: SlackContext, call: Invocation) -> Reply:
    """Reply with response times by type and severity over the last N days."""
    days = followup_args.parse_stats(call.rest)
    async with ctx.flow() as session:
        found = await duration_flows.summary(
            session=session, since=ctx.deps.clock() - timedelta(days=days)
        )
    return followup_text.stats(days, found)


SUBCOMMANDS = [
    Subcommand("action", USAGE["action"], action, check_action),
    Subcommand(
        "actions", USAGE["actions"], actions, lambda rest, _: followup_args.parse_actions(rest)
    ),
    Subcommand(
        "postmortem",
        USAGE["postmortem"],
        postmortem,
        lambda r, _: followup_args.parse_postmortem(r),
    ),
    Subcommand("stats", USAGE["stats"], stats, lambda rest, _: followup_args.parse_stats(rest)),
]
