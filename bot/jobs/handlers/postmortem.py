"""The postmortem's document in its channel: write the canvas (or upload the file), once per
revision, then tell the channel where it is.

Safe to repeat after any failure: a channel has one channel canvas (found again if an earlier
create got through), a canvas edit replaces the whole text, and a file's id is stored before it
is shared, so a retry asks Slack whether it was shared before uploading another.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import session_scope
from bot.errors import NotYet, RetryLater
from bot.flows import postmortem as postmortem_flows
from bot.flows import postmortem_document as doc_flows
from bot.flows import signal_charts as chart_flows
from bot.flows.postmortem import PostmortemDoc
from bot.jobs.handlers.common import Handler, JobEnv, once, slack_handlers
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Claimed
from bot.slack.blocks import followup_text
from bot.slack.documents import CanvasesOff, Gone, SlackDocuments


def handlers(env: JobEnv) -> dict[JobKind, Handler]:
    """The document sync (in Slack)."""
    return slack_handlers(env, {JobKind.POSTMORTEM_DOC: _DocumentWork(env).sync})


@dataclass
class _DocumentWork:
    env: JobEnv

    async def sync(self, item: Claimed) -> None:
        """Bring the channel's postmortem document to the newest revision."""
        assert item.incident_id is not None
        deps = self.env.deps
        async with session_scope(deps.sessions) as session:
            job = await doc_flows.job(session=session, incident_id=item.incident_id)
        if job is None:
            return
        if job.channel_id is None:
            raise NotYet("the incident channel does not exist yet")
        doc = await self._document(job.incident_id)
        link = await self._canvas(job, doc) if job.kind != doc_flows.FILE else None
        if link is None:
            link = await self._file(job, doc)
        text = followup_text.postmortem_document(doc, link, job.revision)
        await self.env.need_slack().post(job.channel_id, text, once=once(item))

    async def _document(self, incident_id: int) -> PostmortemDoc:
        deps = self.env.deps
        async with session_scope(deps.sessions) as session:
            return await postmortem_flows.document(
                session=session,
                config=deps.config,
                templates=deps.templates,
                incident_id=incident_id,
                now=deps.clock(),
                name_of=self.env.need_slack().display_name,
            )

    async def _charts(self, incident_id: int) -> list[tuple[str, str]]:
        async with session_scope(self.env.deps.sessions) as session:
            return await chart_flows.links(session=session, incident_id=incident_id)

    def _slack(self) -> SlackDocuments:
        return SlackDocuments(self.env.need_slack().client)

    async def _canvas(self, job: doc_flows.DocJob, doc: PostmortemDoc) -> str | None:
        """Write the channel canvas; None when the workspace allows none (use a file)."""
        deps, slack = self.env.deps, self._slack()
        assert job.channel_id is not None
        markdown = doc_flows.with_charts(doc.markdown, await self._charts(job.incident_id))
        title = f"Postmortem — #{job.number} {job.title}"[:150]
        try:
            canvas = job.remote_id or await slack.channel_canvas(job.channel_id, title, markdown)
            await slack.replace_canvas(canvas, markdown)
        except CanvasesOff as exc:
            async with session_scope(deps.sessions) as session:
                await doc_flows.use_files(
                    session=session, incident_id=job.incident_id, why=str(exc), now=deps.clock()
                )
            return None
        except Gone:
            async with session_scope(deps.sessions) as session:
                await doc_flows.canvas_gone(
                    session=session, incident_id=job.incident_id, now=deps.clock()
                )
            raise RetryLater("the canvas was deleted; writing a new one") from None
        link = await slack.permalink(canvas)
        async with session_scope(deps.sessions) as session:
            await doc_flows.canvas_written(
                session=session,
                incident_id=job.incident_id,
                canvas_id=canvas,
                permalink=link,
                revision=job.revision,
                now=deps.clock(),
            )
        return link or ""

    async def _file(self, job: doc_flows.DocJob, doc: PostmortemDoc) -> str:
        """Upload this revision as a Markdown file in the channel, then delete the previous one."""
        deps, slack = self.env.deps, self._slack()
        assert job.channel_id is not None
        file_id = job.pending_file_id
        if file_id is None or not await slack.shared_in(file_id, job.channel_id):
            file_id = await self._upload(job, doc)
        link = await slack.permalink(file_id)
        async with session_scope(deps.sessions) as session:
            previous = await doc_flows.file_shared(
                session=session,
                incident_id=job.incident_id,
                file_id=file_id,
                permalink=link,
                revision=job.revision,
                now=deps.clock(),
            )
        if previous is not None:
            await slack.delete_file(previous)
        return link or ""

    async def _upload(self, job: doc_flows.DocJob, doc: PostmortemDoc) -> str:
        deps, slack = self.env.deps, self._slack()
        assert job.channel_id is not None
        charts = await self._charts(job.incident_id)
        content = doc_flows.with_charts(doc.markdown, charts).encode()
        file_id, url = await slack.reserve_upload(
            f"postmortem-incident-{job.number}.md", len(content)
        )
        async with session_scope(deps.sessions) as session:
            await doc_flows.file_reserved(
                session=session, incident_id=job.incident_id, file_id=file_id, now=deps.clock()
            )
        await slack.upload(url, content)
        state = doc.state.value.replace("_", " ")
        title = f"Postmortem #{job.number} ({state}, revision {job.revision})"
        await slack.share(
            file_id, title, job.channel_id, followup_text.postmortem_file_comment(doc)
        )
        return file_id
