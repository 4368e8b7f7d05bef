"""After-care on the web: a reporter's check-in answer, and Record / Snooze of a follow-up.

The check-in arrives on the reporter's status page (their private inbox); follow-up reminders
arrive in the try-out's role inboxes, where Record opens the same neutral form as a Slack
modal or a Teams dialog.
"""
from __future__ import annotations

from aiohttp import web

from adapters.web import ids, parse
from adapters.web.incidents import IncidentPages
from adapters.web.render import errors_list, form_view
from adapters.web.respond import Web
from flows.cards import ActionId, Card
from flows.forms import FormSpec
from flows.model import Actor


class AftercarePages:
    def __init__(self, web_: Web, incidents: IncidentPages):
        self.web = web_
        self.incidents = incidents

    def routes(self) -> list[tuple[str, str, object, str]]:
        return [("POST", ids.RECEIPT_ACT, self.receipt_action, "receipt_action")]

    async def receipt_action(self, request: web.Request) -> web.Response:
        """A button on a message to the reporter (the 72-hour check-in)."""
        found = await self.incidents.reporter(request)
        if isinstance(found, web.Response):
            return found
        incident, actor = found
        form = self.web.form(request)
        t = self.web.t(request)
        if form.get(ids.ACTION) != ActionId.CHECKIN_ANSWER.value:
            return self.web.message(request, 400, "error")
        card = await self.web.flows.aftercare.checkin_answer(form.get(ids.VALUE, ""), actor, locale=t.locale)
        return await self.incidents.status_page(request, incident, actor, card=card)

    # -- in a role inbox (called by the console) ----------------------------------------------------
    async def record_form(self, request: web.Request, actor: Actor, value: str, done) -> web.Response | Card:
        """Record: the follow-up's form, or a card saying why not (unknown, already recorded)."""
        if not value.isdigit():
            return self.web.message(request, 400, "error")
        found = await self.web.flows.aftercare.record_form(int(value), actor, locale=self.web.lang(request))
        if not isinstance(found, FormSpec):
            return found
        return self._form_page(request, found, None, {}, done)

    async def record(self, request: web.Request, actor: Actor, nonce: str, done) -> web.Response | Card:
        t = self.web.t(request)
        context = self.web.form(request).get(ids.FORM_CONTEXT, "")
        if not context.isdigit():
            return self.web.message(request, 400, "error")
        found = await self.web.flows.aftercare.record_form(int(context), actor, locale=t.locale)
        if not isinstance(found, FormSpec):
            return found
        raw = parse.raw_values(found, self.web.form(request))
        outcome = await self.web.flows.aftercare.record(int(context), actor, raw, locale=t.locale,
                                                        request_key=f"web:{nonce}")
        if outcome.errors:
            return self._form_page(request, found, raw, outcome.errors, done)
        return outcome.card

    async def snooze(self, request: web.Request, actor: Actor, value: str) -> Card | web.Response:
        if not value.isdigit():
            return self.web.message(request, 400, "error")
        return await self.web.flows.aftercare.snooze(int(value), actor, locale=self.web.lang(request))

    def _form_page(self, request: web.Request, spec: FormSpec, raw, errors: dict, done) -> web.Response:
        form = form_view(spec, raw, errors)
        hidden = {**done.hidden(request), ids.ACTION: "record_save", ids.FORM_CONTEXT: spec.context}
        return self.web.page(request, "form.html", status=422 if errors else 200, form=form, errors=errors_list(form),
                             action_url=done.action_url, hidden_fields=hidden, note="", back_url=done.back_url,
                             back_label=self.web.t(request)("fu.form.close"))
