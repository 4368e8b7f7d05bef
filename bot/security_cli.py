"""`kasuhara keys …` and `kasuhara audit …`: the key and the tamper-evident record.

keys generate   print a new KASUHARA_SECRET_KEY (256 random bits)
keys check      check the key's strength and that it is the one the database was sealed with
keys rotate     re-seal everything under KASUHARA_SECRET_KEY, given the old one in KASUHARA_SECRET_KEY_OLD
audit verify    check the keyed audit chain and the anchors kept outside the database
audit anchor    anchor the chain's head now (the bot does it at start, clean stop and hourly)
"""
from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.config import ConfigError, Settings
from storage.keys import KeyProblem

AUDIT_HELP = "verify: check the keyed chain against the latest anchor; anchor: anchor its head now"


def register(sub) -> dict:
    """Add the `keys` and `audit` sub-commands; return their handlers by command name."""
    keys = sub.add_parser("keys", help="KASUHARA_SECRET_KEY: generate, check, rotate")
    keys.add_argument("action", choices=["generate", "check", "rotate"],
                      help="generate: print a new key; check: is it strong and the database's; "
                           "rotate: re-seal everything with KASUHARA_SECRET_KEY (old key in KASUHARA_SECRET_KEY_OLD)")
    audit = sub.add_parser("audit", help="audit trail (tamper-evident)")
    audit.add_argument("action", choices=["verify", "anchor"], help=AUDIT_HELP)
    return {"keys": _keys, "audit": _audit}


def _keys(args) -> int:
    from storage.keys import generate

    if args.action == "generate":
        print(generate())
        print("↑ KASUHARA_SECRET_KEY に設定し、データベースとは別に保管してください / set it as KASUHARA_SECRET_KEY "
              "and keep it apart from the database (a password manager or secret store).", file=sys.stderr)
        return 0
    settings = Settings.from_env()
    if args.action == "check":
        from bot.app import load_keys, prepare_database

        prepare_database(settings.database_url)
        sealer = load_keys(settings)
        print(f"✓ KASUHARA_SECRET_KEY: 強度・照合 OK / strong, and the key of {settings.database_url} "
              f"(key id {sealer.key_id})")
        return 0
    return asyncio.run(_rotate(settings))


async def _rotate(settings: Settings) -> int:
    from bot.app import prepare_database
    from storage.anchors import AuditAnchors
    from storage.db import Database
    from storage.keys import rotate

    await asyncio.to_thread(prepare_database, settings.database_url)
    try:
        done = await asyncio.to_thread(rotate, settings.database_url, settings.secret_key, settings.secret_key_old)
    except KeyProblem as problem:
        raise ConfigError(str(problem)) from None
    database = Database(settings.database_url, done.sealer)
    try:
        await AuditAnchors(database, settings.audit_anchors).write("rotate", datetime.now(timezone.utc))
    finally:
        await database.close()
    counts = ", ".join(f"{table} {n}" for table, n in sorted(done.resealed.items())) or "nothing sealed yet"
    print(f"✓ 鍵を更新しました / key rotated (new key id {done.sealer.key_id}): re-sealed {counts}; "
          f"audit chain re-keyed ({done.audit_entries} entries), new anchor in {settings.audit_anchors}.")
    print("  KASUHARA_SECRET_KEY_OLD を削除してから起動してください / remove KASUHARA_SECRET_KEY_OLD, then start the bot.")
    return 0


def _audit(args) -> int:
    settings = Settings.from_env()
    if args.action == "anchor":
        return asyncio.run(_anchor(settings))
    return asyncio.run(_verify(settings))


async def _open(settings: Settings):
    from bot.app import load_keys, prepare_database
    from storage.db import Database

    await asyncio.to_thread(prepare_database, settings.database_url)
    return Database(settings.database_url, await asyncio.to_thread(load_keys, settings))


async def _anchor(settings: Settings) -> int:
    from storage.anchors import AuditAnchors

    database = await _open(settings)
    try:
        anchor = await AuditAnchors(database, settings.audit_anchors).write("manual", datetime.now(timezone.utc))
    finally:
        await database.close()
    print(f"✓ アンカーを記録しました / anchored {anchor.entries} entries (head of entry {anchor.last_id}) "
          f"in {settings.audit_anchors}")
    return 0


async def _verify(settings: Settings) -> int:
    from storage.anchors import AnchorFileError, mismatches, read_anchors

    database = await _open(settings)
    try:
        async with database.transaction() as tx:
            report = await tx.audit.check()
        sealer = database.sealer
    finally:
        await database.close()
    zone = _zone(settings)
    failed = False
    if report.intact:
        print("✓ 監査ログの連鎖は正しく、改ざんはありません / audit log intact: every link matches its keyed HMAC")
    else:
        print(f"✗ 監査ログが改ざんされています / audit log altered at entry {report.broken_at}: the history from "
              "there on cannot be trusted", file=sys.stderr)
        failed = True
    period = (f"{_show(report.first_at, zone)} – {_show(report.last_at, zone)} ({zone.key})" if report.entries
              else "-")
    print(f"  検査した記録 / entries checked: {report.entries}; 期間 / period: {period}")
    if report.legacy:
        print(f"  うち {report.legacy} 件は鍵付き化より前の記録 / of which {report.legacy} are legacy entries written "
              "before the chain was keyed: their links are plain SHA-256 and prove order, not authorship.")
    try:
        anchors, other_keys = read_anchors(settings.audit_anchors, sealer)
    except AnchorFileError as error:
        print(f"✗ アンカーファイルが改ざんされています / anchor file altered: {error}", file=sys.stderr)
        return 1
    if not anchors:
        print(f"✗ アンカーがありません / no anchor in {settings.audit_anchors}: a cut tail cannot be detected. Fix: "
              "start the bot (it anchors at start, clean stop and hourly) or run `kasuhara audit anchor`; set "
              "KASUHARA_AUDIT_ANCHORS if the file is kept elsewhere.", file=sys.stderr)
        return 1
    for problem in mismatches(report, anchors):
        print(f"✗ アンカーと一致しません / does not match its anchor: {problem}", file=sys.stderr)
        failed = True
    latest = anchors[-1]
    newer = sum(1 for i in report.heads if i > latest.last_id)
    print(f"  最新のアンカー / latest anchor: {_show(datetime.fromisoformat(latest.at), zone)} ({latest.reason}), "
          f"{latest.entries} entries, in {settings.audit_anchors}")
    print(f"  アンカー後の記録 / entries newer than the latest anchor: {newer}")
    if other_keys:
        print(f"  ({other_keys} older anchors were written with an earlier key and are not checked)")
    return 1 if failed else 0


def _zone(settings: Settings) -> ZoneInfo:
    """The policy's timezone for showing times (UTC when the policy file cannot be read)."""
    from bot.policy_file import load_policy

    try:
        return ZoneInfo(load_policy(settings.config_path).timezone)
    except (ConfigError, Exception):
        return ZoneInfo("UTC")


def _show(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else "-"
