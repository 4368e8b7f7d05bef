"""Incident pages: report through a unit link, SOS, the receipt status page and adding later.

Each handler: check the link or code, parse the form, call one flow, render a page.
"""
from __future__ import annotations

from aiohttp import web

from adapters.web import ids, parse
from adapters.web.render import card_view, errors_list, field_view, form_view, local_input
from adapters.web.respond import RECEIPT_KEY, Web
from flows.forms import Field, FieldKind, validate
from flows.i18n import Translator
from flows.model import Actor, Incident, IncidentStatus, RiskLevel
from flows.i18n import local_time
from flows.incidents.messages import level_text, reasons_text


class IncidentPages:
    def __init__(self, web_: Web):
        self.web = web_

    def routes(self) -> list[tuple[str, str, object, str]]:
        return [("GET", ids.REPORT, self.report_form, "report_form"), ("POST", ids.REPORT, self.report, "report"),
                ("GET", ids.SOS, self.sos_page, "sos_page"), ("POST", ids.SOS, self.sos, "sos"),
                ("GET", ids.STATUS, self.status_form, "status_form"), ("POST", ids.STATUS, self.status, "status"),
                ("POST", ids.DETAILS, self.details_form, "details_form"),
                ("POST", ids.DETAILS_SAVE, self.details_save, "details_save")]

    # -- report through a unit link --------------------------------------------------------------
    async def report_form(self, request: web.Request) -> web.Response:
        unit = await self._unit(request)
        if unit is None:
            return self._invalid_link(request)
        return self._report_page(request, unit, raw=None, errors={})

    async def report(self, request: web.Request) -> web.Response:
        unit = await self._unit(request)
        if unit is None:
            return self._invalid_link(request)
        nonce = self.web.csrf_nonce(request, ids.SCOPE_REPORT)
        if nonce is None:
            return self.web.forbidden(request)
        flows, t = self.web.flows, self.web.t(request)
        form = self.web.form(request)
        spec = flows.incidents.report_form(t.locale)
        raw = parse.with_value(parse.raw_values(spec, form), "unit", unit.id)
        actor, reporter_error = parse.reporter(form, ids.REPORTER)
        if reporter_error:  # show every error at once: the form's own too, nothing stored
            errors = validate(spec, raw, t, self.web.clock.now()).errors
            return self._report_page(request, unit, raw, errors, reporter_error=t(reporter_error))
        receipt = flows.incidents.links.draw_receipt()
        outcome = await flows.incidents.submit_report(actor, raw, locale=t.locale, request_key=f"web:{nonce}",
                                                      receipt=receipt)
        if outcome.errors:
            return self._report_page(request, unit, raw, outcome.errors)
        return self._done(request, outcome.card, outcome.incident, receipt)

    def _report_page(self, request: web.Request, unit, raw, errors: dict, *, reporter_error: str = "",
                     status: int | None = None) -> web.Response:
        t = self.web.t(request)
        spec = self.web.flows.incidents.report_form(t.locale)
        form = form_view(spec, raw, errors, skip=("unit",),
                         defaults={"occurred_at": local_input(self.web.clock.now(), spec.timezone)})
        typed = (self.web.form(request).get(ids.REPORTER) or "") if raw is not None else ""
        reporter = field_view(Field(ids.REPORTER, FieldKind.TEXT, t("web.field.reporter"),
                                    hint=t("web.field.reporter.hint"), max_length=parse.REPORTER_MAX), None,
                              reporter_error, spec.timezone, typed)
        token = request.match_info["token"]
        return self.web.page(
            request, "report.html", status=status or (422 if errors or reporter_error else 200), form=form,
            errors=errors_list(form, (reporter,)), reporter_field=reporter, unit_name=unit.name,
            action_url=ids.REPORT.format(token=token), sos_url=self.web.url(ids.SOS.format(token=token), request),
            hidden_fields=self.web.base_fields(request, ids.SCOPE_REPORT))

    def _done(self, request: web.Request, card, incident: Incident, receipt: str) -> web.Response:
        t = self.web.t(request)
        call_110 = t("confirm.call_110") if incident.level is RiskLevel.L4 else ""
        return self.web.page(request, "report_done.html", confirmation=card_view(card, actions=False),
                             call_110=call_110, receipt=receipt, status_url=self.web.url(ids.STATUS, request))

    # -- SOS ----------------------------------------------------------------------------------------
    async def sos_page(self, request: web.Request) -> web.Response:
        unit = await self._unit(request)
        if unit is None:
            return self._invalid_link(request)
        return self.web.page(request, "sos.html", unit_name=unit.name,
                             action_url=ids.SOS.format(token=request.match_info["token"]),
                             hidden_fields=self.web.base_fields(request, ids.SCOPE_REPORT))

    async def sos(self, request: web.Request) -> web.Response:
        unit = await self._unit(request)
        if unit is None:
            return self._invalid_link(request)
        nonce = self.web.csrf_nonce(request, ids.SCOPE_REPORT)
        if nonce is None:
            return self.web.forbidden(request)
        t = self.web.t(request)
        actor, _ = parse.reporter(self.web.form(request), "-")
        place = " ".join((self.web.form(request).get(ids.PLACE) or "").split())[:200]
        receipt = self.web.flows.incidents.links.draw_receipt()
        card = await self.web.flows.incidents.raise_sos(actor, place, locale=t.locale, request_key=f"web-sos:{nonce}",
                                                        unit_id=unit.id, receipt=receipt)
        return self.web.page(request, "sos_done.html", card=card_view(card, actions=False), receipt=receipt,
                             status_url=self.web.url(ids.STATUS, request))

    # -- the receipt: status, messages, adding later -------------------------------------------------
    async def status_form(self, request: web.Request) -> web.Response:
        return self._status_entry(request)

    async def status(self, request: web.Request) -> web.Response:
        found = await self.reporter(request)
        if isinstance(found, web.Response):
            return found
        incident, actor = found
        return await self.status_page(request, incident, actor)

    async def details_form(self, request: web.Request) -> web.Response:
        found = await self.reporter(request)
        if isinstance(found, web.Response):
            return found
        incident, _ = found
        return self._details_page(request, incident, None, {})

    async def details_save(self, request: web.Request) -> web.Response:
        found = await self.reporter(request)
        if isinstance(found, web.Response):
            return found
        incident, actor = found
        nonce = self.web.csrf_nonce(request, ids.SCOPE_RECEIPT)
        t = self.web.t(request)
        context = f"edit:{incident.id}"
        spec = self.web.flows.incidents.report_form(t.locale, context=context)
        raw = parse.raw_values(spec, self.web.form(request))
        outcome = await self.web.flows.incidents.submit_report(actor, raw, locale=t.locale,
                                                               request_key=f"web:{nonce}", context=context)
        if outcome.errors:
            return self._details_page(request, incident, raw, outcome.errors)
        return await self.status_page(request, outcome.incident or incident, actor, notice=t("web.status.added"))

    def _details_page(self, request: web.Request, incident: Incident, raw, errors: dict) -> web.Response:
        t = self.web.t(request)
        spec = self.web.flows.incidents.report_form(t.locale, context=f"edit:{incident.id}")
        form = form_view(spec, raw, errors)
        return self.web.page(request, "form.html", status=422 if errors else 200, form=form,
                             errors=errors_list(form), action_url=ids.DETAILS_SAVE, note="",
                             hidden_fields=self.receipt_fields(request), back_url="", back_label="")

    async def status_page(self, request: web.Request, incident: Incident, actor: Actor, *, notice: str = "",
                          card=None) -> web.Response:
        t = self.web.t(request)
        messages = [card_view(c, allowed=ids.RECEIPT_ACTIONS)
                    for _, c, _ in await self.web.inbox.messages(ids.private_box(actor.user_id))]
        if card is not None:
            messages.insert(0, card_view(card, actions=False))
        return self.web.page(request, "status.html", notice=notice, facts=status_facts(incident, self.web, t),
                             messages=messages, action_url=ids.RECEIPT_ACT, details_url=ids.DETAILS,
                             hidden_fields=self.receipt_fields(request))

    # -- shared with aftercare (check-in answers on the status page) ----------------------------------
    async def reporter(self, request: web.Request) -> tuple[Incident, Actor] | web.Response:
        """The incident and reporter of the posted receipt code, or the page to answer with."""
        if self.web.csrf_nonce(request, ids.SCOPE_RECEIPT) is None:
            return self.web.forbidden(request)
        client = self.web.client(request)
        wait = self.web.guard.guesses_left(client)
        if wait:
            return self.web.limited(request, wait)
        code = parse.receipt_code(parse.code(self.web.form(request), ids.CODE))
        incident = await self.web.guard.slow_check(client, lambda: self.web.flows.incidents.links.by_receipt(code))
        if incident is None:
            return self._status_entry(request, problem=self.web.t(request)("web.status.unknown"))
        request[RECEIPT_KEY] = code
        return incident, Actor(incident.reporter.platform, incident.reporter.user_id, incident.reporter.name)

    def receipt_fields(self, request: web.Request) -> dict[str, str]:
        return {**self.web.base_fields(request, ids.SCOPE_RECEIPT), ids.CODE: request[RECEIPT_KEY]}

    def _status_entry(self, request: web.Request, *, problem: str = "") -> web.Response:
        typed = self.web.form(request).get(ids.CODE, "") if problem else ""
        return self.web.page(request, "status_enter.html", problem=problem, code=typed, action_url=ids.STATUS,
                             hidden_fields=self.web.base_fields(request, ids.SCOPE_RECEIPT))

    # -- helpers ------------------------------------------------------------------------------------
    async def _unit(self, request: web.Request):
        return await self.web.flows.incidents.links.unit_of(request.match_info["token"])

    def _invalid_link(self, request: web.Request) -> web.Response:
        return self.web.message(request, 404, "link.invalid", call_110=True)


def status_facts(incident: Incident, web_: Web, t: Translator) -> list[tuple[str, str]]:
    """What a reporter may see of their case: number, level and why, where it stands."""
    policy = web_.flows.policy
    if incident.status is IncidentStatus.CLOSED:
        state = t("web.status.state.closed")
    elif incident.acknowledged_at is not None:
        # Who took it on, and when: what a chat reporter is told privately (flows.incidents.messages).
        state = t("ack.reporter.line", who=incident.acknowledged_by or "-",
                  at=local_time(incident.acknowledged_at, policy.timezone))
    else:
        state = t("web.status.state.open")
    return [(t("web.status.case"), incident.case_no), (t("web.done.level"), level_text(incident.level, t)),
            (t("web.done.why"), reasons_text(incident, policy, t)), (t("web.status.state"), state)]
