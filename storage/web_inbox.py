"""The web adapter's inbox (flows.ports.WebInbox) on its own short transactions.

Cards are sealed (they may hold a consultation answer or HR-only follow-up content) and box
names are stored as keyed digests (a consulter's box is named after a secret).
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import select

from flows.cards import Card, card_from_dict, card_to_dict
from storage.tables_web import WebInboxRow


class SqlWebInbox:
    def __init__(self, database):
        self._database = database

    def _box(self, box: str) -> str:
        return self._database.sealer.digest(f"web-inbox:{box}")

    def _seal(self, card: Card) -> str:
        return self._database.sealer.seal(json.dumps(card_to_dict(card), ensure_ascii=False))

    async def post(self, box: str, card: Card, at: datetime) -> str:
        async with self._database.transaction() as tx:
            row = WebInboxRow(box_digest=self._box(box), card_enc=self._seal(card), created_at=at, updated_at=at)
            tx.session.add(row)
            await tx.session.flush()
            return str(row.id)

    async def update(self, ref: str, card: Card, at: datetime) -> bool:
        if not ref.isdigit():
            return False
        async with self._database.transaction() as tx:
            result = await tx.session.execute(update(WebInboxRow).where(WebInboxRow.id == int(ref))
                                              .values(card_enc=self._seal(card), updated_at=at))
            return result.rowcount == 1

    async def messages(self, box: str, limit: int = 50) -> list[tuple[str, Card, datetime]]:
        async with self._database.transaction() as tx:
            rows = (await tx.session.exec(select(WebInboxRow).where(WebInboxRow.box_digest == self._box(box))
                                          .order_by(WebInboxRow.id.desc()).limit(limit))).all()
            sealer = tx.secrets
            return [(str(r.id), card_from_dict(json.loads(sealer.open(r.card_enc))), r.created_at) for r in rows]

    async def purge(self, before: datetime) -> int:
        async with self._database.transaction() as tx:
            result = await tx.session.execute(delete(WebInboxRow).where(WebInboxRow.updated_at < before))
            return result.rowcount or 0
