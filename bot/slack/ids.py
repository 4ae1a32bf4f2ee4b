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
    # playbook and containment
    STEP_DONE = "playbook_step_done"
    STEP_SKIP = "playbook_step_skip"
    STEP_REOPEN = "playbook_step_reopen"
    CONTAINMENT_RUN = "containment_run"
    CONTAINMENT_UNDO = "containment_undo"
    CONTAINMENT_FULL_REQUEST = "containment_full_request"
    CONTAINMENT_MARK_CONTAINED = "containment_mark_contained"
    # action items; buttons carry the item id as their value
    ITEM_START = "action_item_start"
    ITEM_DONE = "action_item_done"
    ITEM_WONT_DO = "action_item_wont_do"
    ITEM_REOPEN = "action_item_reopen"
    ITEM_REASON = "action_item_reason"
    # comms. OPEN_COMMS opens the comms form for the kind in the button's value
    # (e.g. a playbook step's comms kind); it may carry a ":<suffix>" to stay unique in a block.
    OPEN_COMMS = "open_comms"
    COMMS_TITLE = "comms_title"
    COMMS_TEXT = "comms_text"
    COMMS_FIELD = "comms_field"  # + ":<scope field>"
    COMMS_PREVIEW = "comms_preview"
    COMMS_REDRAFT = "comms_redraft"
    COMMS_APPROVE = "comms_approve"
    COMMS_EDIT = "comms_edit"
    COMMS_RETRY = "comms_retry"
    COMMS_HISTORY = "comms_history"
    COMMS_OVERRIDE_REASON = "comms_override_reason"
    # paging: the on-call offer's button carries "<incident id>:<user id>"
    OFFER_COMMANDER = "offer_commander"
    # the eval loop: the "Run evals" button carries the incident id
    RUN_EVALS = "run_evals"


class BlockId(StrEnum):
    SUMMARY_ROLES = "summary_roles"
    EVAL_OFFER = "eval_offer"
    DECLARE_TITLE = "declare_title"
    DECLARE_TYPE = "declare_type"
    DECLARE_SEVERITY = "declare_severity"
    DECLARE_FEATURE = "declare_feature"
    DECLARE_DESCRIPTION = "declare_description"
    UPDATE_TEXT = "update_text"
    UPDATE_STATUS = "update_status"
    # playbook and containment; a step's blocks add ":<step id>"
    STEP_TEXT = "playbook_step"
    STEP_ACTIONS = "playbook_step_actions"
    CONTAINMENT_OUTCOME = "containment_outcome"
    CONTAINMENT_CONFIRM = "containment_confirm"
    # action items; an item's blocks add ":<item id>" (in the Home, ":<section>:<id>")
    ITEM = "action_item"
    ITEM_ACTIONS = "action_item_actions"
    ITEM_REASON = "action_item_reason"
    # comms; title and text add ":<revision>" so a preview can replace their values
    COMMS_TITLE = "comms_title"
    COMMS_TEXT = "comms_text"
    COMMS_FIELD = "comms_field"  # + ":<scope field>"
    COMMS_ACTIONS = "comms_actions"
    COMMS_CHOOSER = "comms_chooser"
    COMMS_OVERRIDE_REASON = "comms_override_reason"
    ONCALL_OFFER = "oncall_offer"


class CallbackId(StrEnum):
    DECLARE = "declare_incident"
    UPDATE = "status_update"
    CONTAINMENT_CONFIRM = "containment_confirm"
    ITEM_WONT_DO = "action_item_wont_do"
    COMMS_DRAFT = "comms_draft"
    COMMS_OVERRIDE = "comms_override"
