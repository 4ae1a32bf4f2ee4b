"""What a plan will send, as people see it before it runs: every request in order, with its method,
URL, headers and body. Secret header values never appear: a value that names an environment
variable shows which one, and any value of a credential-looking header is masked."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.containment.providers import flags, langfuse
from bot.containment.schemas import Plan, ProviderKind

MASK = "••••"
_SECRET_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CREDENTIAL = re.compile(r"auth|token|secret|key|password|cookie|signature", re.IGNORECASE)
_SCHEME = re.compile(r"^(Bearer|Basic|Token|OAuth|ApiKey|Digest)\s", re.IGNORECASE)


@dataclass(frozen=True)
class Request:
    """One HTTP request of a plan, safe to show: why it is sent and exactly what it carries."""

    purpose: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: str | None = None


def requests(plan: Plan) -> list[Request]:
    """Every request the plan sends, in order (reads first, then the change)."""
    change = Request(
        "The change",
        plan.method,
        plan.url,
        shown_headers(plan.headers if plan.body is not None else _no_type(plan.headers)),
        json.dumps(plan.body, indent=2, ensure_ascii=False) if plan.body is not None else None,
    )
    return [*_reads(plan), change]


def shown_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Header names with their values, secrets masked (naming the variable they come from)."""
    return tuple((name, _shown(name, value)) for name, value in headers.items())


def _shown(name: str, value: str) -> str:
    names = _SECRET_REF.findall(value)
    if not names and not _CREDENTIAL.search(name):
        return value
    scheme = _SCHEME.match(value)
    masked = f"{scheme.group(1)} {MASK}" if scheme else MASK
    if not names:
        return masked
    return f"{masked} (from {', '.join(f'${n}' for n in dict.fromkeys(names))})"


def _reads(plan: Plan) -> list[Request]:
    headers = shown_headers(_no_type(plan.headers))
    if plan.kind in (ProviderKind.LAUNCHDARKLY, ProviderKind.UNLEASH):
        url, query = flags.state_request(plan)
        why = "Read whether the flag is on now (so Undo can put it back)"
        return [Request(why, "GET", _with(url, query), headers)]
    if plan.kind is not ProviderKind.LANGFUSE:
        return []
    base, prompt, label = (plan.target[key] for key in ("base_url", "prompt", "label"))
    current = _with(langfuse.prompt_url(base, prompt), {"label": label})
    reads = [Request(f"Read which version is labelled `{label}` now", "GET", current, headers)]
    if "version" not in plan.target:  # an undo names the version; a rollback looks it up
        url, query = langfuse.listing_request(base, prompt)
        why = f"List the versions, to find the one before it (`{langfuse.PREVIOUS}` below)"
        reads.append(Request(why, "GET", _with(url, query), headers))
    return reads


def _with(url: str, query: Mapping[str, str] | None) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def _no_type(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers of a request without a body (no Content-Type is sent with them)."""
    return {k: v for k, v in headers.items() if k.lower() != "content-type"}
