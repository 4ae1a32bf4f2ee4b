"""Slack surface for scoped user communications: `/incident comms`, the form, cards, reminders.

Other stages open the comms form with a button whose action_id is `ActionId.OPEN_COMMS`
(optionally `open_comms:<suffix>`) and whose value is the kind, e.g. `status_update`;
`bot.slack.blocks.comms.open_comms_button(kind)` builds one.
"""

from __future__ import annotations

from bot.slack.listeners.comms.buttons import register
from bot.slack.listeners.comms.opening import SUBCOMMANDS, open_form

__all__ = ["SUBCOMMANDS", "open_form", "register"]
