"""A real local stand-in for Linear's GraphQL API (the operations action items use), strict
about shape: `Authorization: <API key>`, `{"query", "variables"}`, the documented input fields of
`issueCreate` (a client-chosen UUID `id` included) and `issueUpdate`, users by email, labels and
workflow states. Answers like Linear: `{"data": ...}` or `{"errors": [...]}`. `webhook(...)`
builds the body Linear sends when an issue's state changes.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from datetime import date, datetime
from typing import Any

from aiohttp import web

from tests.support.provider_standins import StandIn

CREATE_FIELDS = {"id", "teamId", "title", "description", "assigneeId", "dueDate", "labelIds"}
UPDATE_FIELDS = {"stateId", "dueDate"}
STATES = [  # id, name, type, position
    ("st-backlog", "Backlog", "backlog", 0),
    ("st-todo", "Todo", "unstarted", 1),
    ("st-doing", "In Progress", "started", 2),
    ("st-done", "Done", "completed", 3),
    ("st-canceled", "Canceled", "canceled", 4),
]
OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")


def _errors(message: str, code: str = "INPUT_ERROR") -> web.Response:
    return web.json_response(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    )


class Linear(StandIn):
    """One Linear workspace with one team."""

    def __init__(self, api_key: str, team_id: str, users: dict[str, str]) -> None:
        super().__init__()
        self.api_key, self.team_id = api_key, team_id
        self.users = users  # email → user id
        self.labels: dict[str, str] = {}  # id → name
        self.issues: dict[str, dict[str, Any]] = {}  # id → issue
        self.lose_creates = 0  # issueCreate carried out whose answer is then lost (500)
        self._numbers = itertools.count(1)

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/graphql", self._graphql)]

    def state_type(self, issue_id: str) -> str:
        """The type of an issue's workflow state."""
        return next(s[2] for s in STATES if s[0] == self.issues[issue_id]["stateId"])

    def webhook(
        self, issue_id: str, *, to: str, at: datetime, by: str = "Lin Ear"
    ) -> dict[str, Any]:
        """The `Issue` `update` body Linear sends at `at` after someone moves the issue to `to`."""
        issue = self.issues[issue_id]
        before = issue["stateId"]
        issue["stateId"] = next(s[0] for s in STATES if s[1] == to)
        return {
            "action": "update",
            "type": "Issue",
            "actor": {"id": "u-lin", "type": "user", "name": by},
            "createdAt": "2026-12-02T09:00:00.000Z",
            "data": self._shown(issue_id) | {"stateId": issue["stateId"], "teamId": self.team_id},
            "url": issue["url"],
            "updatedFrom": {"stateId": before, "updatedAt": "2026-12-02T08:00:00.000Z"},
            "organizationId": "org-1",
            "webhookTimestamp": int(at.timestamp() * 1000),
            "webhookId": "wh-1",
        }

    async def _graphql(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != self.api_key:
            return _errors("Authentication required, not authenticated", "AUTHENTICATION_ERROR")
        if request.content_type != "application/json":
            return web.json_response(
                {"errors": [{"message": "Must provide query string."}]}, status=400
            )
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"errors": [{"message": "Invalid JSON"}]}, status=400)
        found = OPERATION.match(str(body.get("query", ""))) if isinstance(body, dict) else None
        if found is None or set(body) - {"query", "variables", "operationName"}:
            return web.json_response({"errors": [{"message": "Syntax Error"}]}, status=400)
        handler = getattr(self, f"_op_{found[2]}", None)
        if handler is None:
            return _errors(f"Unknown operation {found[2]}")
        return handler(body.get("variables") or {})  # type: ignore[no-any-return]

    def _op_Issue(self, v: dict[str, Any]) -> web.Response:
        issue_id = v.get("id")
        if issue_id not in self.issues:
            return _errors("Entity not found: Issue - Could not find referenced Issue.")
        return web.json_response({"data": {"issue": self._shown(issue_id)}})

    def _op_IssueCreate(self, v: dict[str, Any]) -> web.Response:
        data = v.get("input") or {}
        problem = self._create_problem(data)
        if problem:
            return _errors(problem)
        issue_id = data.get("id") or str(uuid.uuid4())
        key = f"AI-{next(self._numbers)}"
        self.issues[issue_id] = {
            **data,
            "id": issue_id,
            "identifier": key,
            "url": f"https://linear.app/acme/issue/{key.lower()}",
            "stateId": "st-todo",
        }
        if self.lose_creates:
            self.lose_creates -= 1
            return web.json_response({"errors": [{"message": "Internal error"}]}, status=500)
        return web.json_response(
            {"data": {"issueCreate": {"success": True, "issue": self._shown(issue_id)}}}
        )

    def _create_problem(self, data: dict[str, Any]) -> str | None:
        if set(data) - CREATE_FIELDS:
            field = sorted(set(data) - CREATE_FIELDS)[0]
            return f"Field '{field}' is not defined by type IssueCreateInput"
        if data.get("teamId") != self.team_id:
            return "Argument Validation Error: teamId must be a team you can access"
        if not isinstance(data.get("title"), str) or not data["title"].strip():
            return "Argument Validation Error: title should not be empty"
        if "id" in data:
            try:
                uuid.UUID(str(data["id"]), version=4)
            except ValueError:
                return "Argument Validation Error: id must be a UUID"
            if data["id"] in self.issues:
                return "Entity already exists: Issue"
        return self._refs_problem(data)

    def _refs_problem(self, data: dict[str, Any]) -> str | None:
        try:
            date.fromisoformat(str(data.get("dueDate")))
        except ValueError:
            return "Argument Validation Error: dueDate must be a TimelessDate"
        if any(label not in self.labels for label in data.get("labelIds", [])):
            return "Entity not found: IssueLabel"
        if "assigneeId" in data and data["assigneeId"] not in self.users.values():
            return "Entity not found: User"
        return None

    def _op_IssueUpdate(self, v: dict[str, Any]) -> web.Response:
        data, issue_id = v.get("input") or {}, v.get("id")
        if issue_id not in self.issues:
            return _errors("Entity not found: Issue")
        if not data or set(data) - UPDATE_FIELDS:
            return _errors("Argument Validation Error: unsupported IssueUpdateInput fields")
        if "stateId" in data and data["stateId"] not in {s[0] for s in STATES}:
            return _errors("Entity not found: WorkflowState")
        self.issues[issue_id].update(data)
        return web.json_response(
            {"data": {"issueUpdate": {"success": True, "issue": self._shown(issue_id)}}}
        )

    def _op_Users(self, v: dict[str, Any]) -> web.Response:
        found = self.users.get(str(v.get("email", "")).lower())
        nodes = [{"id": found}] if found else []
        return web.json_response({"data": {"users": {"nodes": nodes}}})

    def _op_Labels(self, v: dict[str, Any]) -> web.Response:
        nodes = [{"id": i, "name": n} for i, n in self.labels.items() if n == v.get("name")]
        return web.json_response({"data": {"issueLabels": {"nodes": nodes}}})

    def _op_LabelCreate(self, v: dict[str, Any]) -> web.Response:
        data = v.get("input") or {}
        if set(data) != {"name", "teamId"} or data["name"] in self.labels.values():
            return _errors("Argument Validation Error: a label needs a new name and a team")
        label_id = f"lbl-{len(self.labels) + 1}"
        self.labels[label_id] = data["name"]
        return web.json_response(
            {"data": {"issueLabelCreate": {"success": True, "issueLabel": {"id": label_id}}}}
        )

    def _op_States(self, v: dict[str, Any]) -> web.Response:
        if v.get("team") != self.team_id:
            return _errors("Entity not found: Team")
        nodes = [
            {"id": i, "name": n, "type": t, "position": p}
            for i, n, t, p in STATES
            if t == v.get("type")
        ]
        return web.json_response({"data": {"workflowStates": {"nodes": nodes}}})

    def _shown(self, issue_id: str) -> dict[str, Any]:
        issue = self.issues[issue_id]
        state = next(s for s in STATES if s[0] == issue["stateId"])
        return {
            "id": issue_id,
            "identifier": issue["identifier"],
            "url": issue["url"],
            "dueDate": issue.get("dueDate"),
            "state": {"id": state[0], "name": state[1], "type": state[2]},
        }
