"""Webhook authentication checks on the raw request body; pure, constant-time comparisons."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import UTC, datetime

PAGERDUTY_SIGNATURE_HEADER = "X-PagerDuty-Signature"
GRAFANA_SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
# Grafana only sends a timestamp when the contact point names a header for it; this is ours.
GRAFANA_TIMESTAMP_HEADER = "X-Grafana-Alerting-Signature-Timestamp"
LANGFUSE_SIGNATURE_HEADER = "x-langfuse-signature"
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def verify_pagerduty(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """Return whether any `v1=` signature in the header is the body's HMAC-SHA256 by any secret."""
    if isinstance(secrets, str):  # a lone string would otherwise be read as one-letter secrets
        secrets = [secrets]
    expected = [hmac_hex(secret, body) for secret in secrets if secret]
    # A full list, not a generator: every comparison runs, so timing says nothing about which.
    matches = [_same_hex(sig, want) for sig in _v1_signatures(header) for want in expected]
    return any(matches)


def verify_grafana(
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    secret: str,
    now: datetime | None = None,
    tolerance_s: float = 300,
) -> bool:
    """Return whether Grafana's hex HMAC-SHA256 matches the body (`timestamp:body` if sent)."""
    if not secret or not signature:
        return False
    if timestamp is None:
        return _same_hex(signature, hmac_hex(secret, body))
    if not _fresh(timestamp, now, tolerance_s):
        return False
    signed = timestamp.strip().encode("ascii") + b":" + body
    return _same_hex(signature, hmac_hex(secret, signed))


def verify_langfuse(body: bytes, header: str | None, secret: str) -> bool:
    """Return whether `t=<unix>,v1=<hex>` (or `s=<hex>`) is the HMAC-SHA256 of `t.body`."""
    fields = dict(part.strip().partition("=")[::2] for part in (header or "").split(","))
    timestamp = fields.get("t", "")
    offered = [fields[key] for key in ("v1", "s") if key in fields]
    if not secret or not offered or not _UNIX_SECONDS.fullmatch(timestamp):
        return False
    expected = hmac_hex(secret, timestamp.encode("ascii") + b"." + body)
    return any([_same_hex(signature, expected) for signature in offered])


def bearer_ok(header: str | None, token: str) -> bool:
    """Return whether the Authorization header is `Bearer <token>`; an empty token never is."""
    scheme, _, offered = (header or "").strip().partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(offered.strip().encode("utf-8"), token.encode("utf-8"))


def hmac_hex(secret: str, message: bytes) -> str:
    """Return the hex HMAC-SHA256 of `message` keyed by `secret`."""
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _v1_signatures(header: str | None) -> list[str]:
    parts = (part.strip() for part in (header or "").split(","))
    return [part.removeprefix("v1=") for part in parts if part.startswith("v1=")]


def _fresh(timestamp: str, now: datetime | None, tolerance_s: float) -> bool:
    if not _UNIX_SECONDS.fullmatch(timestamp.strip()):
        return False
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return abs(moment.timestamp() - int(timestamp.strip())) <= tolerance_s


def _same_hex(offered: str, expected: str) -> bool:
    # Bytes, not str: compare_digest raises TypeError on non-ASCII strings.
    return hmac.compare_digest(offered.strip().lower().encode("utf-8"), expected.encode("ascii"))
