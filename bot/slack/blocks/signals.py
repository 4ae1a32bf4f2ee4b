"""Texts and Block Kit for quality signals: chart comments and the "Run evals" offer."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.flows.eval_loop import Offer, Requested
from bot.signals.charting import ChartData
from bot.slack.ids import ActionId, BlockId
from bot.slack.text import clip, esc
from bot.vocabulary import ChartPhase

RUN_EVALS = "🧪 Run evals"


def chart_title(chart: ChartData, phase: ChartPhase) -> str:
    """The chart file's title."""
    when = "at open" if phase is ChartPhase.OPENED else "at resolve"
    return clip(f"Control chart: {chart.title} of {chart.feature} {when}", 200)


def chart_comment(chart: ChartData, phase: ChartPhase) -> str:
    """What the channel is told with the chart."""
    crossed = chart.crossings
    first = crossed[0] if crossed else None
    baseline = f"baseline mean {chart.mean:.3g}, σ {chart.sigma:.3g}"
    if phase is ChartPhase.OPENED:
        lead = f"📉 *{esc(chart.title)}* of `{esc(chart.feature)}` left its control limits"
    else:
        lead = f"📈 *{esc(chart.title)}* of `{esc(chart.feature)}` before and after the fix"
    detail = f" ({chart.method.upper()}, {baseline}; {len(crossed)} points out of control"
    if first is not None:
        detail += f", first at {first.at:%Y-%m-%d %H:%M} UTC"
    markers = [m.label for m in chart.markers if m.kind == "change"]
    changes = f". Changes nearby: {esc(', '.join(markers[:5]))}" if markers else ""
    return clip(lead + detail + ")" + changes + ".", 3000)


def offer_text(offer: Offer) -> str:
    """The offer's fallback text, and its text when no runner is configured."""
    if offer.runner is None:
        return (
            "🧪 The incident is contained. To validate the fix, post an eval run to "
            "`POST /evals`, or configure a provider of kind `eval_runner` to get a "
            "*Run evals* button here."
        )
    suites = ", ".join(f"`{esc(s)}`" for s in offer.suites) or "its suites"
    return (
        f"🧪 The incident is contained. Run the evals ({suites} on `{esc(offer.runner)}`) "
        "to validate the fix; results come back through `POST /evals`."
    )


def offer_blocks(offer: Offer) -> list[Block]:
    """The offer, with the button when a runner is configured."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=offer_text(offer)))]
    if offer.runner is not None:
        blocks.append(
            ActionsBlock(
                block_id=BlockId.EVAL_OFFER,
                elements=[
                    ButtonElement(
                        text=RUN_EVALS,
                        action_id=ActionId.RUN_EVALS,
                        value=str(offer.incident_id),
                        style="primary",
                    )
                ],
            )
        )
    return blocks


def requested_text(done: Requested, user_id: str) -> str:
    """The channel is told who asked for an eval run."""
    return f"🧪 <@{user_id}> asked for an eval run: {esc(done.description)}."
