"""The try-out console: report links, one inbox per role with working buttons, a clock to move.

Mounted only in the local try-out (`kasuhara serve` without Slack or Teams credentials, on
127.0.0.1). Cards arrive here through WebNotifier exactly as they would in a channel; a
button calls the same flow a Slack or Teams button calls.
"""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from adapters.web import ids
from adapters.web.aftercare import AftercarePages
from adapters.web.render import InboxItem, card_view
from adapters.web.respond import Web
from flows.cards import ActionId, Card, Tone
from flows.forms import FormSpec
from flows.i18n import local_time
from flows.model import Actor, Platform, Role

SKIPS = ((15 * 60, "minutes", 15), (3600, "hours", 1), (24 * 3600, "days", 1), (72 * 3600, "days", 3),
         (14 * 24 * 3600, "days", 14))


@dataclass
class InboxPlace:
    """Where a form opened from an inbox card posts, and what it carries."""

    web: Web
    unit: str
    role: str

    @property
    def action_url(self) -> str:
        return ids.INBOX_ACT.format(unit=self.unit, role=self.role)

    @property
    def address(self) -> str:
        """The inbox's delivery address: where its cards were posted (flows.access `where`)."""
        return ids.inbox_address(self.unit, self.role)

    @property
    def back_url(self) -> str:
        return ids.INBOX.format(unit=self.unit, role=self.role)

    def hidden(self, request: web.Request) -> dict[str, str]:
        return self.web.base_fields(request, ids.SCOPE_CONSOLE)


class ConsolePages:
    def __init__(self, web_: Web, aftercare: AftercarePages):
        self.web = web_
        self.aftercare = aftercare

    def routes(self) -> list[tuple[str, str, object, str]]:
        return [("GET", ids.CONSOLE, self.console, "console"), ("GET", ids.INBOX, self.inbox, "inbox"),
                ("POST", ids.INBOX_ACT, self.act, "inbox_act"), ("POST", ids.INBOX_REPLY, self.reply, "inbox_reply"),
                ("POST", ids.CLOCK, self.clock, "clock")]

    async def console(self, request: web.Request) -> web.Response:
        t, tryout = self.web.t(request), self.web.tryout
        units = [{"name": name, "report_url": self.web.url(ids.REPORT.format(token=token), request),
                  "sos_url": self.web.url(ids.SOS.format(token=token), request)} for _, name, token in tryout.units]
        boxes = []
        for unit_id, unit_name, role in tryout.inboxes:
            count = len(await self.web.inbox.messages(ids.inbox_address(unit_id, role), limit=200))
            boxes.append({"label": f"{t(f'role.{role}')}（{unit_name}）" if t.locale == "ja"
                          else f"{t(f'role.{role}')} ({unit_name})",
                          "url": self.web.url(ids.INBOX.format(unit=unit_id, role=role), request), "count": count})
        skips = [(t(f"web.tryout.clock.{unit}", **{unit: amount}), seconds) for seconds, unit, amount in SKIPS]
        return self.web.page(request, "tryout.html", units=units, inboxes=boxes, consult_url=self.web.url(ids.CONSULT,
                             request), now=local_time(self.web.clock.now(), self.web.flows.policy.timezone),
                             skips=skips, clock_url=ids.CLOCK, hidden_fields=self.web.base_fields(request,
                                                                                                    ids.SCOPE_CONSOLE))

    async def inbox(self, request: web.Request, *, notice: Card | None = None) -> web.Response:
        place = self._place(request)
        if place is None:
            return self.web.message(request, 404, "not_found")
        t = self.web.t(request)
        tz = self.web.flows.policy.timezone
        items = [InboxItem(ref, card_view(card, allowed=ids.INBOX_ACTIONS), local_time(at, tz),
                           reply=any(a.id is ActionId.CONSULT_REPLY for a in card.actions))
                 for ref, card, at in await self.web.inbox.messages(ids.inbox_address(place.unit, place.role))]
        unit_name, role_name = self.web.flows.policy.unit(place.unit).name, t(f"role.{place.role}")
        return self.web.page(request, "inbox.html", heading=t("web.inbox.title", role=role_name, unit=unit_name),
                             acting_as=t("web.tryout.acting_as", role=role_name, unit=unit_name),
                             notice=card_view(notice, actions=False) if notice else None, messages=items,
                             action_url=place.action_url, reply_url=ids.INBOX_REPLY.format(unit=place.unit,
                                                                                          role=place.role),
                             console_url=self.web.url(ids.CONSOLE, request), hidden_fields=place.hidden(request))

    async def act(self, request: web.Request) -> web.Response:
        """A card button in an inbox: the same flow a Slack or Teams button calls."""
        place = self._place(request)
        if place is None:
            return self.web.message(request, 404, "not_found")
        nonce = self.web.csrf_nonce(request, ids.SCOPE_CONSOLE)
        if nonce is None:
            return self.web.forbidden(request)
        form = self.web.form(request)
        action, value = form.get(ids.ACTION, ""), form.get(ids.VALUE, "")
        actor = self._actor(request, place)
        flows, locale = self.web.flows, self.web.lang(request)
        if action == ActionId.ACKNOWLEDGE.value and value.isdigit():
            outcome = await flows.incidents.acknowledge(int(value), actor, where=place.address, locale=locale)
            result = outcome.card if outcome is not None else _notice(self.web.t(request)("web.inbox.unknown"))
        elif action == ActionId.RECORD_FOLLOW_UP.value:
            result = await self.aftercare.record_form(request, actor, value, place)
        elif action == "record_save":
            result = await self.aftercare.record(request, actor, nonce, place)
        elif action == ActionId.SNOOZE_FOLLOW_UP.value:
            result = await self.aftercare.snooze(request, actor, value)
        elif action == ActionId.CONSULT_REPLY.value:
            result = self._reply_page(request, flows.consultation.reply_form(value, locale=locale), place)
        elif action == "reply_save":
            code = form.get(ids.FORM_CONTEXT, "")
            result = await flows.consultation.hr_reply(Platform.WEB, actor, code, form.get(ids.TEXT, ""),
                                                       where=place.address, locale=locale, request_key=f"web:{nonce}")
        else:
            return self.web.message(request, 400, "error")
        if isinstance(result, web.Response):
            return result
        return await self.inbox(request, notice=result)

    async def reply(self, request: web.Request) -> web.Response:
        """An answer in the thread of a card the bot posted to the desk (like a Slack thread reply)."""
        place = self._place(request)
        if place is None:
            return self.web.message(request, 404, "not_found")
        nonce = self.web.csrf_nonce(request, ids.SCOPE_CONSOLE)
        if nonce is None:
            return self.web.forbidden(request)
        form = self.web.form(request)
        card = await self.web.flows.consultation.hr_reply(
            Platform.WEB, self._actor(request, place), form.get(ids.REF, ""), form.get(ids.TEXT, ""),
            where=place.address, locale=self.web.lang(request), request_key=f"web:{nonce}")
        return await self.inbox(request, notice=card or _notice(self.web.t(request)("web.inbox.not_thread")))

    async def clock(self, request: web.Request) -> web.StreamResponse:
        if self.web.csrf_nonce(request, ids.SCOPE_CONSOLE) is None:
            return self.web.forbidden(request)
        seconds = self.web.form(request).get(ids.SECONDS, "")
        if not seconds.isdigit() or int(seconds) not in {s for s, _, _ in SKIPS}:
            return self.web.message(request, 400, "error")
        self.web.tryout.advance(float(seconds))
        self.web.tryout.wake()
        raise web.HTTPSeeOther(self.web.url(ids.CONSOLE, request))

    # -- helpers ----------------------------------------------------------------------------------
    def _place(self, request: web.Request) -> InboxPlace | None:
        unit, role = request.match_info["unit"], request.match_info["role"]
        if (unit, role) not in {(u, r) for u, _, r in self.web.tryout.inboxes}:
            return None
        return InboxPlace(self.web, unit, role)

    def _actor(self, request: web.Request, place: InboxPlace) -> Actor:
        """Whoever uses this inbox acts as that role of that unit (the try-out has no accounts)."""
        t = self.web.t(request)
        return Actor(Platform.WEB, ids.inbox_address(place.unit, place.role),
                     f"{t(f'role.{Role(place.role).value}')}（{self.web.flows.policy.unit(place.unit).name}）")

    def _reply_page(self, request: web.Request, spec: FormSpec, place: InboxPlace) -> web.Response:
        from adapters.web.render import form_view

        hidden = {**place.hidden(request), ids.ACTION: "reply_save", ids.FORM_CONTEXT: spec.context}
        return self.web.page(request, "form.html", form=form_view(spec), errors=[], action_url=place.action_url,
                             hidden_fields=hidden, note="", back_url=self.web.url(place.back_url, request),
                             back_label=self.web.t(request)("web.inbox.back"))


def _notice(text: str) -> Card:
    return Card(title=text, tone=Tone.WARNING)
