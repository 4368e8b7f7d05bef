"""The monthly summary chart for chat posts (flows.reports.ports.ReportImages)."""
from __future__ import annotations

import asyncio

from flows.reports.model import MonthlyReport


class ChartRenderer:
    """Draw charts in a worker thread (matplotlib is CPU work: the event loop keeps acking in time).

    matplotlib is imported on first use, not when the bot starts.
    """

    def __init__(self, font: str | None = None):
        self._font = font

    async def summary_chart(self, report: MonthlyReport, *, max_bytes: int | None = None) -> bytes:
        from adapters.documents.charts import compact_summary_png, summary_png

        if max_bytes is None:
            return await asyncio.to_thread(summary_png, report, font=self._font)
        return await asyncio.to_thread(compact_summary_png, report, font=self._font, max_bytes=max_bytes)
