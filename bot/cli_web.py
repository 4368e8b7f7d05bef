"""`kasuhara web link`: report links per unit (URL + QR code for the poster), revoke, list."""
from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.policy_file import load_policy


def register(sub) -> None:
    """Add `web` to the CLI's subcommands."""
    web = sub.add_parser("web", help="web pages: report links per unit / Web: 職場ごとの報告リンク")
    web.add_argument("action", choices=["link"])
    what = web.add_mutually_exclusive_group(required=True)
    what.add_argument("--unit", help="make a new report link for this unit id (prints the URL, writes a QR code)")
    what.add_argument("--revoke", metavar="URL_OR_TOKEN", help="end a report link")
    what.add_argument("--list", action="store_true", help="list the links (unit, created, revoked; never the token)")
    web.add_argument("--out", default=".", help="folder for the QR code files (default: here)")


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.secret_key:
        raise ConfigError("environment: KASUHARA_SECRET_KEY is not set. Fix: set the same value the bot runs with; "
                          "links are stored as digests keyed by it.")
    policy = load_policy(settings.config_path)
    if args.unit is not None:
        if not policy.has_unit(args.unit):
            known = ", ".join(u.id for u in policy.units)
            raise ConfigError(f"{settings.config_path}: units: no unit {args.unit!r}. Fix: use one of {known}.")
        if not settings.public_url:
            raise ConfigError("environment: KASUHARA_PUBLIC_URL is not set. Fix: set it to the https address your "
                              "reverse proxy serves kasuhara at, e.g. https://kasuhara.example.co.jp")
    return asyncio.run(_run(args, settings, policy))


async def _run(args, settings: Settings, policy) -> int:
    from bot.app import open_flows

    flows, close = await open_flows(settings, policy)
    try:
        if args.unit is not None:
            from adapters.web.ids import REPORT
            from adapters.web.qr import write_qr

            token, link = await flows.incidents.links.create(args.unit)
            url = settings.public_url + REPORT.format(token=token)
            png, svg = write_qr(url, Path(args.out) / f"kasuhara-report-{args.unit}-{link.id}")
            print(url)
            print(f"✓ {policy.unit(args.unit).name} ({args.unit}) link #{link.id}: QR {png} {svg}")
            print("  このURLは二度と表示できません。掲示物に印刷してください / the URL cannot be shown again: "
                  "print the QR code for the back-office poster")
            return 0
        if args.revoke is not None:
            link = await flows.incidents.links.revoke(args.revoke)
            if link is None:
                print("✗ no live link with this token (already revoked, or mistyped) / 有効なリンクがありません")
                return 1
            print(f"✓ link #{link.id} ({link.unit_id}) revoked / 無効にしました: its page now says to ask for the "
                  "current link")
            return 0
        for link in await flows.incidents.links.list():
            state = f"revoked {link.revoked_at:%Y-%m-%d %H:%M}Z" if link.revoked_at else "live"
            print(f"#{link.id}\t{link.unit_id}\tcreated {link.created_at:%Y-%m-%d %H:%M}Z\t{state}")
        return 0
    finally:
        await close()
