"""Post each month's summary and chart to the units' HR targets: on a durable timer, or on demand.

The timer of a month fires once (claimed in the transaction that queues the posts); each post
has a dedupe key naming the month, the unit and the target, so a second replica or a restart
queues nothing twice. The chart is drawn at send time (ReportDelivery), never in a transaction.
"""
from __future__ import annotations

from datetime import datetime

from flows.cards import Card, Tone
from flows.deps import Dependencies
from flows.i18n import Translator
from flows.model import AuditEvent, Delivery, DeliveryKind, ReportPayload, Role, Target, Timer, TimerKind
from flows.policy import extra_targets
from flows.ports import DeliveryError, Transaction
from flows.reports.build import build_monthly_report
from flows.reports.model import MonthlyReport
from flows.reports.period import Month, posting_time
from flows.reports.ports import ChartImage, ImageNotifier, ReportImages
from flows.reports.reading import read_records
from flows.timers import TimerHandler


class MonthlyReports:
    """Schedule and queue the monthly posts (the timer side; ReportDelivery sends them)."""

    def __init__(self, deps: Dependencies):
        self.policy = deps.policy
        self._store = deps.store
        self._clock = deps.clock
        self._wake = deps.wake

    def timer_handlers(self) -> dict[TimerKind, TimerHandler]:
        return {TimerKind.MONTHLY_REPORT: self.fire} if self.policy.reports.monthly_post else {}

    def due_at(self, month: Month) -> datetime:
        rule = self.policy.reports
        return posting_time(month, self.policy.timezone, rule.post_at, rule.holidays_for(month.shift(1)))

    async def ensure_scheduled(self) -> Month | None:
        """Plan the next monthly post unless it is planned (called at start; safe to repeat)."""
        if not self.policy.reports.monthly_post:
            return None
        now = self._clock.now()
        month = Month.of(now, self.policy.timezone).shift(-1)
        if self.due_at(month) <= now:  # last month's post is behind us (sent, or due: the sweep sends it now)
            month = month.shift(1)
        async with self._store.transaction() as tx:
            await self._plan(tx, month)
        return month

    async def fire(self, tx: Transaction, timer: Timer, now: datetime) -> None:
        """Queue the month's posts to every HR target, then plan the next month."""
        month = Month.from_number(timer.ref_id)
        await self._queue(tx, month, now, key=f"monthly:{month}")
        await self._plan(tx, month.shift(1))

    async def post_now(self, month: Month, unit_id: str | None = None, *, actor: str) -> int:
        """Queue the posts of `month` at once (`kasuhara report monthly --post`); return how many."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            queued = await self._queue(tx, month, now, key=f"monthly-manual:{month}:{now.isoformat()}",
                                       unit_id=unit_id, actor=actor)
        self._wake()
        return queued

    def hr_targets(self, extra, unit_id: str | None = None) -> list[tuple[str, Target]]:
        """(unit, target) for each unit's own HR targets; a unit without its own is covered by its parent's report.

        With `unit_id`, that unit's report goes to the HR targets it resolves to (inherited too).
        """
        if unit_id is not None:
            return [(unit_id, t) for t in self.policy.targets_of(unit_id, Role.HR, extra)]
        found = []
        for unit in self.policy.units:
            own = tuple(unit.targets.get(Role.HR, ())) + tuple((extra or {}).get((unit.id, Role.HR), ()))
            found += [(unit.id, t) for t in dict.fromkeys(own)]
        return found

    async def _queue(self, tx: Transaction, month: Month, now: datetime, *, key: str, unit_id: str | None = None,
                     actor: str = "system") -> int:
        targets = self.hr_targets(extra_targets(await tx.bindings.all()), unit_id)
        queued = 0
        for unit, target in targets:
            added = await tx.outbox.add(Delivery(
                kind=DeliveryKind.REPORT, target=target, role=Role.HR, next_attempt_at=now,
                payload=ReportPayload(str(month), unit),
                dedupe_key=f"{key}:{unit}:{target.platform.value}:{target.address}"))
            queued += added is not None
        await tx.audit.add(AuditEvent(now, "report_posted" if targets else "no_targets", actor=actor,
                                      detail=f"monthly {month} -> " + (", ".join(
                                          f"{u}/{t.platform.value}:{t.address}" for u, t in targets) or "hr")))
        return queued

    async def _plan(self, tx: Transaction, month: Month) -> None:
        pending = [t for t in await tx.timers.pending(ref_id=month.number) if t.kind is TimerKind.MONTHLY_REPORT]
        if not pending:
            await tx.timers.add(Timer(TimerKind.MONTHLY_REPORT, self.due_at(month), ref_id=month.number))


class ReportDelivery:
    """Send one queued monthly post: build the unit's report, draw the chart, post card + image.

    Registered on the Dispatcher for DeliveryKind.REPORT by bot/ (which owns the renderer).
    """

    def __init__(self, deps: Dependencies, images: ReportImages):
        self.policy = deps.policy
        self._store = deps.store
        self._clock = deps.clock
        self._images = images

    async def report(self, month: Month, unit_id: str | None) -> MonthlyReport:
        async with self._store.transaction() as tx:
            records = await read_records(tx.reports, self.policy, month, unit_id, include_sensitive=False)
        return build_monthly_report(self.policy, month, unit_id, records, self._clock.now())

    async def deliver(self, notifier, delivery: Delivery) -> str:
        if not hasattr(notifier, "post_image"):
            raise DeliveryError(f"{delivery.target.platform.value} cannot post images", permanent=True)
        poster: ImageNotifier = notifier
        report = await self.report(Month.from_text(delivery.payload.month), delivery.payload.unit)
        png = await self._images.summary_chart(report, max_bytes=poster.max_image_bytes)
        t = Translator(self.policy.locale)
        image = ChartImage(png, f"{report.filename_stem}.png", t("report.chart.alt", title=report.title))
        return await poster.post_image(delivery.target.address, summary_card(report, t), image)


def summary_card(report: MonthlyReport, t: Translator) -> Card:
    """The chat post: title, the summary lines, how to get the full report. No names, no content."""
    return Card(title=report.title, lines=report.summary, tone=Tone.INFO, summary=report.title,
                footer=t("report.post.footer", month=str(report.month)))

