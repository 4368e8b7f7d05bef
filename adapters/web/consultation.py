"""Anonymous consultation on the web, the same flows as the DM consultation.

No account and no cookie: the case code and a passphrase shown once are the only keys. The
consulter's actor is derived from the passphrase (parse.consulter); their page shows the
desk's answers, which arrive through the outbox like a DM (WebNotifier.send_private).
"""
from __future__ import annotations

from aiohttp import web

from adapters.web import ids, parse
from adapters.web.render import card_view, errors_list, form_view
from adapters.web.respond import Web
from flows.cards import ActionId, Card
from flows.forms import FormSpec
from flows.model import Actor, Consultation, ConsultationStatus


class ConsultationPages:
    def __init__(self, web_: Web):
        self.web = web_

    def routes(self) -> list[tuple[str, str, object, str]]:
        return [("GET", ids.CONSULT, self.offer, "consult_offer"), ("POST", ids.CONSULT_START, self.start, "consult_start"),
                ("GET", ids.CONSULT_OPEN, self.open_form, "consult_open_form"),
                ("POST", ids.CONSULT_OPEN, self.open, "consult_open"), ("POST", ids.CONSULT_SEND, self.send, "consult_send"),
                ("POST", ids.CONSULT_ACT, self.act, "consult_act")]

    # -- the employee ----------------------------------------------------------------------------
    async def offer(self, request: web.Request) -> web.Response:
        card = self.web.flows.consultation.offer_card(locale=self.web.lang(request))
        desks = [(a.value, a.label) for a in card.actions if a.id is ActionId.CONSULT_START]
        return self.web.page(request, "consult.html", offer=card_view(card, actions=False), desks=desks,
                             action_url=ids.CONSULT_START, open_url=self.web.url(ids.CONSULT_OPEN, request),
                             hidden_fields=self.web.base_fields(request, ids.SCOPE_CONSULT))

    async def start(self, request: web.Request) -> web.Response:
        if self.web.csrf_nonce(request, ids.SCOPE_CONSULT) is None:
            return self.web.forbidden(request)
        passphrase = parse.new_passphrase()
        actor = await parse.consulter(passphrase)
        t = self.web.t(request)
        await self.web.flows.consultation.start(actor, self.web.form(request).get(ids.DESK, ""), locale=t.locale)
        case = await self.web.flows.consultation.case_of(actor)
        return await self._case_page(request, actor, case, passphrase, keys=passphrase)

    async def open_form(self, request: web.Request) -> web.Response:
        return self._open_page(request)

    async def open(self, request: web.Request) -> web.Response:
        found = await self._owner(request)
        if isinstance(found, web.Response):
            return found
        actor, case, passphrase = found
        return await self._case_page(request, actor, case, passphrase)

    async def send(self, request: web.Request) -> web.Response:
        found = await self._owner(request)
        if isinstance(found, web.Response):
            return found
        actor, case, passphrase = found
        t = self.web.t(request)
        text = (self.web.form(request).get(ids.TEXT) or "").strip()
        if case.status is not ConsultationStatus.OPEN:
            return await self._case_page(request, actor, case, passphrase)
        if not text:
            return await self._case_page(request, actor, case, passphrase, problem=t("web.consult.empty"), status=422)
        nonce = self.web.csrf_nonce(request, ids.SCOPE_CONSULT)
        cards = await self.web.flows.consultation.handle_dm(actor, text, has_attachment=False, locale=t.locale,
                                                            request_key=f"web:{nonce}")
        await self.web.inbox.post(ids.private_box(actor.user_id), Card(t("web.consult.you"), lines=(text[:3000],)),
                                  self.web.clock.now())
        return await self._case_page(request, actor, case, passphrase, notice=cards[0] if cards else None)

    async def act(self, request: web.Request) -> web.Response:
        """Close the case, or give a name (the reveal form, then its submission)."""
        found = await self._owner(request)
        if isinstance(found, web.Response):
            return found
        actor, case, passphrase = found
        form, t = self.web.form(request), self.web.t(request)
        action = form.get(ids.ACTION, "")
        consultation = self.web.flows.consultation
        if action == ActionId.CONSULT_CLOSE.value:
            card = await consultation.close(actor, case.code, locale=t.locale)
        elif action == ActionId.CONSULT_REVEAL.value:
            found = await consultation.reveal_form(actor, case.code, locale=t.locale)
            if isinstance(found, FormSpec):
                return self._reveal_page(request, found, None, {}, passphrase, case)
            card = found
        elif action == "reveal_save":
            spec = await consultation.reveal_form(actor, case.code, locale=t.locale)
            if not isinstance(spec, FormSpec):
                card = spec
            else:
                raw = parse.raw_values(spec, form)
                outcome = await consultation.reveal(actor, case.code, raw, locale=t.locale)
                if outcome.errors:
                    return self._reveal_page(request, spec, raw, outcome.errors, passphrase, case)
                card = outcome.card
        else:
            return self.web.message(request, 400, "error")
        case = await consultation.case_of(actor, case.code) or case
        return await self._case_page(request, actor, case, passphrase, notice=card)

    # -- helpers ----------------------------------------------------------------------------------
    async def _owner(self, request: web.Request) -> tuple[Actor, Consultation, str] | web.Response:
        """The consulter and their case for the posted code and passphrase, or the page to answer with."""
        if self.web.csrf_nonce(request, ids.SCOPE_CONSULT) is None:
            return self.web.forbidden(request)
        client = self.web.client(request)
        wait = self.web.guard.guesses_left(client)
        if wait:
            return self.web.limited(request, wait)
        form = self.web.form(request)
        code = parse.case_code(parse.code(form, ids.CODE))
        passphrase = parse.passphrase(form.get(ids.PASSPHRASE) or "")

        async def check():
            actor = await parse.consulter(passphrase)  # always derived: unknown codes take as long
            case = await self.web.flows.consultation.case_of(actor, code)
            return (actor, case) if case is not None else None

        found = await self.web.guard.slow_check(client, check)
        if found is None:
            return self._open_page(request, problem=self.web.t(request)("web.consult.unknown"))
        return found[0], found[1], passphrase

    def _open_page(self, request: web.Request, *, problem: str = "") -> web.Response:
        typed = self.web.form(request).get(ids.CODE, "") if problem else ""
        return self.web.page(request, "consult_open.html", problem=problem, code=typed, action_url=ids.CONSULT_OPEN,
                             hidden_fields=self.web.base_fields(request, ids.SCOPE_CONSULT))

    def _hidden(self, request: web.Request, case: Consultation, passphrase: str) -> dict[str, str]:
        return {**self.web.base_fields(request, ids.SCOPE_CONSULT), ids.CODE: case.code, ids.PASSPHRASE: passphrase}

    async def _case_page(self, request: web.Request, actor: Actor, case: Consultation, passphrase: str, *,
                         keys: str = "", notice: Card | None = None, problem: str = "",
                         status: int = 200) -> web.Response:
        t = self.web.t(request)
        thread = [_without_new(card) for _, card, _ in
                  reversed(await self.web.inbox.messages(ids.private_box(actor.user_id)))]
        hours = round(self.web.flows.policy.consultation.first_reply_within.total_seconds() / 3600)
        text = (self.web.form(request).get(ids.TEXT) or "") if problem else ""
        return self.web.page(
            request, "consult_case.html", status=status, code=case.code, keys=keys,
            notice=_without_new(notice) if notice else None, open=case.status is ConsultationStatus.OPEN,
            thread=thread, waiting=t("web.consult.no_answer", hours=hours), problem=problem, text=text,
            send_url=ids.CONSULT_SEND, action_url=ids.CONSULT_ACT, hidden_fields=self._hidden(request, case, passphrase))

    def _reveal_page(self, request: web.Request, spec: FormSpec, raw, errors: dict, passphrase: str,
                     case: Consultation) -> web.Response:
        form = form_view(spec, raw, errors)
        hidden = {**self._hidden(request, case, passphrase), ids.ACTION: "reveal_save"}
        return self.web.page(request, "form.html", status=422 if errors else 200, form=form, errors=errors_list(form),
                             action_url=ids.CONSULT_ACT, hidden_fields=hidden, note="", back_url="", back_label="")


def _without_new(card: Card):
    """Only close and reveal: a web case is one passphrase, one case ("start another" is on the start page)."""
    return card_view(card, allowed=ids.CONSULT_ACTIONS)
