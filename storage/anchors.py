"""Anchors of the audit chain, kept outside the database.

An anchor is one JSON line: when, how many entries, the id and link of the last one, the key
id, and an HMAC over all of that with the audit key. The bot appends one at every start,
clean stop and hour (bot/app.py). Someone who can edit the database but not this file
cannot cut the chain's tail below an anchor without `kasuhara audit verify` noticing.

Where: KASUHARA_AUDIT_ANCHORS, else beside the SQLite file (`kasuhara.db.audit-anchors`),
else (PostgreSQL) `kasuhara-audit-anchors.jsonl` in the working directory. Keep it with the
backups, on storage the database's users cannot write.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from storage.audit import ChainReport

log = logging.getLogger(__name__)

ANCHORS_ENV = "KASUHARA_AUDIT_ANCHORS"


def anchors_path(database_url: str, env: Mapping[str, str] | None = None) -> Path:
    """The anchor file for this database (KASUHARA_AUDIT_ANCHORS wins)."""
    env = os.environ if env is None else env
    if env.get(ANCHORS_ENV):
        return Path(env[ANCHORS_ENV])
    if database_url.startswith("sqlite"):
        file = database_url.split("///", 1)[-1].split("?", 1)[0]
        if file and file != ":memory:":
            return Path(file + ".audit-anchors")
    return Path("kasuhara-audit-anchors.jsonl")


@dataclass(frozen=True)
class Anchor:
    at: str
    entries: int
    last_id: int
    head: str
    key_id: str
    reason: str
    mac: str = ""

    def body(self) -> str:
        fields = asdict(self)
        fields.pop("mac")
        return json.dumps(fields, sort_keys=True, ensure_ascii=True)


class AnchorFileError(Exception):
    """The anchor file cannot be read or one of its lines was altered."""


def write_anchor(path: Path, report: ChainReport, sealer, reason: str, now: datetime) -> Anchor:
    """Append an anchor of the chain's current head and flush it to disk."""
    anchor = Anchor(at=now.isoformat(), entries=report.entries, last_id=report.last_id, head=report.head,
                    key_id=sealer.key_id, reason=reason)
    anchor = Anchor(**{**asdict(anchor), "mac": sealer.audit_mac("anchor\x1f" + anchor.body())})
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(asdict(anchor), sort_keys=True) + "\n")
        file.flush()
        os.fsync(file.fileno())
    return anchor


def read_anchors(path: Path, sealer) -> tuple[list[Anchor], int]:
    """Anchors written with the current key, oldest first, and how many older-key lines were skipped.

    Raise AnchorFileError when a line of the current key does not match its HMAC (edited).
    """
    if not path.exists():
        return [], 0
    anchors, other_keys = [], 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchor = Anchor(**json.loads(line))
        except (ValueError, TypeError) as error:
            raise AnchorFileError(f"{path}:{number}: not an anchor line ({type(error).__name__})") from None
        if anchor.key_id != sealer.key_id:
            other_keys += 1  # written before `kasuhara keys rotate`: its MAC needs the old key
            continue
        if sealer.audit_mac("anchor\x1f" + anchor.body()) != anchor.mac:
            raise AnchorFileError(f"{path}:{number}: the anchor line was altered (its HMAC does not match)")
        anchors.append(anchor)
    return anchors, other_keys


def mismatches(report: ChainReport, anchors: list[Anchor]) -> list[str]:
    """What the chain lost or changed since each anchor (empty when every anchor still holds)."""
    found = []
    for anchor in anchors:
        if anchor.last_id == 0:
            continue
        head = report.heads.get(anchor.last_id)
        if head is None:
            found.append(f"entry {anchor.last_id} anchored at {anchor.at} is gone (the log was cut or rolled back)")
        elif head != anchor.head:
            found.append(f"entry {anchor.last_id} differs from its anchor of {anchor.at}")
        elif sum(1 for i in report.heads if i <= anchor.last_id) != anchor.entries:
            found.append(f"the {anchor.entries} entries anchored at {anchor.at} are no longer all there")
    return found


class AuditAnchors:
    """Write anchors of a running store's chain (start, clean stop, hourly: bot/app.py)."""

    def __init__(self, store, path: Path):
        self.store = store
        self.path = path

    def check_writable(self) -> None:
        """Raise OSError now rather than at the first anchor (a start-up check)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8"):
            pass

    async def write(self, reason: str, now: datetime) -> Anchor:
        """Check the chain against the latest anchor, then append a new one."""
        async with self.store.transaction() as tx:
            report = await tx.audit.check()
        sealer = self.store.sealer
        if not report.intact:
            log.error("audit log altered at entry %s: run `kasuhara audit verify`", report.broken_at)
        try:
            anchors, _ = await asyncio.to_thread(read_anchors, self.path, sealer)
        except AnchorFileError as error:
            log.error("audit anchors: %s", error)
            anchors = []
        for problem in mismatches(report, anchors):
            log.error("audit log does not match its anchors: %s; run `kasuhara audit verify`", problem)
        return await asyncio.to_thread(write_anchor, self.path, report, sealer, reason, now)
