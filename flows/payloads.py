"""What an outbox row carries besides its target, typed per delivery kind and serialised here only.

Every `DeliveryKind` has one payload class (flows.model); `payload_to_dict` and
`payload_from_dict` are the only place that knows the JSON, which is unchanged from the untyped
dict it replaces, so rows written before read back the same. A card is kept in clear, or sealed
(HR-only and consultation content) and opened only at send time by the dispatcher.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from flows.cards import Card, card_from_dict, card_to_dict
from flows.model import (
    AlertPayload,
    AlertUpdatePayload,
    CardBody,
    CardPayload,
    CardUpdatePayload,
    DeliveryKind,
    Payload,
    PrivatePayload,
    ReportPayload,
)

if TYPE_CHECKING:
    from flows.ports import Secrets

PAYLOAD_OF_KIND: dict[DeliveryKind, type] = {
    DeliveryKind.ALERT: AlertPayload,
    DeliveryKind.REMINDER: AlertPayload,
    DeliveryKind.ESCALATION: AlertPayload,
    DeliveryKind.ALERT_UPDATE: AlertUpdatePayload,
    DeliveryKind.PRIVATE: PrivatePayload,
    DeliveryKind.CARD: CardPayload,
    DeliveryKind.CARD_UPDATE: CardUpdatePayload,
    DeliveryKind.REPORT: ReportPayload,
}


def plain(card: Card) -> CardBody:
    """A card anyone it is sent to may read, kept in clear."""
    return CardBody(card=card)


def sealed(secrets: Secrets, card: Card) -> CardBody:
    """A card sealed at rest (HR-only, consultation): the outbox never holds it in clear."""
    return CardBody(sealed=secrets.seal(json.dumps(card_to_dict(card), ensure_ascii=False)))


def open_body(secrets: Secrets, body: CardBody) -> Card:
    """The card of a body, opened if sealed (only to send it)."""
    if body.sealed:
        return card_from_dict(json.loads(secrets.open(body.sealed)))
    if body.card is None:
        raise ValueError("an outbox card body holds neither a card nor a sealed card")
    return body.card


def check(kind: DeliveryKind, payload: Payload) -> None:
    """Refuse a payload of another kind's class (a bug: it could never be sent)."""
    if not isinstance(payload, PAYLOAD_OF_KIND[kind]):
        raise TypeError(f"a {kind.value} delivery carries {PAYLOAD_OF_KIND[kind].__name__}, "
                        f"not {type(payload).__name__}")


def payload_to_dict(payload: Payload) -> dict:
    """Serialise a payload for the outbox's JSON column."""
    data: dict = {}
    if isinstance(payload, ReportPayload):
        return {"month": payload.month, "unit": payload.unit}
    if isinstance(payload, (AlertUpdatePayload, CardUpdatePayload)):
        data["ref"] = payload.ref
    body = getattr(payload, "body", None)
    if body is not None:
        data.update({"sealed_card": body.sealed} if body.sealed else {"card": card_to_dict(body.card)})
    for name in ("follow_up_id", "consultation_id"):
        if getattr(payload, name, None) is not None:
            data[name] = getattr(payload, name)
    return data


def payload_from_dict(kind: DeliveryKind, data: dict) -> Payload:
    """Read a payload back (rows written before the payload was typed included)."""
    cls = PAYLOAD_OF_KIND[kind]
    if cls is AlertPayload:
        return AlertPayload()
    if cls is AlertUpdatePayload:
        return AlertUpdatePayload(ref=data["ref"])
    if cls is ReportPayload:
        return ReportPayload(month=data["month"], unit=data.get("unit"))
    body = CardBody(sealed=data["sealed_card"]) if data.get("sealed_card") else \
        CardBody(card=card_from_dict(data["card"]))
    if cls is CardUpdatePayload:
        return CardUpdatePayload(ref=data["ref"], body=body)
    if cls is PrivatePayload:
        return PrivatePayload(body=body, consultation_id=_int(data.get("consultation_id")))
    return CardPayload(body=body, follow_up_id=_int(data.get("follow_up_id")),
                       consultation_id=_int(data.get("consultation_id")))


def _int(value: object) -> int | None:
    return int(value) if value is not None else None
