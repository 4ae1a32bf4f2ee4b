"""Signing in and out: Sign in with Slack (OpenID Connect) and login links from `/incident web`."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.db import session_scope
from bot.errors import BotError
from bot.flows import sign_in
from bot.identity import SignedIn, SignInFailed
from bot.ui.base import Ui, checked_form, read_form
from bot.websession import SESSION_COOKIE, SIGNIN_COOKIE, SignInState, safe_next

CALLBACK = "/ui/auth/slack"
SCOPES = "openid profile email"


def router(ui: Ui) -> APIRouter:
    """The sign-in routes: the only ones under /ui that work without a session."""
    api = APIRouter(prefix="/ui", include_in_schema=False)

    @api.get("/login")
    async def login(request: Request, next: str = "/ui/", error: str = "") -> Response:
        if ui.signer.read_session(request.cookies.get(SESSION_COOKIE), ui.deps.clock()):
            return RedirectResponse(safe_next(next), status_code=303)
        return await _login_page(ui, next, error)

    @api.get("/login/slack")
    async def start_slack(request: Request, next: str = "/ui/") -> Response:
        if not _slack_enabled(ui):
            return await _login_page(ui, next, "Sign in with Slack is not set up here.", 404)
        state = ui.signer.new_sign_in(safe_next(next), ui.deps.clock())
        query = {
            "response_type": "code",
            "scope": SCOPES,
            "client_id": ui.deps.settings.slack_client_id,
            "state": state.state,
            "nonce": state.nonce,
            "redirect_uri": _callback_url(ui, request),
        }
        team = await ui.people.team_id()
        if team:
            query["team"] = team  # Slack skips the workspace picker
        response = RedirectResponse(f"{_authorize_url(ui)}?{urlencode(query)}", status_code=303)
        _set_cookie(ui, request, response, SIGNIN_COOKIE, ui.signer.dump_sign_in(state), CALLBACK)
        return response

    @api.get(CALLBACK.removeprefix("/ui"))
    async def slack_callback(
        request: Request, code: str = "", state: str = "", error: str = ""
    ) -> Response:
        started = ui.signer.read_sign_in(request.cookies.get(SIGNIN_COOKIE), ui.deps.clock())
        if started is None or not hmac.compare_digest(started.state, state):
            return await _login_page(ui, "/ui/", "That sign-in has expired; try again.", 400)
        if error or not code:
            why = "Sign-in was cancelled." if error == "access_denied" else "Slack refused it."
            return await _login_page(ui, started.next, why, 400)
        try:
            who = await _slack_identity(ui, request, code, started)
        except BotError as exc:
            return await _login_page(ui, started.next, str(exc), 403)
        response = await _signed_in(ui, request, who.user_id, who.name, started.next)
        response.delete_cookie(SIGNIN_COOKIE, path=CALLBACK)
        return response

    @api.get("/login/link")
    async def login_link_page(token: str = "") -> Response:
        try:
            claims = ui.signer.read_login_link(token)
        except SignInFailed as exc:
            return await _login_page(ui, "/ui/", str(exc), 400)
        # A GET must not use the link up: link previews and mail scanners open links too.
        return await ui.render("login_link.html", None, token=token, user_id=claims.user_id)

    @api.post("/login/link")
    async def login_link_used(request: Request) -> Response:
        form = await read_form(request)
        try:
            claims = ui.signer.read_login_link(form.get("token", ""))
            async with session_scope(ui.deps.sessions) as session:
                await sign_in.redeem_link(
                    session=session,
                    nonce=claims.nonce,
                    user_id=claims.user_id,
                    expires_at=claims.expires_at,
                    now=ui.deps.clock(),
                )
        except SignInFailed as exc:
            return await _login_page(ui, "/ui/", str(exc), 400)
        names = await ui.names()
        person = names.get(claims.user_id)
        return await _signed_in(
            ui, request, claims.user_id, person.name if person else claims.user_id, "/ui/"
        )

    @api.post("/logout")
    async def logout(request: Request) -> Response:
        viewer = ui.viewer_of(request)
        try:
            await checked_form(request, viewer)
        except BotError as exc:
            return await ui.error(viewer, 403, str(exc))
        response = RedirectResponse("/ui/login?error=signed-out", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/ui")
        return response

    return api


async def _login_page(ui: Ui, next_url: str, error: str, status: int = 200) -> Response:
    message = "You are signed out." if error == "signed-out" else error
    return await ui.render(
        "login.html",
        None,
        status=status,
        next=safe_next(next_url),
        message=message,
        slack_enabled=_slack_enabled(ui),
    )


def _slack_enabled(ui: Ui) -> bool:
    s = ui.deps.settings
    return bool(s.slack_client_id and s.slack_client_secret and s.slack_bot_token)


def _authorize_url(ui: Ui) -> str:
    """Slack's authorize page, next to the Web API (https://slack.com/openid/connect/authorize)."""
    api = ui.deps.settings.slack_api_url.rstrip("/")
    return f"{api.removesuffix('/api')}/openid/connect/authorize"


def _callback_url(ui: Ui, request: Request) -> str:
    base = ui.deps.config.web.public_url or str(request.base_url).rstrip("/")
    return f"{base}{CALLBACK}"


async def _slack_identity(ui: Ui, request: Request, code: str, started: SignInState) -> SignedIn:
    settings = ui.deps.settings
    assert settings.slack_client_id and settings.slack_client_secret
    who = await ui.people.sign_in(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        code=code,
        redirect_uri=_callback_url(ui, request),
    )
    check_claims(who.claims, nonce=started.nonce, client_id=settings.slack_client_id)
    team = await ui.people.team_id()
    if team is None or who.team_id != team:
        raise SignInFailed("Sign in with the Slack workspace this bot is installed in.")
    return who


def check_claims(claims: Mapping[str, Any], *, nonce: str, client_id: str) -> None:
    """Refuse an id_token meant for another app or sign-in, or one that has expired."""
    if claims.get("iss") != "https://slack.com" or claims.get("aud") != client_id:
        raise SignInFailed("Slack's answer was meant for another app.")
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SignInFailed("That sign-in does not match this browser; try again.")
    if float(claims.get("exp", 0)) < time.time():  # Slack's clock, not the bot's
        raise SignInFailed("That sign-in has expired; try again.")


async def _signed_in(
    ui: Ui, request: Request, user_id: str, name: str, next_url: str
) -> RedirectResponse:
    names = await ui.names()
    person = names.get(user_id)
    tz = (person.tz if person else None) or ui.deps.config.followup.timezone
    hours = ui.deps.config.web.session_hours
    cookie = ui.signer.new_session(user_id, name, tz, ui.deps.clock(), hours)
    response = RedirectResponse(safe_next(next_url), status_code=303)
    _set_cookie(ui, request, response, SESSION_COOKIE, cookie, "/ui", max_age=hours * 3600)
    return response


def _set_cookie(
    ui: Ui,
    request: Request,
    response: Response,
    name: str,
    value: str,
    path: str,
    max_age: int | None = None,
) -> None:
    public = ui.deps.config.web.public_url or ""
    secure = request.url.scheme == "https" or public.startswith("https://")
    response.set_cookie(
        name, value, max_age=max_age, path=path, secure=secure, httponly=True, samesite="lax"
    )
