"""Block Kit for "what changed": the ledger's changes near an incident, newest first."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.changes import rules as change_rules
from bot.flows.changes import Arrival, ChangeLine, ChangesReport
from bot.slack.text import clip, esc, when
from bot.vocabulary import ChangeKind

MAX_LINES = 40  # one section per change, within 50 blocks per message
KIND_ICON = {
    ChangeKind.MODEL: "🧠",
    ChangeKind.PROMPT: "📝",
    ChangeKind.INDEX: "📚",
    ChangeKind.DEPLOY: "🚀",
    ChangeKind.CONFIG: "⚙️",
    ChangeKind.PROVIDER: "🔌",
    ChangeKind.TRAFFIC: "📈",
}


def report_text(report: ChangesReport) -> str:
    """Plain fallback text of the report."""
    return f"What changed near #{report.number}: {len(report.lines)} changes"


def report_blocks(report: ChangesReport) -> list[Block]:
    """The report: a heading, one section per change, and a note when some are not shown."""
    names = ", ".join(f"`{esc(name)}`" for name in report.subjects)
    window = change_rules.window_text(report.days)
    if not report.subjects:
        text = (
            f"🔎 *What changed*: incident #{report.number} has no feature or service, "
            "so no changes can be matched to it."
        )
        return [_section(text)]
    if not report.lines:
        text = (
            f"🔎 *What changed*: nothing recorded for {names} in the {window}. "
            "Deploys and model, prompt or index changes show up here once sent to `POST /changes`."
        )
        return [_section(text)]
    heading = f"🔎 *What changed* for {names} — {window}, newest first"
    blocks: list[Block] = [_section(heading)]
    blocks += [_section(line_text(line)) for line in report.lines[:MAX_LINES]]
    hidden = len(report.lines) - MAX_LINES
    if hidden > 0:
        more = f"{hidden} older changes not shown; narrow with `/incident changes <days>`."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return blocks


def arrival_text(arrival: Arrival) -> str:
    """The message for a change recorded while the incident is open."""
    return (
        f"🆕 *A change was just recorded* for this incident's feature:\n{line_text(arrival.line)}"
    )


def line_text(line: ChangeLine) -> str:
    """One change: kind, subject, versions, when relative to the first alert, who, link."""
    parts = [f"{KIND_ICON[line.kind]} *{line.kind.value}* on `{esc(line.subject)}`"]
    if line.from_version or line.to_version:
        parts[0] += f": `{esc(line.from_version or '?')}` → `{esc(line.to_version or '?')}`"
    facts = [f"*{line.relative}*", when(line.at)]
    if line.author:
        facts.append(f"by {esc(line.author)}")
    if line.link and line.link.startswith(("https://", "http://")):
        facts.append(f"<{esc(line.link)}|details>")
    text = parts[0] + "\n" + " · ".join(facts)
    if line.description:
        text += f"\n{esc(clip(line.description, 300))}"
    return clip(text, 3000)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))
