"""The HTML side of Jinja: an autoescaping, strict environment over `bot/ui/templates/`.

Separate from the plain-text environment of comms and postmortem templates (which must not
escape). Filters show times in the viewer's time zone and people by their Slack names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from jinja2 import PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from bot import untrusted
from bot.identity import Person
from bot.templating import format_duration, format_when

# a Slack mention, or an id typed as @U… (in text written outside Slack)
MENTION = re.compile(untrusted.MENTION.pattern + r"|(?<![\w@])@([UW][A-Z0-9_]{2,})\b")
SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|([^>]*))?>|<#[CG][A-Z0-9_]+\|([^>]*)>")
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def make_html_environment() -> SandboxedEnvironment:
    """The environment every page is rendered with."""
    env = SandboxedEnvironment(
        loader=PackageLoader("bot.ui", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=_when,
        day=_day,
        duration=_duration,
        person=_person,
        slack_text=_slack_text,
        markdown=_markdown_html,
    )
    return env


def name_of(people: Mapping[str, Person], user_id: str | None) -> str:
    """A person's name, or their id when Slack does not know them."""
    if not user_id:
        return "nobody"
    found = people.get(user_id)
    return found.name if found else user_id


@pass_context
def _when(context: Context, value: datetime | None) -> Markup:
    if value is None:
        return Markup("—")
    tz = context["viewer"].tz
    iso = value.astimezone(UTC).isoformat(timespec="seconds")
    utc = format_when(value, "UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        iso, utc, format_when(value, tz)
    )


def _day(value: date | None) -> Markup:
    if value is None:
        return Markup("—")
    return Markup('<time datetime="{0}">{0}</time>').format(value.isoformat())


def _duration(value: timedelta | None) -> str:
    return "—" if value is None else format_duration(value)


@pass_context
def _person(context: Context, user_id: str | None) -> str:
    return name_of(context["people"], user_id)


@pass_context
def _slack_text(context: Context, text: str | None) -> Markup:
    """Slack-formatted text as HTML: mentions become names, links their labels; the rest escaped."""
    people = context["people"]
    out, last = [], 0
    raw = text or ""
    for found in _tokens(raw):
        out.append(escape(raw[last : found.start()]))
        out.append(escape(_token_text(found, people)))
        last = found.end()
    out.append(escape(raw[last:]))
    return Markup("").join(out)


def _tokens(raw: str) -> list[re.Match[str]]:
    found = list(MENTION.finditer(raw)) + list(SLACK_LINK.finditer(raw))
    found.sort(key=lambda m: m.start())
    kept: list[re.Match[str]] = []
    for match in found:
        if not kept or match.start() >= kept[-1].end():
            kept.append(match)
    return kept


def _token_text(found: re.Match[str], people: Mapping[str, Person]) -> str:
    groups = found.groups()
    if found.re is MENTION:
        return "@" + name_of(people, groups[0] or groups[1])
    if groups[0]:
        return groups[1] or groups[0]
    return f"#{groups[2]}"


def plain_text(text: str, people: Mapping[str, Person]) -> str:
    """Slack-formatted text as plain text: mentions become names (for messages to scripts)."""
    return MENTION.sub(lambda m: "@" + name_of(people, m.group(1) or m.group(2)), text)


@pass_context
def _markdown_html(context: Context, text: str) -> Markup:
    """Markdown (raw HTML in it is escaped, not passed through) as HTML, people by name."""
    return Markup(_markdown.render(plain_text(text, context["people"])))
