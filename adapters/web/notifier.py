"""Deliver neutral cards to web inboxes (implements flows.ports.Notifier).

A channel address is a try-out role inbox (`<unit>/<role>`); a private message goes to the
page of a person without an account (a web reporter's status page, a consulter's case page).
"""
from __future__ import annotations

from flows.cards import Card
from flows.model import Platform
from flows.ports import Clock, DeliveryError, WebInbox

from adapters.web.ids import private_box


class WebNotifier:
    platform = Platform.WEB

    def __init__(self, inbox: WebInbox, clock: Clock):
        self._inbox = inbox
        self._clock = clock

    async def post(self, address: str, card: Card, *, key: str = "") -> str:
        if not address:
            raise DeliveryError("empty web inbox address", permanent=True)
        return await self._inbox.post(address, card, self._clock.now())

    async def update(self, address: str, ref: str, card: Card) -> None:
        if not await self._inbox.update(ref, card, self._clock.now()):
            raise DeliveryError(f"no web inbox message {ref!r}", permanent=True)

    async def send_private(self, user_id: str, card: Card, *, key: str = "") -> str:
        return await self._inbox.post(private_box(user_id), card, self._clock.now())

    async def find_sent(self, address: str, key: str, *, since=None) -> str | None:
        """The inbox keeps no delivery key: a post in doubt (a crash between the inbox's commit
        and the outbox's record) is posted again; a reader may then see it twice."""
        return None
