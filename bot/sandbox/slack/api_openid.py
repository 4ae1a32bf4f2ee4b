"""Sign in with Slack: the authorize page, `openid.connect.token` and `openid.connect.userInfo`.

Shapes follow Slack's documentation: the browser goes to `/openid/connect/authorize` with
`response_type=code`, `scope=openid …`, `client_id`, `state`, `nonce` and `redirect_uri`; the
person picks who they are on a consent page and comes back with `code` and `state`. The app
trades the code (client id and secret in the body or as HTTP Basic auth) for an access token and
an `id_token` JWT, then reads the person with `openid.connect.userInfo`. Slack signs its id_token
with RS256; this stand-in signs with HS256 and the client secret, which the app does not check:
it reads the token straight from the token endpoint over TLS, as OpenID Connect allows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bot.sandbox.slack.args import Args
from bot.sandbox.slack.model import JSON, SlackError, User
from bot.sandbox.slack.workspace import Workspace

CODE_TTL_S = 600
ID_TOKEN_TTL_S = 300
ISSUER = "https://slack.com"


@dataclass
class Grant:
    """An authorization code the consent page handed out."""

    user_id: str
    client_id: str
    redirect_uri: str | None
    nonce: str | None
    issued_at: float
    used: bool = False


@dataclass
class OpenIdProvider:
    """The Sign in with Slack side of the fake: codes and the user tokens they became."""

    workspace: Workspace
    grants: dict[str, Grant] = field(default_factory=dict)
    user_tokens: dict[str, str] = field(default_factory=dict)  # xoxp token → user id

    def consent_page(self, query: dict[str, str]) -> tuple[int, str]:
        """The page Slack shows before sending the person back: pick who you are, or cancel."""
        problem = self._check_request(query)
        if problem:
            return 400, _page("Sign in with Slack", f"<p>{html.escape(problem)}</p>")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        people = [u for u in self.workspace.users.values() if not (u.is_bot or u.deleted)]
        buttons = "".join(
            f'<button name="user" value="{html.escape(u.id)}">{html.escape(u.real_name)}</button>'
            for u in people
        )
        team = html.escape(self.workspace.settings.team_name)
        body = (
            f"<h1>Sign in to {team}</h1><form method=post>{hidden}"
            f'{buttons}<button name="deny" value="1">Cancel</button></form>'
        )
        return 200, _page("Sign in with Slack", body)

    def decide(self, form: dict[str, str]) -> tuple[int, str]:
        """Send the person back to the app with a code (or `access_denied`); returns the URL."""
        problem = self._check_request(form)
        if problem:
            return 400, problem
        redirect = form["redirect_uri"]
        back: dict[str, str] = {"state": form.get("state", "")}
        if form.get("deny"):
            back["error"] = "access_denied"
        else:
            user = self.workspace.user(form.get("user"))
            code = f"{int(time.time())}.{secrets.token_hex(16)}"
            self.grants[code] = Grant(
                user.id, form["client_id"], redirect, form.get("nonce"), time.monotonic()
            )
            back["code"] = code
        return 302, f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(back)}"

    def _check_request(self, query: dict[str, str]) -> str | None:
        settings = self.workspace.settings
        if query.get("response_type") != "code":
            return "response_type must be code"
        if query.get("client_id") != settings.client_id:
            return "invalid_client_id"
        if "openid" not in query.get("scope", "").split():
            return "invalid_scope: the openid scope is required"
        if not query.get("redirect_uri", "").startswith(("http://", "https://")):
            return "bad_redirect_uri"
        return None

    def token(self, args: Args) -> JSON:
        """`openid.connect.token`: trade a code for an access token and an id_token."""
        settings = self.workspace.settings
        if args.text("client_id") != settings.client_id:
            raise SlackError("invalid_client_id")
        if args.text("client_secret") != settings.client_secret:
            raise SlackError("bad_client_secret")
        if args.text("grant_type") not in (None, "authorization_code"):
            raise SlackError("invalid_grant_type")
        grant = self.grants.get(args.text("code") or "")
        if grant is None or grant.used or time.monotonic() - grant.issued_at > CODE_TTL_S:
            raise SlackError("invalid_code")
        if grant.redirect_uri != args.text("redirect_uri"):
            raise SlackError("bad_redirect_uri")
        grant.used = True
        access = f"xoxp-{secrets.token_hex(20)}"
        self.user_tokens[access] = grant.user_id
        user = self.workspace.user(grant.user_id)
        claims = self._id_claims(user, grant, access)
        id_token = _jwt(claims, settings.client_secret)
        return {"ok": True, "access_token": access, "token_type": "Bearer", "id_token": id_token}

    def user_info(self, token: str | None) -> JSON:
        """`openid.connect.userInfo`: who the user token belongs to."""
        if not token:
            raise SlackError("not_authed")
        user_id = self.user_tokens.get(token)
        if user_id is None:
            raise SlackError("invalid_auth")
        user = self.workspace.user(user_id)
        s = self.workspace.settings
        return {
            "ok": True,
            "sub": user.id,
            **_profile(user, s.team_id),
            "picture": f"https://avatars.example/{user.id}_512.png",
            "https://slack.com/team_name": s.team_name,
            "https://slack.com/team_domain": s.team_domain,
        }

    def _id_claims(self, user: User, grant: Grant, access: str) -> JSON:
        now = int(time.time())
        digest = hashlib.sha256(access.encode()).digest()
        claims: JSON = {
            "iss": ISSUER,
            "sub": user.id,
            "aud": grant.client_id,
            "exp": now + ID_TOKEN_TTL_S,
            "iat": now,
            "auth_time": now,
            "at_hash": _b64(digest[: len(digest) // 2]),
            **_profile(user, self.workspace.settings.team_id),
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return claims


def _profile(user: User, team_id: str) -> JSON:
    given, _, family = user.real_name.partition(" ")
    return {
        "https://slack.com/user_id": user.id,
        "https://slack.com/team_id": team_id,
        "email": user.email,
        "email_verified": True,
        "date_email_verified": 1622128723,
        "name": user.real_name,
        "given_name": given,
        "family_name": family,
        "locale": "en-US",
        "https://slack.com/user_image_24": f"https://avatars.example/{user.id}_24.png",
        "https://slack.com/user_image_48": f"https://avatars.example/{user.id}_48.png",
    }


def _jwt(claims: JSON, key: str) -> str:
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
        '<meta name="viewport" content="width=device-width"><body>'
        f"{body}</body></html>"
    )
