"""Every kind of queued work, in one place (the values are stored in `due_work.kind`)."""

from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    # The incident channel and its live summary.
    OPEN_CHANNEL = "slack.open_channel"
    REFRESH_SUMMARY = "slack.refresh_summary"
    ROLE_DM = "slack.role_dm"
    ROLE_NUDGE = "slack.role_nudge"
    ANNOUNCE = "slack.announce"
    # What a Slack request asked for, after its ack.
    SLACK_REQUEST = "slack.request"
    # Playbooks, containment and the change ledger.
    POST_PLAYBOOK = "playbook.post"
    RENDER_PHASE = "playbook.render_phase"
    PHASE_DUE = "playbook.phase_due"
    REPORT_RUN = "containment.report"
    CHANGES_ON_OPEN = "changes.post_on_open"
    CHANGE_ARRIVAL = "changes.post_arrival"
    # Communications.
    COMMS_ARM = "comms.arm"
    COMMS_CARD = "comms.card"
    COMMS_PUBLISH = "comms.publish"
    COMMS_REMIND = "comms.remind"
    # Fix validation and action items.
    EVAL_POSTED = "followup.eval_posted"
    ITEM_POST = "followup.item_post"
    ITEM_REFRESH = "followup.item_refresh"
    ITEM_ARM = "followup.arm"
    ITEM_REMIND = "followup.remind"
    OVERDUE_OWNER = "followup.overdue_owner"
    OVERDUE_MANAGERS = "followup.overdue_managers"
    DIGEST = "followup.digest"
    ITEM_HOME = "followup.home"  # republish one person's App Home (subject: their user id)
    # Outside tools: tracker issues, pages, the on-call offer, the postmortem document.
    TRACKER_SYNC = "trackers.sync"  # subject: the action item's id
    PAGE_SEND = "paging.send"  # subject: "<incident id>:<target>"
    ONCALL_OFFER = "paging.oncall_offer"  # subject: the incident id
    POSTMORTEM_DOC = "postmortem.document"  # subject: the incident id
    # Quality signals: the control-chart detector, its charts and the eval loop.
    SIGNALS_DETECT = "signals.detect"  # subject: "points", one run at a time
    CHART_UPLOAD = "signals.chart"  # subject: "<incident id>:<opened|resolved>"
    EVAL_REQUEST = "signals.eval_request"  # subject: the eval request's id


# Queued once per incident as soon as its channel exists.
ON_CHANNEL_OPEN = (
    JobKind.ANNOUNCE,
    JobKind.POST_PLAYBOOK,
    JobKind.CHANGES_ON_OPEN,
    JobKind.COMMS_ARM,
)

# Work someone is waiting on right now (a new incident's channel, what a person typed): it has
# worker slots of its own, so a burst of slow work (a storm's paced posts) never holds it back.
URGENT = frozenset({JobKind.OPEN_CHANNEL, JobKind.SLACK_REQUEST})
