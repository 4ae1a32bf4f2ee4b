"""Signed cookies: the web session, the Sign in with Slack round trip, and login links.

Everything is signed with one key (itsdangerous, HMAC-SHA256) and carries its own expiry, checked
against the bot's clock. Nothing about a session is stored on the server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from bot.identity import SignInFailed
from bot.settings import Settings

SESSION_COOKIE = "ib_session"
SIGNIN_COOKIE = "ib_signin"
SIGNIN_MINUTES = 10


def secret_key(settings: Settings) -> bytes | None:
    """The signing key: INCIDENTBOT_SESSION_SECRET, else one derived from the Slack secret."""
    if settings.session_secret is not None and settings.session_secret.get_secret_value():
        return settings.session_secret.get_secret_value().encode()
    if (
        settings.slack_signing_secret is None
        or not settings.slack_signing_secret.get_secret_value()
    ):
        return None
    base = settings.slack_signing_secret.get_secret_value().encode()
    return hmac.new(base, b"incidentbot web sessions", hashlib.sha256).digest()


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: their Slack id, name and time zone, and the session's CSRF token."""

    user_id: str
    name: str
    tz: str
    csrf: str
    expires: int  # epoch seconds


@dataclass(frozen=True)
class LinkClaims:
    user_id: str
    nonce: str
    expires_at: datetime


@dataclass(frozen=True)
class SignInState:
    """What the browser carries through Sign in with Slack: state, nonce and where to go next."""

    state: str
    nonce: str
    next: str
    expires: int


class Signer:
    def __init__(self, key: bytes) -> None:
        self._session = URLSafeSerializer(key, salt="ui-session")
        self._link = URLSafeSerializer(key, salt="ui-login-link")
        self._signin = URLSafeSerializer(key, salt="ui-sign-in")

    def new_session(self, user_id: str, name: str, tz: str, now: datetime, hours: int) -> str:
        """A session cookie value for a person who just signed in."""
        expires = int((now + timedelta(hours=hours)).timestamp())
        viewer = Viewer(user_id, name, tz, secrets.token_urlsafe(24), expires)
        return str(self._session.dumps(asdict(viewer)))

    def read_session(self, value: str | None, now: datetime) -> Viewer | None:
        """The viewer of a valid, unexpired session cookie, else None."""
        data = _loads(self._session, value)
        if data is None or int(data.get("expires", 0)) <= now.timestamp():
            return None
        try:
            return Viewer(**data)
        except TypeError:
            return None

    def login_link(self, user_id: str, now: datetime, minutes: int) -> str:
        """A token for a login link that signs `user_id` in once, within `minutes`."""
        expires = int((now + timedelta(minutes=minutes)).timestamp())
        return str(self._link.dumps({"u": user_id, "n": secrets.token_hex(16), "e": expires}))

    def read_login_link(self, token: str) -> LinkClaims:
        """The claims of a login link token, or SignInFailed when it is not one of ours."""
        data = _loads(self._link, token)
        if data is None:
            raise SignInFailed("This login link is not valid; type `/incident web` for a new one.")
        expires_at = datetime.fromtimestamp(int(data["e"]), UTC)
        return LinkClaims(str(data["u"]), str(data["n"]), expires_at)

    def new_sign_in(self, next_url: str, now: datetime) -> SignInState:
        """Fresh state and nonce for one Sign in with Slack round trip."""
        expires = int((now + timedelta(minutes=SIGNIN_MINUTES)).timestamp())
        return SignInState(secrets.token_urlsafe(24), secrets.token_urlsafe(24), next_url, expires)

    def dump_sign_in(self, state: SignInState) -> str:
        """The round trip's state as a cookie value."""
        return str(self._signin.dumps(asdict(state)))

    def read_sign_in(self, value: str | None, now: datetime) -> SignInState | None:
        """The round trip's state from its cookie, if valid and not expired."""
        data = _loads(self._signin, value)
        if data is None or int(data.get("expires", 0)) <= now.timestamp():
            return None
        try:
            return SignInState(**data)
        except TypeError:
            return None


def _loads(serializer: URLSafeSerializer, value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        data = serializer.loads(value)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def csrf_ok(viewer: Viewer, sent: str | None) -> bool:
    """Whether a change carries this session's CSRF token."""
    return bool(sent) and hmac.compare_digest(viewer.csrf.encode(), (sent or "").encode())


def safe_next(value: str | None) -> str:
    """A place under /ui to go after signing in; anything else (other sites too) goes home."""
    if value and value.startswith("/ui/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/ui/"
