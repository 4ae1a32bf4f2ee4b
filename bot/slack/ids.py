"""Every action_id, block_id and callback_id, used by both builders and registrations."""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    TAKE_ROLE = "take_role"
    DECLARE_TYPE = "declare_type"
    DECLARE_SEVERITY = "declare_severity"
    DECLARE_TITLE = "declare_title"
    DECLARE_FEATURE = "declare_feature"
    DECLARE_DESCRIPTION = "declare_description"
    UPDATE_TEXT = "update_text"
    UPDATE_STATUS = "update_status"
    OPEN_CHANNEL_LINK = "open_channel_link"


class BlockId(StrEnum):
    SUMMARY_ROLES = "summary_roles"
    DECLARE_TITLE = "declare_title"
    DECLARE_TYPE = "declare_type"
    DECLARE_SEVERITY = "declare_severity"
    DECLARE_FEATURE = "declare_feature"
    DECLARE_DESCRIPTION = "declare_description"
    UPDATE_TEXT = "update_text"
    UPDATE_STATUS = "update_status"


class CallbackId(StrEnum):
    DECLARE = "declare_incident"
    UPDATE = "status_update"
