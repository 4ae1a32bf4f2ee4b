"""/ui/action-items: filter, sort and count action items; owners and managers change them inline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from bot import untrusted
from bot.db import session_scope
from bot.errors import BadInput, BotError
from bot.flows import action_items as item_flows
from bot.flows import item_board
from bot.flows.item_board import Board, BoardQuery
from bot.postmortem.store import ItemCount, ItemOrder
from bot.ui.base import ERROR_STATUS, Signed, Ui, checked_form, is_inline, linker, page_number
from bot.ui.render import plain_text
from bot.vocabulary import ActionKind, ActionState
from bot.websession import safe_next

PAGE_SIZES = (50, 100, 200)
STATE_CHOICES = {
    "active": item_flows.ACTIVE,
    "open": (ActionState.OPEN,),
    "in_progress": (ActionState.IN_PROGRESS,),
    "done": (ActionState.DONE,),
    "wont_do": (ActionState.WONT_DO,),
    "any": None,
}
MOVES: Mapping[ActionState, tuple[tuple[ActionState, str], ...]] = {
    ActionState.OPEN: (
        (ActionState.IN_PROGRESS, "Start"),
        (ActionState.DONE, "Done"),
        (ActionState.WONT_DO, "Won't do"),
    ),
    ActionState.IN_PROGRESS: ((ActionState.DONE, "Done"), (ActionState.WONT_DO, "Won't do")),
    ActionState.DONE: ((ActionState.OPEN, "Reopen"),),
    ActionState.WONT_DO: ((ActionState.OPEN, "Reopen"),),
}
FILTERS = ("team", "owner", "state", "kind", "incident", "overdue", "sort", "desc", "per_page")


@dataclass(frozen=True)
class Tally:
    """One team's or owner's items: still open, of those overdue, and finished."""

    key: str | None
    active: int = 0
    overdue: int = 0
    finished: int = 0


def router(ui: Ui) -> APIRouter:
    """The action-item page and its inline state change."""
    api = APIRouter(prefix="/ui", include_in_schema=False)

    @api.get("/action-items")
    async def action_items(request: Request, viewer: Signed) -> Response:
        params = {k: v for k, v in request.query_params.items() if k in FILTERS and v}
        try:
            query = parse_query(params, page_number(request.query_params.get("page")))
            async with session_scope(ui.deps.sessions) as session:
                found = await item_board.board(
                    session=session,
                    config=ui.deps.config,
                    query=query,
                    viewer=viewer.user_id,
                    now=ui.deps.clock(),
                )
        except BotError as exc:
            return await ui.error(viewer, ERROR_STATUS.get(type(exc), 400), str(exc))
        return await ui.render(
            "items.html",
            viewer,
            section="items",
            board=found,
            query=query,
            params=params,
            link=linker("/ui/action-items", params),
            pages=board_pages(found, query),
            by_team=tally(found.counts, lambda c: c.team),
            by_owner=tally(found.counts, lambda c: c.owner_id),
            moves=MOVES,
            changed=request.query_params.get("changed", ""),
            kinds=list(ActionKind),
            states=list(STATE_CHOICES),
            here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        )

    @api.post("/action-items/{item_id}/state")
    async def change_state(
        item_id: Annotated[int, Path(ge=1, le=untrusted.INT32_MAX)],
        request: Request,
        viewer: Signed,
    ) -> Response:
        try:
            form = await checked_form(request, viewer)
            async with session_scope(ui.deps.sessions) as session:
                item = await item_flows.move(
                    session=session,
                    config=ui.deps.config,
                    item_id=item_id,
                    to=_state(form.get("to", "")),
                    actor=viewer.user_id,
                    now=ui.deps.clock(),
                    reason=form.get("reason") or None,
                )
            ui.deps.wake_worker()  # the Slack card and App Homes follow
        except BotError as exc:
            status = ERROR_STATUS.get(type(exc), 400)
            if is_inline(request):
                said = plain_text(str(exc), await ui.names())
                return Response(said, status_code=status, media_type="text/plain")
            return await ui.error(viewer, status, str(exc))
        if is_inline(request):
            today = item_flows.today(ui.deps.config, ui.deps.clock())
            return await ui.render(
                "_item_row.html",
                viewer,
                item=item,
                today=today,
                moves=MOVES,
                can_change=True,
                here=safe_next(form.get("back")),
            )
        back = safe_next(form.get("back"))
        joiner = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{joiner}changed={item.id}#item-{item.id}", status_code=303)

    return api


def parse_query(params: Mapping[str, str], page: int) -> BoardQuery:
    """The page's filters, or BadInput naming the one that makes no sense."""
    try:
        return BoardQuery(
            team=_text(params.get("team")),
            owner=_text(params.get("owner")),
            states=STATE_CHOICES[params.get("state", "active")],
            kind=ActionKind(params["kind"]) if "kind" in params else None,
            incident=_incident(params["incident"]) if "incident" in params else None,
            overdue=params.get("overdue") in ("1", "on", "true"),
            order=ItemOrder(params.get("sort", "due")),
            descending=params.get("desc") == "1",
            page=page,
            per_page=_page_size(params.get("per_page")),
        )
    except (KeyError, ValueError) as exc:
        raise BadInput(f"a filter is not one this page knows ({exc})") from exc


def _text(value: str | None) -> str | None:
    return None if value is None else untrusted.clean(value)


def _incident(value: str) -> int:
    number = int(value.lstrip("#"))
    if not 1 <= number <= untrusted.INT32_MAX:
        raise BadInput(f"incident must be from 1 to {untrusted.INT32_MAX}", field="incident")
    return number


def _page_size(value: str | None) -> int:
    size = int(value or PAGE_SIZES[0])
    if size not in PAGE_SIZES:
        raise BadInput(f"per_page must be one of {', '.join(map(str, PAGE_SIZES))}")
    return size


def _state(value: str) -> ActionState:
    try:
        return ActionState(value)
    except ValueError:
        raise BadInput(f"unknown state {value!r}", field="to") from None


def tally(counts: Iterable[ItemCount], key: Callable[[ItemCount], str | None]) -> list[Tally]:
    """Counts by team or owner, the ones with most overdue first."""
    found: defaultdict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in counts:
        row = found[key(c)]
        if c.state.is_active:
            row[0] += c.count
            row[1] += c.overdue
        else:
            row[2] += c.count
    tallies = [Tally(k, *v) for k, v in found.items()]
    return sorted(tallies, key=lambda t: (-t.overdue, -t.active, (t.key or "~").casefold()))


def board_pages(board: Board, query: BoardQuery) -> int:
    """How many pages the list has."""
    return max(1, -(-board.total // query.per_page))
