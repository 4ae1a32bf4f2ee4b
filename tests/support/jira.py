"""A real local stand-in for Jira Cloud's REST API v3 (the parts action items use), strict about
shape: `POST /rest/api/3/issue` with an ADF description, `POST /rest/api/3/search/jql`, user
search, issue get and edit, transitions. Basic auth with email and API token. Issues move
through To Do → In Progress → Done / Won't Do; `webhook(...)` builds the body Jira sends.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from datetime import date
from typing import Any

from aiohttp import web

from tests.support.provider_standins import StandIn

STATUSES = {  # status id → (name, category key)
    "10000": ("To Do", "new"),
    "3": ("In Progress", "indeterminate"),
    "10001": ("Done", "done"),
    "10002": ("Won't Do", "done"),
}
TRANSITIONS = {"11": "10000", "21": "3", "31": "10001", "41": "10002"}  # transition → status
CREATE_FIELDS = {"project", "issuetype", "summary", "description", "duedate", "labels", "assignee"}
JQL = re.compile(r'project = "(?P<project>[A-Z][A-Z0-9]*)" AND labels = "(?P<label>[^"\s]+)"')


def _error(status: int, *messages: str, **fields: str) -> web.Response:
    return web.json_response({"errorMessages": list(messages), "errors": fields}, status=status)


class Jira(StandIn):
    """One Jira site with one project."""

    def __init__(self, email: str, token: str, project: str, users: dict[str, str]) -> None:
        super().__init__()
        self.auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.project = project
        self.users = users  # email → accountId
        self.issues: dict[str, dict[str, Any]] = {}  # key → issue
        self.lose_creates = 0  # creates carried out whose answer is then lost (500)
        self._ids = itertools.count(10001)

    def routes(self) -> list[web.RouteDef]:
        issue = "/rest/api/3/issue/{key}"
        return [
            web.post("/rest/api/3/issue", self._create),
            web.post("/rest/api/3/search/jql", self._search),
            web.get("/rest/api/3/user/search", self._user_search),
            web.get(issue, self._get),
            web.put(issue, self._edit),
            web.get(issue + "/transitions", self._transitions),
            web.post(issue + "/transitions", self._transition),
        ]

    def status(self, key: str) -> str:
        """The issue's status name."""
        return STATUSES[self.issues[key]["status"]][0]

    def set_status(self, key: str, name: str) -> None:
        """Move an issue as a person would in Jira."""
        self.issues[key]["status"] = next(i for i, (n, _) in STATUSES.items() if n == name)

    def webhook(self, key: str, *, to: str, by: str = "Jane Doe") -> dict[str, Any]:
        """The `jira:issue_updated` body Jira sends after `set_status(key, to)`."""
        issue = self.issues[key]
        before = issue["status"]
        self.set_status(key, to)
        return {
            "timestamp": 1764670000000,
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": "557058:f00d", "displayName": by, "active": True},
            "issue": self._shown(key),
            "changelog": {
                "id": "10100",
                "items": [
                    {
                        "field": "status",
                        "fieldtype": "jira",
                        "fieldId": "status",
                        "from": before,
                        "fromString": STATUSES[before][0],
                        "to": issue["status"],
                        "toString": STATUSES[issue["status"]][0],
                    }
                ],
            },
        }

    def _check(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != self.auth:
            return _error(401, "Client must be authenticated to access this resource.")
        if request.headers.get("Accept") != "application/json":
            return _error(406, "Accept must be application/json")
        return None

    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        problem = self._check(request)
        if problem:
            return problem
        if request.content_type != "application/json":
            return _error(415, "Unsupported media type")
        try:
            data = json.loads(await request.read())
        except ValueError:
            return _error(400, "Unexpected character in the request body")
        return data if isinstance(data, dict) else _error(400, "body must be a JSON object")

    async def _create(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        fields = body.get("fields")
        if set(body) != {"fields"} or not isinstance(fields, dict):
            return _error(400, 'body must be {"fields": {...}}')
        problem = self._field_problem(fields)
        if problem:
            return _error(400, **{problem[0]: problem[1]})
        number = next(self._ids)
        key = f"{self.project}-{number - 10000}"
        self.issues[key] = {"id": str(number), "key": key, "status": "10000", **fields}
        url = f"{self.url}/rest/api/3/issue/{number}"
        if self.lose_creates:
            self.lose_creates -= 1
            return _error(500, "Internal server error")
        return web.json_response({"id": str(number), "key": key, "self": url}, status=201)

    def _field_problem(self, fields: dict[str, Any]) -> tuple[str, str] | None:
        unknown = set(fields) - CREATE_FIELDS
        if unknown:
            name = sorted(unknown)[0]
            return name, f"Field '{name}' cannot be set. It is not on the appropriate screen."
        if fields.get("project") != {"key": self.project}:
            return "project", "valid project is required"
        if fields.get("issuetype") != {"name": "Task"}:
            return "issuetype", "valid issue type is required"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip() or len(summary) > 255:
            return "summary", "You must specify a summary of the issue (at most 255 characters)."
        if not _adf(fields.get("description")):
            return "description", "Operation value must be an Atlassian Document."
        return self._other_problem(fields)

    def _other_problem(self, fields: dict[str, Any]) -> tuple[str, str] | None:
        try:
            date.fromisoformat(str(fields.get("duedate")))
        except ValueError:
            return "duedate", "Error parsing date string"
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or any(not isinstance(x, str) or " " in x for x in labels):
            return "labels", "Labels must be strings without spaces"
        assignee = fields.get("assignee")
        if assignee is not None and assignee.get("id") not in self.users.values():
            return "assignee", "User with id does not exist"
        return None

    async def _search(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        if set(body) - {"jql", "fields", "maxResults", "nextPageToken"}:
            return _error(400, "Invalid request payload. Refer to the REST API documentation.")
        found = JQL.fullmatch(str(body.get("jql", "")))
        if found is None or found["project"] != self.project:
            return _error(400, "The JQL query is not supported here")
        keys = [k for k, i in self.issues.items() if found["label"] in i.get("labels", [])]
        shown = [self._shown(k) for k in keys[: int(body.get("maxResults", 50))]]
        return web.json_response({"issues": shown, "isLast": True})

    async def _user_search(self, request: web.Request) -> web.Response:
        problem = self._check(request)
        if problem:
            return problem
        query = request.query.get("query", "").lower()
        users = [
            {"accountId": a, "accountType": "atlassian", "emailAddress": e, "active": True}
            | {"displayName": e.split("@")[0].title()}
            for e, a in self.users.items()
            if query and query in e.lower()
        ]
        return web.json_response(users)

    async def _get(self, request: web.Request) -> web.Response:
        problem = self._check(request) or self._missing(request)
        return problem or web.json_response(self._shown(request.match_info["key"]))

    async def _edit(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        missing = self._missing(request)
        if missing:
            return missing
        fields = body.get("fields")
        if set(body) != {"fields"} or not isinstance(fields, dict) or set(fields) != {"duedate"}:
            return _error(400, 'this stand-in edits {"fields": {"duedate": ...}} only')
        self.issues[request.match_info["key"]]["duedate"] = fields["duedate"]
        return web.Response(status=204)

    async def _transitions(self, request: web.Request) -> web.Response:
        problem = self._check(request) or self._missing(request)
        if problem:
            return problem
        current = self.issues[request.match_info["key"]]["status"]
        shown = [
            {"id": t, "name": STATUSES[s][0], "to": _status(s), "isAvailable": True}
            for t, s in TRANSITIONS.items()
            if s != current
        ]
        return web.json_response({"transitions": shown})

    async def _transition(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        missing = self._missing(request)
        if missing:
            return missing
        issue = self.issues[request.match_info["key"]]
        chosen = str((body.get("transition") or {}).get("id"))
        if chosen not in TRANSITIONS or TRANSITIONS[chosen] == issue["status"]:
            return _error(400, "It seems that you have tried to perform an invalid workflow.")
        issue["status"] = TRANSITIONS[chosen]
        return web.Response(status=204)

    def _missing(self, request: web.Request) -> web.Response | None:
        key = request.match_info["key"]
        if key in self.issues:
            return None
        return _error(404, "Issue does not exist or you do not have permission to see it.")

    def _shown(self, key: str) -> dict[str, Any]:
        issue = self.issues[key]
        fields = {"status": _status(issue["status"]), "duedate": issue.get("duedate")}
        fields |= {"summary": issue["summary"], "labels": issue.get("labels", [])}
        url = f"{self.url}/rest/api/3/issue/{issue['id']}"
        return {"id": issue["id"], "key": key, "self": url, "fields": fields}


def _status(status_id: str) -> dict[str, Any]:
    name, category = STATUSES[status_id]
    return {"id": status_id, "name": name, "statusCategory": {"key": category}}


def _adf(doc: Any) -> bool:
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return False
    content = doc.get("content")
    return isinstance(content, list) and all(
        isinstance(block, dict) and block.get("type") == "paragraph" for block in content
    )
