"""Jira Cloud REST API v3: create an action item's issue, find it again, move it, date it.

Auth is HTTP Basic with the account's email and an API token. An issue carries the label
`incidentbot-item-<id>`, so an issue whose create was never answered is found by JQL search
instead of created twice.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from bot import remote
from bot.remote import Refused
from bot.trackers import rules
from bot.trackers.schemas import IssueDraft, JiraTracker, RemoteIssue
from bot.vocabulary import ActionState

FIELDS = ["status", "duedate"]


@dataclass(frozen=True)
class JiraClient:
    http: httpx.AsyncClient
    config: JiraTracker
    email: str
    token: str

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        basic = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        return await remote.call(
            self.http,
            method,
            f"{self.config.url}{path}",
            what="Jira",
            secrets=(self.token, basic),
            headers=headers,
            **kwargs,
        )

    async def existing(self, item_id: int, remote_id: str | None) -> RemoteIssue | None:
        """The item's issue if an earlier, unanswered create made it."""
        jql = f'project = "{self.config.project}" AND labels = "{rules.item_label(item_id)}"'
        body = {"jql": jql, "fields": FIELDS, "maxResults": 1}
        found = await self._call("POST", "/rest/api/3/search/jql", json=body)
        issues = remote.json_object(found, "Jira").get("issues") or []
        return self._issue(issues[0]) if issues else None

    async def create(self, draft: IssueDraft, remote_id: str | None) -> RemoteIssue:
        """Create the issue (assigned to the owner when Jira knows their email)."""
        fields: dict[str, Any] = {
            "project": {"key": self.config.project},
            "issuetype": {"name": self.config.issue_type},
            "summary": rules.title(draft),
            "description": rules.adf(draft),
            "duedate": draft.due.isoformat(),
            "labels": [rules.LABEL, rules.item_label(draft.item_id), draft.kind.value],
        }
        account = await self._account(draft.owner_email) if draft.owner_email else None
        if account:
            fields["assignee"] = {"id": account}
        created = await self._call("POST", "/rest/api/3/issue", json={"fields": fields})
        data = remote.json_object(created, "Jira")
        key = str(data.get("key") or "")
        if not key:
            raise Refused("Jira: the created issue has no key")
        return RemoteIssue(str(data.get("id")), key, self._browse(key), ActionState.OPEN, draft.due)

    async def _account(self, email: str) -> str | None:
        found = await self._call("GET", "/rest/api/3/user/search", params={"query": email})
        listed = found.json()
        users = listed if isinstance(listed, list) else []
        exact = [u for u in users if str(u.get("emailAddress", "")).lower() == email.lower()]
        chosen = (exact or users[:1] or [None])[0]
        return str(chosen["accountId"]) if chosen and chosen.get("accountId") else None

    async def current(self, issue: RemoteIssue) -> RemoteIssue:
        """The issue's status and due date now."""
        found = await self._call(
            "GET", f"/rest/api/3/issue/{issue.key}", params={"fields": ",".join(FIELDS)}
        )
        return self._issue(remote.json_object(found, "Jira"))

    async def push(self, issue: RemoteIssue, state: ActionState, due: date) -> RemoteIssue:
        """Bring the issue to the item's state (by a transition) and due date."""
        if issue.due != due:
            body = {"fields": {"duedate": due.isoformat()}}
            await self._call("PUT", f"/rest/api/3/issue/{issue.key}", json=body)
        if issue.state is None or rules.jira_category(issue.state) != rules.jira_category(state):
            await self._transition(issue.key, state)
        return RemoteIssue(issue.remote_id, issue.key, issue.url, state, due)

    async def _transition(self, key: str, state: ActionState) -> None:
        path = f"/rest/api/3/issue/{key}/transitions"
        found = remote.json_object(await self._call("GET", path), "Jira")
        wanted = rules.jira_category(state)
        options = [
            t
            for t in found.get("transitions") or []
            if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == wanted
        ]
        if not options:
            raise Refused(f"Jira: {key} has no transition to a {wanted!r} status from here")
        chosen = _preferred(options, state)
        await self._call("POST", path, json={"transition": {"id": str(chosen["id"])}})

    def _issue(self, data: dict[str, Any]) -> RemoteIssue:
        fields = data.get("fields") or {}
        status = fields.get("status") or {}
        category = (status.get("statusCategory") or {}).get("key", "")
        due = fields.get("duedate")
        key = str(data.get("key"))
        return RemoteIssue(
            str(data.get("id")),
            key,
            self._browse(key),
            rules.jira_state(category, str(status.get("name", ""))),
            date.fromisoformat(due) if due else None,
        )

    def _browse(self, key: str) -> str:
        return f"{self.config.url}/browse/{key}"


def _preferred(options: list[dict[str, Any]], state: ActionState) -> dict[str, Any]:
    """A won't-do item takes a done transition named like "won't do" when there is one."""
    for option in options:
        named = rules.jira_state("done", str((option.get("to") or {}).get("name", "")))
        if state is ActionState.WONT_DO and named is ActionState.WONT_DO:
            return option
        if state is ActionState.DONE and named is ActionState.DONE:
            return option
    return options[0]
