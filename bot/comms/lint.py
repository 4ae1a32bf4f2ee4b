"""Scope lint: empty required fields block publishing; wording problems warn."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.comms.schemas import (
    FIELD_LABELS,
    REQUIRED_FIELDS,
    Draft,
    LintFinding,
    LintResult,
    LintRule,
    Scope,
)
from bot.vocabulary import Audience, CommsKind


@dataclass(frozen=True, slots=True)
class _Check:
    rule: LintRule
    pattern: re.Pattern[str]
    message: str
    external_only: bool = False
    accept: Callable[[str], bool] = lambda _excerpt: True


def _words(*alternatives: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """Compile alternatives that must stand as whole words."""
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", flags)


_ROLE_MAILBOXES = frozenset(
    {"support", "help", "helpdesk", "security", "privacy", "status", "noreply", "no-reply"}
    | {"info", "contact", "legal", "dpo", "abuse", "trust", "feedback"}
)


def _is_personal_email(excerpt: str) -> bool:
    """Whether an email address belongs to a person rather than a team mailbox."""
    return excerpt.split("@", 1)[0].lower() not in _ROLE_MAILBOXES


def _is_phone_number(excerpt: str) -> bool:
    """Whether a digit run looks like a phone number rather than a date or an address."""
    digits = sum(ch.isdigit() for ch in excerpt)
    return 9 <= digits <= 15 and not re.search(r"\d{4}-\d{2}-\d{2}|\d+\.\d+\.\d+\.\d+", excerpt)


_SAY_WHO = "Vague: say exactly who (feature, region, plan) and what they saw."
_CHECKS: tuple[_Check, ...] = (
    _Check(
        LintRule.PLACEHOLDER,
        re.compile(
            r"\b(?:TBD|TBC|TODO|FIXME|XXX+)\b|\[(?i:insert|add|fill|enter|your)[^\]]*\]"
            r"|\[[A-Z][A-Z0-9 _/-]{2,}\]|\{\{.*?\}\}|\{%.*?%\}|<[A-Za-z][A-Za-z _-]{0,40}>"
            r"|\?{3,}|(?i:lorem ipsum)"
        ),
        "Leftover placeholder: fill it in or remove it.",
    ),
    _Check(
        LintRule.PERSONAL_DATA,
        re.compile(r"[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
        "Personal data (an email address) in an external message.",
        external_only=True,
        accept=_is_personal_email,
    ),
    _Check(
        LintRule.PERSONAL_DATA,
        re.compile(r"(?<![\w+.])\+?\(?\d[\d ().-]{7,}\d(?!\w)"),
        "Personal data (a phone number) in an external message.",
        external_only=True,
        accept=_is_phone_number,
    ),
    _Check(
        LintRule.PERSONAL_DATA,
        re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)|<@[UW][A-Z0-9]+>"),
        "Personal data (an IP address or a person's Slack handle) in an external message.",
        external_only=True,
    ),
    _Check(
        LintRule.BLAMES_AI,
        _words(
            r"the (?:ai|model|llm|bot|algorithm|assistant|system)s? (?:decided|chose|hallucinated"
            r"|got confused|misbehaved|went rogue|malfunctioned|was wrong"
            r"|made (?:a|an|some) (?:mistake|error)s?)",
            r"the algorithms?",
            r"ai (?:glitch|error|mistake)s?",
        ),
        "Don't explain or blame 'the AI': say what users saw and what we did; we own the outcome.",
    ),
    _Check(
        LintRule.VAGUE,
        _words(
            r"some (?:of (?:our|the) )?(?:users|customers|people|accounts|members)",
            r"certain (?:users|customers|people|accounts)",
            r"a (?:small |limited |large )?(?:number|subset|portion|percentage|fraction) of",
            r"an? (?:issue|problem|glitch|hiccup)",
            r"some (?:issues|problems|features)",
            r"intermittent (?:issues|problems)",
            r"(?:may|might|could) have (?:been )?(?:affected|impacted|experienced|noticed)",
            r"technical (?:difficulties|issues|problems)",
            r"unexpected behaviou?r",
            r"in (?:some|certain|rare) cases",
            r"degraded (?:performance|experience|service)",
        ),
        _SAY_WHO,
    ),
    _Check(
        LintRule.JARGON,
        _words(
            r"(?:gpt-?\d|claude-|llama-?\d|mistral-|mixtral-|gemini-|gemma-?\d|qwen-?\d"
            r"|deepseek-|text-embedding-)(?:[\w.-]*\w)?",
            r"[a-z][a-z0-9]*(?:-[a-z0-9.]+)*-20\d{6}",
            r"(?:prompt|model|index|embedding|template|policy|guardrail|checkpoint)"
            r"(?:[ _-]?v| version )\d+(?:\.\d+)*",
            r"v\d+\.\d+\.\d+",
        ),
        "Internal model or version name: describe the change in user terms.",
    ),
    _Check(
        LintRule.JARGON,
        _words(
            r"llms?",
            r"rag",
            r"embeddings?",
            r"vector (?:index|store|database|db)",
            r"system prompts?",
            r"fine-?tun(?:e|ed|ing)",
            r"hallucinat\w*",
            r"prompt injections?",
            r"jailbreak\w*",
            r"guardrails?",
        ),
        "AI jargon: say what users saw instead (e.g. 'incorrect answers').",
        external_only=True,
    ),
)


def lint(draft: Draft, *, internal_terms: Sequence[str] = ()) -> LintResult:
    """Check a draft: missing required scope blocks approval; wording problems warn."""
    return LintResult(
        errors=missing_fields(draft.kind, draft.scope),
        warnings=_wording(draft, (*_CHECKS, *_term_checks(internal_terms))),
    )


def missing_fields(kind: CommsKind, scope: Scope) -> tuple[LintFinding, ...]:
    """Return a blocking finding for each required scope field that is empty."""
    return tuple(
        LintFinding(LintRule.REQUIRED, f"Fill in {FIELD_LABELS.get(name, name)}.", "", field=name)
        for name in REQUIRED_FIELDS[kind]
        if getattr(scope, name) in (None, "")
    )


def _term_checks(terms: Sequence[str]) -> tuple[_Check, ...]:
    """Build the check for the team's configured internal terms (case-insensitive, whole words)."""
    cleaned = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not cleaned:
        return ()
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(map(re.escape, cleaned)) + r")(?!\w)", re.IGNORECASE
    )
    return (_Check(LintRule.JARGON, pattern, "Internal term: use the name users know."),)


def _wording(draft: Draft, checks: Iterable[_Check]) -> tuple[LintFinding, ...]:
    """Run the wording checks over title and text: one finding per excerpt, in text order."""
    text = f"{draft.title}\n\n{draft.text}"
    external = draft.audience is Audience.EXTERNAL
    found: dict[tuple[LintRule, str], tuple[int, LintFinding]] = {}
    taken: list[tuple[int, int]] = []
    for check in (c for c in checks if external or not c.external_only):
        for match in check.pattern.finditer(text):
            key = (check.rule, match.group().casefold())
            if key in found or _overlaps(match.span(), taken) or not check.accept(match.group()):
                continue
            taken.append(match.span())
            found[key] = (match.start(), LintFinding(check.rule, check.message, match.group()))
    return tuple(finding for _, finding in sorted(found.values(), key=lambda pair: pair[0]))


def _overlaps(span: tuple[int, int], taken: Iterable[tuple[int, int]]) -> bool:
    """Whether a span overlaps one already reported."""
    return any(span[0] < end and start < span[1] for start, end in taken)
