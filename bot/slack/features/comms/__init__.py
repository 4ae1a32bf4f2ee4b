"""Slack surface for scoped user communications: `/incident comms`, the form, cards, reminders.

Other features open the comms form with a button whose action_id is `ActionId.OPEN_COMMS`
(optionally `open_comms:<suffix>`) and whose value is the kind, e.g. `status_update`;
`bot.slack.blocks.comms.open_comms_button(kind)` builds one.
"""

from __future__ import annotations

from bot.slack.features.comms.listeners import register
from bot.slack.features.comms.opening import SUBCOMMANDS, open_form

__all__ = ["SUBCOMMANDS", "open_form", "register"]
