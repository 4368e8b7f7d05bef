"""Outbox payloads are typed per delivery kind and serialised in one place, in the JSON rows already hold."""
from __future__ import annotations

import pytest

from flows.cards import ActionId, Card, CardAction, Tone
from flows.model import (
    AlertPayload,
    AlertUpdatePayload,
    CardPayload,
    CardUpdatePayload,
    DeliveryKind,
    PrivatePayload,
    ReportPayload,
)
from flows.payloads import check, open_body, payload_from_dict, payload_to_dict, plain, sealed
import os

from storage.crypto import DerivedKeys, Sealer
from storage.keys import generate

CARD = Card(title="72時間ヒアリング", lines=("記録してください",), fields=(("案件", "K-1"),),
            actions=(CardAction(ActionId.RECORD_FOLLOW_UP, "記録", "7", primary=True),), tone=Tone.WARNING)
SECRETS = Sealer(DerivedKeys.of(generate(), os.urandom(16)), os.urandom(32))  # as storage.keys derives them


@pytest.mark.parametrize(("kind", "payload"), [
    (DeliveryKind.ALERT, AlertPayload()),
    (DeliveryKind.ESCALATION, AlertPayload()),
    (DeliveryKind.ALERT_UPDATE, AlertUpdatePayload("C1|1.2")),
    (DeliveryKind.PRIVATE, PrivatePayload(plain(CARD))),
    (DeliveryKind.PRIVATE, PrivatePayload(sealed(SECRETS, CARD), consultation_id=4)),
    (DeliveryKind.CARD, CardPayload(plain(CARD), follow_up_id=7)),
    (DeliveryKind.CARD, CardPayload(sealed(SECRETS, CARD), consultation_id=4)),
    (DeliveryKind.CARD_UPDATE, CardUpdatePayload("C1|1.2", plain(CARD))),
    (DeliveryKind.REPORT, ReportPayload("2026-11", "honsha")),
    (DeliveryKind.REPORT, ReportPayload("2026-11")),
])
def test_every_kind_round_trips_through_its_json(kind, payload):
    check(kind, payload)
    assert payload_from_dict(kind, payload_to_dict(payload)) == payload


def test_the_json_is_the_shape_rows_were_written_in_before_the_payload_was_typed():
    assert payload_to_dict(CardPayload(plain(CARD), follow_up_id=7)) == {
        "card": payload_to_dict(PrivatePayload(plain(CARD)))["card"], "follow_up_id": 7}
    old_sealed = {"sealed_card": sealed(SECRETS, CARD).sealed, "consultation_id": 4}
    assert open_body(SECRETS, payload_from_dict(DeliveryKind.CARD, old_sealed).body) == CARD
    assert payload_from_dict(DeliveryKind.REMINDER, {"kind": "reminder"}) == AlertPayload()


def test_a_sealed_card_is_not_readable_in_the_row_and_opens_with_the_key():
    row = payload_to_dict(CardPayload(sealed(SECRETS, CARD)))
    assert "記録" not in str(row) and "card" not in row
    assert open_body(SECRETS, payload_from_dict(DeliveryKind.CARD, row).body) == CARD


def test_a_payload_of_another_kind_is_refused():
    with pytest.raises(TypeError, match="card delivery carries CardPayload"):
        check(DeliveryKind.CARD, AlertPayload())
