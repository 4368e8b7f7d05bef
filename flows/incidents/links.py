"""Report links per unit and receipt codes: reporting for people without a chat account.

A link names a unit, never a person: whoever holds it can report for that unit, so it is an
unguessable token of which storage keeps only a keyed digest, and it can be revoked. A receipt
code lets a reporter without an account come back to see the status and add details.
"""
from __future__ import annotations

import secrets

from flows.consultation.anonymity import CODE_ALPHABET
from flows.deps import Dependencies
from flows.model import Incident, ReportLink
from flows.policy import Unit

TOKEN_BYTES = 18  # 144 bits, 24 URL-safe characters
RECEIPT_GROUPS = 4  # R-XXXX-XXXX-XXXX-XXXX: 16 characters of 32, 80 bits


def draw_receipt() -> str:
    return "R-" + "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(RECEIPT_GROUPS))


def link_token(url_or_token: str) -> str:
    """The token of a report link given as printed (a URL) or bare."""
    text = url_or_token.strip().split("?")[0].split("#")[0].rstrip("/")
    return text.rsplit("/", 1)[-1]


class ReportLinkFlows:
    """Create, resolve and revoke unit report links; find a report by its receipt code."""

    draw_receipt = staticmethod(draw_receipt)

    def __init__(self, deps: Dependencies):
        self._deps = deps

    async def create(self, unit_id: str) -> tuple[str, ReportLink]:
        """A new link for a unit; the token is returned once and never stored."""
        if not self._deps.policy.has_unit(unit_id):
            raise KeyError(unit_id)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        async with self._deps.store.transaction() as tx:
            link = await tx.links.add(token, unit_id, self._deps.clock.now())
        return token, link

    async def revoke(self, url_or_token: str) -> ReportLink | None:
        async with self._deps.store.transaction() as tx:
            return await tx.links.revoke(link_token(url_or_token), self._deps.clock.now())

    async def list(self) -> list[ReportLink]:
        async with self._deps.store.transaction() as tx:
            return await tx.links.list_all()

    async def unit_of(self, token: str) -> Unit | None:
        """The unit of a live link; None when unknown, revoked, or its unit left the policy."""
        if not token or len(token) > 64:
            return None
        async with self._deps.store.transaction() as tx:
            unit_id = await tx.links.unit_of(token)
        policy = self._deps.policy
        return policy.unit(unit_id) if unit_id and policy.has_unit(unit_id) else None

    async def by_receipt(self, code: str) -> Incident | None:
        if not code or len(code) > 40:
            return None
        async with self._deps.store.transaction() as tx:
            incident_id = await tx.receipts.incident_of(code)
            return await tx.incidents.get(incident_id) if incident_id is not None else None
