"""Prometheus metrics (GET /metrics): incidents, deliveries, latency, retries, backlog, timers.

One registry per runtime, so tests that build several runtimes in one process don't collide.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from flows.model import Delivery, Timer

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.incidents = Gauge("kasuhara_incidents", "Incidents recorded (reports and SOS), all replicas",
                               registry=self.registry)
        self.deliveries = Counter("kasuhara_deliveries", "Settled delivery attempts by kind, platform and outcome",
                                  ["kind", "platform", "outcome"], registry=self.registry)
        self.delivery_seconds = Histogram(
            "kasuhara_delivery_seconds", "Time from the delivery's commit to the platform's answer",
            ["kind", "platform"], registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900))
        self.retries = Counter("kasuhara_delivery_retries", "Delivery attempts that will be retried",
                               ["platform"], registry=self.registry)
        self.oldest_pending = Gauge("kasuhara_outbox_oldest_pending_seconds",
                                    "Age of the oldest delivery still waiting (0 when none)", registry=self.registry)
        self.timer_lateness = Histogram("kasuhara_timer_lateness_seconds", "How late a timer fired after its due time",
                                        ["kind"], registry=self.registry,
                                        buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300))

    def delivery(self, delivery: Delivery, outcome: str, seconds: float) -> None:
        platform = delivery.target.platform.value
        self.deliveries.labels(delivery.kind.value, platform, outcome).inc()
        if outcome in ("sent", "found"):
            self.delivery_seconds.labels(delivery.kind.value, platform).observe(max(seconds, 0.0))
        elif outcome == "retry":
            self.retries.labels(platform).inc()

    def timer(self, timer: Timer, late_s: float) -> None:
        self.timer_lateness.labels(timer.kind.value).observe(max(late_s, 0.0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
