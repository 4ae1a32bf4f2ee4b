"""The client of a configured tracker, with its credentials read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol

import httpx

from bot.remote import need_env
from bot.trackers.jira import JiraClient
from bot.trackers.linear import LinearClient
from bot.trackers.schemas import IssueDraft, JiraTracker, RemoteIssue, Tracker
from bot.vocabulary import ActionState


class TrackerClient(Protocol):
    async def existing(self, item_id: int, remote_id: str | None) -> RemoteIssue | None: ...

    async def create(self, draft: IssueDraft, remote_id: str | None) -> RemoteIssue: ...

    async def current(self, issue: RemoteIssue) -> RemoteIssue: ...

    async def push(self, issue: RemoteIssue, state: ActionState, due: date) -> RemoteIssue: ...


def client(http: httpx.AsyncClient, tracker: Tracker, env: Mapping[str, str]) -> TrackerClient:
    """A client for the tracker; Refused naming the variable when a credential is missing."""
    if isinstance(tracker, JiraTracker):
        return JiraClient(
            http, tracker, need_env(env, tracker.email_env), need_env(env, tracker.token_env)
        )
    return LinearClient(http, tracker, need_env(env, tracker.api_key_env))
