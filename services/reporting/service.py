"""The reporting service: sector-level figures per covenant year, never one company's data (contract §4)."""
from __future__ import annotations

from nameko.dependency_providers import Config

from common.events import event_handler
from common.logging import LoggingContext
from common.metrics import Metrics, counter
from common.mongo import Storage
from common.openapi import Doc
from common import operations
from common.web import http
from services.reporting import domain
from services.reporting.dependencies import SectorStore


def declare_metrics(registry):
    return {
        "contributions": counter(registry, "trustone_contributions_applied",
                                 "Assessments applied to the sector figures, by year.", ["covenant_year"]),
        "skipped": counter(registry, "trustone_contributions_skipped",
                           "Assessments already applied or superseded (redeliveries, late arrivals)."),
    }


class ReportingService(operations.Operations):
    name = "reporting"

    storage = Storage(SectorStore)
    metrics = Metrics(declare_metrics)
    log = LoggingContext()
    config = Config()

    @event_handler("scoring", "report_scored")
    def apply_assessment(self, event):
        scored = event.data
        changed = self.storage.apply(
            scored["covenant_year"], scored["company"]["id"], scored["ordinal"],
            domain.contribution(scored["report"], scored["assessment"]), event.id)
        if changed:
            self.metrics.contributions.labels(str(scored["covenant_year"])).inc()
        else:
            self.metrics.skipped.inc()
            self.log.info("assessment already applied or superseded", report_id=scored["report_id"])

    @http("GET", "/v1/sector/<int:covenant_year>", doc=Doc(
        "Sector figures of a covenant year (public)", responses={200: "The figures"}))
    def sector_figures(self, request, covenant_year):
        return domain.figures(covenant_year, self.storage.counters(covenant_year) or {})


SERVICE = ReportingService
