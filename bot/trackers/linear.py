"""Linear's GraphQL API: create an action item's issue, look it up, move it, date it.

The bot chooses each issue's id (a UUID, which `issueCreate` accepts) and stores it before
creating, so an issue whose create was never answered is looked up by that id instead of being
created twice (and Linear refuses a second issue with the same id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from bot import remote
from bot.errors import RetryLater
from bot.remote import Refused
from bot.trackers import rules
from bot.trackers.schemas import IssueDraft, LinearTracker, RemoteIssue
from bot.vocabulary import ActionState

ISSUE_FIELDS = "id identifier url dueDate state { type }"
ISSUE = f"query Issue($id: String!) {{ issue(id: $id) {{ {ISSUE_FIELDS} }} }}"
CREATE = (
    "mutation IssueCreate($input: IssueCreateInput!) "
    f"{{ issueCreate(input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }} }}"
)
UPDATE = (
    "mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) "
    f"{{ issueUpdate(id: $id, input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }} }}"
)
USERS = "query Users($email: String!) { users(filter: {email: {eq: $email}}) { nodes { id } } }"
LABELS = (
    "query Labels($name: String!) "
    "{ issueLabels(filter: {name: {eq: $name}}) { nodes { id name } } }"
)
LABEL_CREATE = (
    "mutation LabelCreate($input: IssueLabelCreateInput!) "
    "{ issueLabelCreate(input: $input) { success issueLabel { id } } }"
)
STATES = (
    "query States($team: ID!, $type: String!) { workflowStates(filter: "
    "{team: {id: {eq: $team}}, type: {eq: $type}}) { nodes { id name type position } } }"
)


@dataclass
class LinearClient:
    http: httpx.AsyncClient
    config: LinearTracker
    api_key: str
    _labels: dict[str, str] = field(default_factory=dict)

    async def _query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await remote.call(
            self.http,
            "POST",
            self.config.url,
            what="Linear",
            secrets=(self.api_key,),
            headers={"Authorization": self.api_key, "Content-Type": "application/json"},
            json={"query": query, "variables": variables},
        )
        body = remote.json_object(response, "Linear")
        _raise_errors(body.get("errors"))
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    async def existing(self, item_id: int, remote_id: str | None) -> RemoteIssue | None:
        """The issue with the id chosen for the item, if an unanswered create made it."""
        if remote_id is None:
            return None
        try:
            data = await self._query(ISSUE, {"id": remote_id})
        except Refused:
            return None  # "Entity not found": the earlier create did not happen
        return _issue(data.get("issue"))

    async def create(self, draft: IssueDraft, remote_id: str | None) -> RemoteIssue:
        """Create the issue with the chosen id, labelled with its kind, assigned by email."""
        payload: dict[str, Any] = {
            "teamId": self.config.team_id,
            "title": rules.title(draft),
            "description": rules.markdown(draft),
            "dueDate": draft.due.isoformat(),
            "labelIds": [await self._label(rules.LABEL), await self._label(draft.kind.value)],
        }
        if remote_id:
            payload["id"] = remote_id
        assignee = await self._user(draft.owner_email) if draft.owner_email else None
        if assignee:
            payload["assigneeId"] = assignee
        data = await self._query(CREATE, {"input": payload})
        return _created(data.get("issueCreate"))

    async def current(self, issue: RemoteIssue) -> RemoteIssue:
        """The issue's state and due date now."""
        data = await self._query(ISSUE, {"id": issue.remote_id})
        found = _issue(data.get("issue"))
        if found is None:
            raise Refused(f"Linear: issue {issue.key} no longer exists")
        return found

    async def push(self, issue: RemoteIssue, state: ActionState, due: date) -> RemoteIssue:
        """Move the issue to a workflow state of the item's kind, and set its due date."""
        changes: dict[str, Any] = {}
        if issue.due != due:
            changes["dueDate"] = due.isoformat()
        if issue.state is not state:
            changes["stateId"] = await self._state(rules.LINEAR_TYPES[state])
        if not changes:
            return issue
        data = await self._query(UPDATE, {"id": issue.remote_id, "input": changes})
        return _created(data.get("issueUpdate"))

    async def _user(self, email: str) -> str | None:
        data = await self._query(USERS, {"email": email})
        nodes = (data.get("users") or {}).get("nodes") or []
        return str(nodes[0]["id"]) if nodes else None

    async def _label(self, name: str) -> str:
        if name not in self._labels:
            data = await self._query(LABELS, {"name": name})
            nodes = (data.get("issueLabels") or {}).get("nodes") or []
            if nodes:
                self._labels[name] = str(nodes[0]["id"])
            else:
                made = await self._query(
                    LABEL_CREATE, {"input": {"name": name, "teamId": self.config.team_id}}
                )
                label = (made.get("issueLabelCreate") or {}).get("issueLabel") or {}
                self._labels[name] = str(label.get("id"))
        return self._labels[name]

    async def _state(self, state_type: str) -> str:
        data = await self._query(STATES, {"team": self.config.team_id, "type": state_type})
        nodes = (data.get("workflowStates") or {}).get("nodes") or []
        if not nodes:
            raise Refused(f"Linear: the team has no {state_type!r} workflow state")
        return str(min(nodes, key=lambda n: float(n.get("position") or 0))["id"])


def _raise_errors(errors: Any) -> None:
    if not errors:
        return
    first = errors[0] if isinstance(errors, list) and errors else {}
    message = str(first.get("message", "error")) if isinstance(first, dict) else str(first)
    code = str(((first.get("extensions") or {}) if isinstance(first, dict) else {}).get("code"))
    if code == "RATELIMITED":
        raise RetryLater(f"Linear: rate limited ({message})", keep_trying=True)
    raise Refused(f"Linear: {message}")


def _created(result: Any) -> RemoteIssue:
    issue = _issue((result or {}).get("issue")) if isinstance(result, dict) else None
    if not isinstance(result, dict) or not result.get("success") or issue is None:
        raise Refused("Linear: the change was not applied")
    return issue


def _issue(data: Any) -> RemoteIssue | None:
    if not isinstance(data, dict) or not data.get("id"):
        return None
    due = data.get("dueDate")
    return RemoteIssue(
        str(data["id"]),
        str(data.get("identifier") or data["id"]),
        str(data.get("url") or ""),
        rules.linear_state(str((data.get("state") or {}).get("type", ""))),
        date.fromisoformat(due) if due else None,
    )
