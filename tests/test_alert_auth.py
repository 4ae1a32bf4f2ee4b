"""Webhook signature and bearer checks on raw bodies."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts.auth import bearer_ok, verify_grafana, verify_langfuse, verify_pagerduty

BODY = (Path(__file__).parent / "payloads" / "pagerduty_triggered.json").read_bytes()
NOW = datetime(2024, 5, 2, 14, 30, 0, tzinfo=UTC)
NOW_TS = str(int(NOW.timestamp()))


def sign(secret: str, message: bytes) -> str:
    """Compute the signature independently of the code under test."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- PagerDuty ----------------------------------------------------------------------------


def test_pagerduty_single_signature() -> None:
    header = f"v1={sign('pd-secret', BODY)}"
    assert verify_pagerduty(BODY, header, ["pd-secret"])


def test_pagerduty_any_signature_against_any_secret() -> None:
    # During rotation PagerDuty sends several signatures; we may also hold several secrets.
    header = f"v1={sign('old', BODY)}, v1={sign('new', BODY)}"
    assert verify_pagerduty(BODY, header, ["unrelated", "new"])
    assert verify_pagerduty(BODY, header, ["old"])


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "v1=",
        "v1=deadbeef",
        f"v0={sign('pd-secret', BODY)}",
        sign("pd-secret", BODY),  # right digest without the v1= prefix
        f"v1={sign('pd-secret', BODY + b' ')}",
        f"v1={sign('pd-secret', BODY)[:-1]}é",
    ],
)
def test_pagerduty_rejects_bad_headers(header: str | None) -> None:
    assert not verify_pagerduty(BODY, header, ["pd-secret"])


def test_pagerduty_rejects_wrong_or_missing_secrets() -> None:
    header = f"v1={sign('pd-secret', BODY)}"
    assert not verify_pagerduty(BODY, header, ["other"])
    assert not verify_pagerduty(BODY, header, [])
    assert not verify_pagerduty(BODY, f"v1={sign('', BODY)}", [""])


def test_pagerduty_lone_string_secret_is_one_secret() -> None:
    assert verify_pagerduty(BODY, f"v1={sign('pd', BODY)}", "pd")
    assert not verify_pagerduty(BODY, f"v1={sign('p', BODY)}", "pd")


def test_pagerduty_accepts_uppercase_hex() -> None:
    assert verify_pagerduty(BODY, f"v1={sign('pd', BODY).upper()}", ["pd"])


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=20))
def test_pagerduty_signature_round_trip(body: bytes, secret: str) -> None:
    assert verify_pagerduty(body, f"v1={sign(secret, body)}", [secret])
    assert not verify_pagerduty(body + b"x", f"v1={sign(secret, body)}", [secret])


@settings(max_examples=200, deadline=None)
@given(header=st.text(max_size=120))
def test_pagerduty_never_raises_on_garbage_headers(header: str) -> None:
    assert verify_pagerduty(BODY, header, ["pd-secret"]) is False


# --- Grafana ------------------------------------------------------------------------------


def test_grafana_signature_over_body_without_timestamp() -> None:
    assert verify_grafana(BODY, sign("gf", BODY), None, "gf", now=NOW)


def test_grafana_signature_over_timestamp_and_body() -> None:
    signature = sign("gf", NOW_TS.encode() + b":" + BODY)
    assert verify_grafana(BODY, signature, NOW_TS, "gf", now=NOW)


def test_grafana_body_only_signature_fails_when_timestamp_sent() -> None:
    assert not verify_grafana(BODY, sign("gf", BODY), NOW_TS, "gf", now=NOW)


@pytest.mark.parametrize("age_s", [-301, 301, 3600])
def test_grafana_rejects_stale_or_future_timestamps(age_s: int) -> None:
    sent = str(int(NOW.timestamp()) - age_s)
    signature = sign("gf", sent.encode() + b":" + BODY)
    assert not verify_grafana(BODY, signature, sent, "gf", now=NOW)


@pytest.mark.parametrize("age_s", [0, 299, -299])
def test_grafana_accepts_timestamps_within_tolerance(age_s: int) -> None:
    sent = str(int(NOW.timestamp()) - age_s)
    signature = sign("gf", sent.encode() + b":" + BODY)
    assert verify_grafana(BODY, signature, sent, "gf", now=NOW)


def test_grafana_tolerance_is_configurable() -> None:
    sent = str(int(NOW.timestamp()) - 60)
    signature = sign("gf", sent.encode() + b":" + BODY)
    assert not verify_grafana(BODY, signature, sent, "gf", now=NOW, tolerance_s=30)


def test_grafana_naive_now_is_utc() -> None:
    signature = sign("gf", NOW_TS.encode() + b":" + BODY)
    assert verify_grafana(BODY, signature, NOW_TS, "gf", now=NOW.replace(tzinfo=None))


@pytest.mark.parametrize("timestamp", ["", "soon", "1714660200.5", "-1714660200", "١٧١٤"])
def test_grafana_rejects_unparsable_timestamps(timestamp: str) -> None:
    signature = sign("gf", timestamp.encode() + b":" + BODY)
    assert not verify_grafana(BODY, signature, timestamp, "gf", now=NOW)


def test_grafana_rejects_missing_signature_or_secret() -> None:
    assert not verify_grafana(BODY, None, None, "gf", now=NOW)
    assert not verify_grafana(BODY, "", None, "gf", now=NOW)
    assert not verify_grafana(BODY, sign("", BODY), None, "", now=NOW)
    assert not verify_grafana(BODY, sign("other", BODY), None, "gf", now=NOW)


def test_grafana_uses_current_time_by_default() -> None:
    fresh = str(int(datetime.now(UTC).timestamp()))
    stale = str(int((datetime.now(UTC) - timedelta(hours=1)).timestamp()))
    assert verify_grafana(BODY, sign("gf", fresh.encode() + b":" + BODY), fresh, "gf")
    assert not verify_grafana(BODY, sign("gf", stale.encode() + b":" + BODY), stale, "gf")


# --- Langfuse -----------------------------------------------------------------------------

LANGFUSE_BODY = (Path(__file__).parent / "payloads" / "langfuse_alert.json").read_bytes()
LANGFUSE_SECRET = "lf-whsec_0123456789abcdef"


def langfuse_header(secret: str, body: bytes, ts: str = NOW_TS, key: str = "v1") -> str:
    return f"t={ts},{key}={sign(secret, ts.encode() + b'.' + body)}"


@pytest.mark.parametrize("key", ["v1", "s"])  # Langfuse sends v1=; its docs' example shows s=
def test_langfuse_signature_over_timestamp_and_body(key: str) -> None:
    header = langfuse_header(LANGFUSE_SECRET, LANGFUSE_BODY, key=key)
    assert verify_langfuse(LANGFUSE_BODY, header, LANGFUSE_SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        f"v1={sign(LANGFUSE_SECRET, LANGFUSE_BODY)}",  # no timestamp
        langfuse_header("other-secret", LANGFUSE_BODY),
        langfuse_header(LANGFUSE_SECRET, LANGFUSE_BODY + b" "),
        langfuse_header(LANGFUSE_SECRET, LANGFUSE_BODY, ts="soon"),
        langfuse_header(LANGFUSE_SECRET, LANGFUSE_BODY).replace(f"t={NOW_TS}", "t=1"),
    ],
)
def test_langfuse_rejects_bad_headers(header: str | None) -> None:
    assert not verify_langfuse(LANGFUSE_BODY, header, LANGFUSE_SECRET)


def test_langfuse_rejects_an_empty_secret() -> None:
    assert not verify_langfuse(LANGFUSE_BODY, langfuse_header("", LANGFUSE_BODY), "")


@given(header=st.text(max_size=200))
def test_langfuse_never_raises_on_garbage_headers(header: str) -> None:
    assert not verify_langfuse(LANGFUSE_BODY, header, LANGFUSE_SECRET)


# --- Bearer -------------------------------------------------------------------------------


def test_bearer_accepts_the_token() -> None:
    assert bearer_ok("Bearer s3cret-token", "s3cret-token")
    assert bearer_ok("bearer s3cret-token", "s3cret-token")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "s3cret-token",
        "Basic s3cret-token",
        "Bearer S3CRET-TOKEN",
        "Bearer s3cret-token-2",
        "Bearer s3cret-tokén",
    ],
)
def test_bearer_rejects_everything_else(header: str | None) -> None:
    assert not bearer_ok(header, "s3cret-token")


def test_bearer_empty_token_never_matches() -> None:
    assert not bearer_ok("Bearer ", "")
    assert not bearer_ok("Bearer", "")
    assert not bearer_ok(None, "")
