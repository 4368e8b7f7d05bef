"""Deliver neutral cards to Teams proactively (flows.ports.Notifier).

Every post continues a stored conversation reference (see references.py). Connector errors
become DeliveryError: 403/404/400 are permanent (bot removed, conversation gone, card
refused), 429/5xx/network are retried by the outbox, honouring Retry-After.
"""
from __future__ import annotations

import base64
from copy import copy

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationAccount, ConversationParameters, ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.common import SystemClock, retry_after
from adapters.teams import references
from adapters.teams.credentials import TokenError
from adapters.teams.privacy import redact
from adapters.teams.references import MessageRef
from adapters.teams.render.activities import card_message
from flows.cards import Card
from flows.model import Platform
from flows.ports import Clock, ConversationDirectory, DeliveryError
from flows.reports.ports import ChartImage

PERMANENT_STATUSES = frozenset({400, 403, 404, 410})
IMAGE_MAX_BYTES = 20_000
# What the connector or the token request raise; anything else is a bug and propagates.
CONNECTOR_ERRORS = (HttpOperationError, ClientRequestError, TokenError, OSError)


class TeamsNotifier:
    """Post, update and send privately through the Bot Connector with stored references."""

    platform = Platform.TEAMS

    def __init__(self, adapter: CloudAdapter, directory: ConversationDirectory, *, app_id: str,
                 clock: Clock | None = None):
        self._adapter = adapter
        self._directory = directory
        self._app_id = app_id
        self._clock = clock or SystemClock()

    async def post(self, address: str, card: Card, *, key: str = "") -> str:
        reference = await self._reference(address)
        return (await self._send(reference, card)).dumps()

    async def update(self, address: str, ref: str, card: Card) -> None:
        posted = MessageRef.loads(ref)
        reference = copy(await self._reference(address))
        reference.conversation = copy(reference.conversation)
        reference.conversation.id = posted.conversation_id  # e.g. a personal chat created after capture
        replacement = card_message(card)
        replacement.id = posted.activity_id

        async def replace(context: TurnContext) -> None:
            await context.update_activity(replacement)

        await self._continue(reference, replace)

    async def find_sent(self, address: str, key: str, *, since: datetime | None = None) -> str | None:
        """The Bot Connector cannot list a conversation's messages: an in-doubt post is sent again.

        The window for a duplicate is the time between the connector's answer and the outbox
        recording it (a crash there), or a post the connector accepted after our timeout.
        """
        return None

    async def send_private(self, user_id: str, card: Card, *, key: str = "") -> str:
        """Send into the person's personal chat (created from a seed if needed).

        Also how an anonymous consultation's answer travels: the dispatcher opens the sealed
        address and passes the user id here, so no error text may name the person or the chat.
        """
        stored = await self._directory.get(Platform.TEAMS, user_id)
        if stored is None:
            raise DeliveryError("no Teams conversation reference for this person: they must open the app once "
                                "(personal chat) or write in a team where the app is installed", permanent=True)
        reference = references.load(stored)
        if not references.is_personal(reference):
            reference = await self._open_personal_chat(user_id, reference)
        return (await self._send(reference, card)).dumps()

    # Teams refuses bot messages over about 28 KB (LIMITS.md): the image travels inside the card
    # as a data URI, so it must leave room for the card's text.
    max_image_bytes = IMAGE_MAX_BYTES

    async def post_image(self, address: str, card: Card, image: ChartImage) -> str:
        """Post a card with the image in it (a data URI: no public URL to host, nothing to fetch)."""
        if len(image.png) > IMAGE_MAX_BYTES:
            raise DeliveryError(f"image of {len(image.png)} bytes is over the {IMAGE_MAX_BYTES}-byte card budget",
                                permanent=True)
        reference = await self._reference(address)
        url = "data:image/png;base64," + base64.b64encode(image.png).decode("ascii")
        activity = card_message(card, notify=references.is_personal(reference), image_url=url, image_alt=image.alt)
        return (await self._send_activity(reference, activity)).dumps()

    async def _reference(self, key: str) -> ConversationReference:
        stored = await self._directory.get(Platform.TEAMS, key)
        if stored is None:
            raise DeliveryError(f"no Teams conversation reference for {key!r}: add the app to that team or chat "
                                "so Teams introduces the conversation", permanent=True)
        return references.load(stored)

    async def _send(self, reference: ConversationReference, card: Card) -> MessageRef:
        return await self._send_activity(reference, card_message(card, notify=references.is_personal(reference)))

    async def _send_activity(self, reference: ConversationReference, activity) -> MessageRef:
        sent: dict[str, str] = {}

        async def send(context: TurnContext) -> None:
            # botbuilder gives the continuation a made-up id; replying to it would thread
            # the alert under a message that doesn't exist instead of posting a new one.
            context.activity.id = None
            response = await context.send_activity(activity)
            sent["id"] = response.id if response and response.id else ""

        await self._continue(reference, send)
        return MessageRef(reference.conversation.id, sent.get("id", ""))

    async def _open_personal_chat(self, user_id: str, seed: ConversationReference) -> ConversationReference:
        """Create the 1:1 chat with someone seen only in a channel; remember its reference."""
        tenant = seed.conversation.tenant_id or ""
        parameters = ConversationParameters(is_group=False, bot=seed.bot, members=[seed.user], tenant_id=tenant,
                                            channel_data={"tenant": {"id": tenant}})
        created: dict[str, str] = {}

        async def remember(context: TurnContext) -> None:
            created["id"] = context.activity.conversation.id

        try:
            await self._adapter.create_conversation(self._app_id, remember, parameters, channel_id=seed.channel_id,
                                                    service_url=seed.service_url)
        except CONNECTOR_ERRORS as error:
            raise delivery_error(error) from error
        personal = ConversationReference(
            bot=seed.bot, user=seed.user, channel_id=seed.channel_id, service_url=seed.service_url, locale=seed.locale,
            conversation=ConversationAccount(id=created["id"], conversation_type="personal", tenant_id=tenant))
        await self._directory.save(Platform.TEAMS, user_id, personal.serialize(), references.day_of(self._clock.now()))
        return personal

    async def _continue(self, reference: ConversationReference, logic) -> None:
        try:
            await self._adapter.continue_conversation(reference, logic, bot_app_id=self._app_id)
        except CONNECTOR_ERRORS as error:
            raise delivery_error(error) from error


def delivery_error(error: Exception) -> DeliveryError:
    """Classify a connector failure as permanent or retryable (with Retry-After when sent)."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) if isinstance(error, HttpOperationError) else None
    if status is None:  # network, TLS or token failure: may clear up, the outbox retries then gives up
        return DeliveryError(f"Teams connector unreachable: {redact(str(error))}", permanent=False, in_doubt=True)
    message = f"Teams connector answered HTTP {status}"
    if status in PERMANENT_STATUSES:
        return DeliveryError(message, permanent=True)
    headers = getattr(response, "headers", None) or {}
    return DeliveryError(message, permanent=False, retry_after=retry_after(headers.get("Retry-After")))
