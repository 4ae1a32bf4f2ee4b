"""The `views.*` Web API methods: modals (with trigger ids) and the Home tab."""

from __future__ import annotations

import time
import uuid

from bot.sandbox.slack.args import Args
from bot.sandbox.slack.limits import check_view
from bot.sandbox.slack.model import JSON, SlackError, View
from bot.sandbox.slack.workspace import Handler, Workspace

MAX_STACK = 3


def open_view(workspace: Workspace, args: Args) -> JSON:
    """Open a modal for the user who owns the trigger_id."""
    payload = _payload(args, kind="modal")
    trigger = workspace.exchange_trigger(args.text("trigger_id"))
    view = _new_view(workspace, payload, trigger.user_id)
    return {"ok": True, "view": view_api(workspace, view)}


def push(workspace: Workspace, args: Args) -> JSON:
    """Push a modal onto the stack of the modal the trigger came from."""
    payload = _payload(args, kind="modal")
    trigger = workspace.exchange_trigger(args.text("trigger_id"))
    base = _base_modal(workspace, trigger.view_id, trigger.user_id)
    depth = sum(1 for v in workspace.views.values() if v.root_view_id == base.root_view_id)
    if depth >= MAX_STACK:
        raise SlackError("push_limit_reached")
    view = _new_view(workspace, payload, trigger.user_id, base=base)
    return {"ok": True, "view": view_api(workspace, view)}


def update(workspace: Workspace, args: Args) -> JSON:
    """Replace an open view's content, honouring `hash` to avoid races."""
    view = _find(workspace, args.text("view_id"), args.text("external_id"))
    payload = _payload(args, kind=view.type)
    _replace(view, payload, args.text("hash"))
    return {"ok": True, "view": view_api(workspace, view)}


def publish(workspace: Workspace, args: Args) -> JSON:
    """Publish a user's Home tab."""
    user = workspace.user(args.need("user_id", "user_not_found"))
    payload = _payload(args, kind="home")
    current = workspace.views.get(workspace.homes.get(user.id, ""))
    if current is None:
        current = _new_view(workspace, payload, user.id)
        workspace.homes[user.id] = current.id
    else:
        _replace(current, payload, args.text("hash"))
    return {"ok": True, "view": view_api(workspace, current)}


def view_api(workspace: Workspace, view: View) -> JSON:
    """Return a view as the Web API and interaction payloads show it."""
    s = workspace.settings
    return {
        "id": view.id,
        "team_id": s.team_id,
        "type": view.type,
        "blocks": view.blocks,
        "private_metadata": view.private_metadata,
        "callback_id": view.callback_id,
        "state": {"values": {}},
        "hash": view.hash,
        "title": view.payload.get("title"),
        "close": view.payload.get("close"),
        "submit": view.payload.get("submit"),
        "clear_on_close": bool(view.payload.get("clear_on_close", False)),
        "notify_on_close": bool(view.payload.get("notify_on_close", False)),
        "previous_view_id": view.previous_view_id,
        "root_view_id": view.root_view_id,
        "external_id": view.external_id,
        "app_id": s.app_id,
        "app_installed_team_id": s.team_id,
        "bot_id": s.bot_id,
    }


def _payload(args: Args, *, kind: str) -> JSON:
    payload = args.obj("view")
    if payload is None:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["missing view"]})
    check_view(payload, kind=kind)
    return payload


def _new_view(workspace: Workspace, payload: JSON, user_id: str, base: View | None = None) -> View:
    external_id = str(payload.get("external_id") or "")
    if external_id and any(v.external_id == external_id for v in workspace.views.values()):
        raise SlackError("duplicate_external_id")
    view_id = workspace.new_id("V")
    root = base.root_view_id if base else view_id
    view = View(view_id, str(payload["type"]), user_id, payload, _hash(), root)
    view.previous_view_id = base.id if base else None
    view.external_id = external_id
    workspace.views[view_id] = view
    return view


def _replace(view: View, payload: JSON, expected_hash: str | None) -> None:
    if expected_hash and expected_hash != view.hash:
        raise SlackError("hash_conflict")
    view.history.append(view.payload)
    view.payload = payload
    view.hash = _hash()


def _find(workspace: Workspace, view_id: str | None, external_id: str | None) -> View:
    if not view_id and not external_id:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["missing view_id"]})
    for view in workspace.views.values():
        if view.id == view_id or (external_id and view.external_id == external_id):
            return view
    raise SlackError("not_found")


def _base_modal(workspace: Workspace, view_id: str | None, user_id: str) -> View:
    if view_id in workspace.views:
        return workspace.views[view_id]
    modals = [v for v in workspace.views.values() if v.user_id == user_id and v.type == "modal"]
    if not modals:
        raise SlackError("not_found")
    return modals[-1]


def _hash() -> str:
    return f"{int(time.time())}.{uuid.uuid4().hex[:8]}"


HANDLERS: dict[str, Handler] = {
    "views.open": open_view,
    "views.push": push,
    "views.update": update,
    "views.publish": publish,
}
