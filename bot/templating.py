"""The one preconfigured Jinja environment: sandboxed, strict, plain text, team folders first."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.errors import ConfigError


def builtin_templates() -> Traversable:
    """The templates shipped inside the package (`bot/templates/`)."""
    return resources.files("bot") / "templates"


def make_environment(*folders: Path) -> SandboxedEnvironment:
    """Build the sandboxed environment; earlier folders override later ones and the built-ins."""
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        raise ConfigError(f"templates folder not found: {', '.join(missing)}")
    loaders: list[BaseLoader] = [FileSystemLoader(f) for f in folders]
    loader = ChoiceLoader([*loaders, PackageLoader("bot", "templates")])
    env = SandboxedEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=False,  # plain text / mrkdwn; escaping happens where the text is posted
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=format_when, duration=format_duration, sentence=as_sentence, number=format_number
    )
    return env


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone `name`, or raise ConfigError if there is none by that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone {name!r} (use an IANA name like 'Europe/Berlin')"
        ) from exc


def format_when(value: datetime, tz: str = "UTC") -> str:
    """Format an aware datetime as '2026-11-23 14:05 UTC', shown in the IANA zone `tz`."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError(f"'when' needs a timezone-aware datetime, got {value!r}")
    local = value.astimezone(zone(tz))
    abbreviation = local.strftime("%Z")
    if abbreviation.startswith(("+", "-")):  # zones without a letter abbreviation, e.g. '+03'
        abbreviation = f"UTC{abbreviation}"
    return f"{local:%Y-%m-%d %H:%M} {abbreviation}"


def format_duration(value: timedelta) -> str:
    """Format a timedelta to the nearest minute, e.g. '1 h 20 min' or '2 d 3 h'."""
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise TypeError(f"'duration' needs a non-negative timedelta, got {value!r}")
    minutes = round(value.total_seconds() / 60)
    if minutes == 0:
        return "under 1 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "min")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n)


def as_sentence(value: str) -> str:
    """Capitalise the first letter (leaving the rest alone) and end with a full stop."""
    text = str(value).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


def format_number(value: int) -> str:
    """Format an integer with thousands separators, e.g. '12,480'."""
    return f"{value:,}"
