"""Errors the product raises on purpose; each carries a message fit to show a user."""

from __future__ import annotations


class BotError(Exception):
    """Base for errors whose message is safe and useful to show to the person who caused them."""


class BadInput(BotError):
    """Input that cannot be accepted; `field` names the offending field when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.reason = message


class NotFound(BotError):
    """The thing asked for does not exist."""


class Forbidden(BotError):
    """The person may not do this; the message says who may."""


class InvalidTransition(BotError):
    """A lifecycle change that is not allowed from the current state."""


class ConfigError(BotError):
    """Configuration, playbook or template that fails validation."""


class RetryLater(Exception):
    """A temporary failure of queued work; `retry_after` seconds when the remote said so.

    With `keep_trying` (an outage at a tracker or pager) the work is never given up: it is
    retried at the longest backoff until the remote answers, so an outage delays, never loses.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, *, keep_trying: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.keep_trying = keep_trying


class NotYet(RetryLater):
    """Queued work waiting on other work (the incident channel): asked again every few
    seconds, without counting as a failed attempt."""

    def __init__(self, message: str, retry_after: float = 2.0) -> None:
        super().__init__(message, retry_after)
