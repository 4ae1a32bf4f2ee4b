"""Langfuse prompt rollback: move a label (production) to the previous version, and back."""

from __future__ import annotations

from bot.containment.providers.context import Context, ref
from bot.containment.providers.context import segment as q
from bot.containment.schemas import Outcome, Plan
from bot.errors import BadInput

LANGFUSE_URL = "https://cloud.langfuse.com"
PREVIOUS = "{previous}"
ACTIONS = ("prompt_rollback",)


def plan(ctx: Context) -> Plan:
    """Plan moving the prompt's label from its current version to the version before it."""
    base, prompt = ctx.url(LANGFUSE_URL), ctx.option("prompt")
    label = ctx.option("label", "production")
    return ctx.plan(
        description=(
            f"Move Langfuse prompt `{prompt}` label `{label}` from its current version "
            "to the version before it"
        ),
        method="PATCH",
        url=version_url(base, prompt, PREVIOUS),
        headers={"Authorization": _auth(ctx), "Content-Type": "application/json"},
        body={"newLabels": [label]},
        target={"base_url": base, "prompt": prompt, "label": label},
    )


def undo(original: Plan, outcome: Outcome) -> Plan:
    """Plan moving the label back to the version that had it before the rollback."""
    before, after = outcome.undo.get("from_version"), outcome.undo.get("to_version")
    if not isinstance(before, int):
        raise BadInput("the rollback did not record the version it replaced; nothing to undo")
    target = {**original.target, "version": str(before)}
    prompt, label = target["prompt"], target["label"]
    return original.model_copy(
        update={
            "description": (
                f"Move Langfuse prompt `{prompt}` label `{label}` back to version {before} "
                f"(undo of the rollback from version {before} to {after})"
            ),
            "url": version_url(target["base_url"], prompt, str(before)),
            "target": target,
        }
    )


def prompt_url(base: str, prompt: str) -> str:
    """Return the URL of the prompt (GET fetches the version with a `label`)."""
    return f"{base}/api/public/v2/prompts/{q(prompt)}"


def listing_request(base: str, prompt: str) -> tuple[str, dict[str, str]]:
    """The GET (URL and query) that lists the prompt's versions, to find the one before."""
    return f"{base}/api/public/v2/prompts", {"name": prompt, "limit": "100"}


def version_url(base: str, prompt: str, version: str) -> str:
    """Return the URL of one version of the prompt (PATCH updates its labels)."""
    return f"{prompt_url(base, prompt)}/versions/{version}"


def _auth(ctx: Context) -> str:
    public, secret = (ctx.provider.options.get(k) for k in ("public_key_env", "secret_key_env"))
    if isinstance(public, str) and isinstance(secret, str) and public and secret:
        return f"Basic base64({ref(public)}:{ref(secret)})"
    if ctx.provider.token_env:
        return f"Basic base64({ctx.token_ref()})"  # the variable holds `public_key:secret_key`
    raise ctx.fail("set options.public_key_env and options.secret_key_env (or token_env)")
