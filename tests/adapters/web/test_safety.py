"""The public pages under bad input: forged, stale, flooding, oversized, guessing, revoked.

Real HTTP to the real runtime on 127.0.0.1; what is stored is read back from the database.
"""
from __future__ import annotations

import asyncio
import re
import time

from adapters.web.guard import CsrfTokens
from tests.adapters.slack.slack_fixtures import STORE_MANAGERS, incidents, posts_to
from tests.adapters.web.web_world import GUESS_DELAY, hidden_fields

SECRET = "test-secret-key-that-is-long-enough-0123456789"
REQUIRED = {"occurred_at": "2026-01-01T09:00", "channel": "phone", "description": "大声で30分以上一方的に主張",
            "behaviours": "abuse", "danger": "none"}


def as_client(number: int) -> dict:
    """Requests from another client (the reverse proxy's X-Forwarded-For)."""
    return {"X-Forwarded-For": f"203.0.113.{number}"}


async def test_a_valid_report_is_stored_once_and_alerts_the_units_chain(world):
    fields = await world.form(f"/r/{world.token}")
    status, html, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED})
    assert status == 200, html
    assert "受付番号" in html and re.search(r"R-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", html)
    again, _, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED})  # the same form sent twice
    assert again == 200
    (stored,) = await incidents(world.runtime)
    assert stored.unit_id == "store-1" and stored.reporter.platform.value == "web"
    await world.runtime.drain()
    assert posts_to(world.slack, STORE_MANAGERS)


async def test_missing_fields_come_back_inline_with_what_was_typed(world):
    fields = await world.form(f"/r/{world.token}")
    typed = {**fields, "description": "<b>大声</b>で怒鳴られた", "reporter": "山田 090-0000-0000", "danger": "none"}
    status, html, _ = await world.post(f"/r/{world.token}", typed)
    assert status == 422
    assert 'id="e-channel"' in html and 'id="e-behaviours"' in html and 'aria-invalid="true"' in html
    assert "&lt;b&gt;大声&lt;/b&gt;で怒鳴られた</textarea>" in html  # kept, and escaped
    assert 'value="山田 090-0000-0000"' in html
    assert await incidents(world.runtime) == []


async def test_a_too_long_name_is_an_inline_error_and_nothing_is_stored(world):
    fields = await world.form(f"/r/{world.token}")
    status, html, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED, "reporter": "あ" * 201})
    assert status == 422 and 'id="e-reporter"' in html
    assert await incidents(world.runtime) == []


async def test_a_missing_stale_or_foreign_csrf_token_gets_403_and_nothing_is_stored(world):
    fields = await world.form(f"/r/{world.token}")
    stale = CsrfTokens(SECRET, 6 * 3600, now=lambda: time.time() - 7 * 3600).issue("report")
    other_scope = CsrfTokens(SECRET, 6 * 3600).issue("consult")
    for token in (None, "", "forged", stale, other_scope):
        data = {**REQUIRED, "lang": "ja", **({"csrf": token} if token is not None else {})}
        status, html, headers = await world.post(f"/r/{world.token}", data)
        assert status == 403, token
        assert "何も保存していません" in html
    status, _, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED},
                                    headers={"Origin": "https://evil.example"})
    assert status == 403
    status, _, _ = await world.post(f"/r/{world.token}/sos", {"lang": "ja"})
    assert status == 403
    assert await incidents(world.runtime) == []


async def test_a_revoked_or_unknown_link_gets_a_plain_page_and_nothing_is_stored(world):
    fields = await world.form(f"/r/{world.token}")
    assert await world.runtime.flows.incidents.links.revoke(world.report_url) is not None
    for path in (f"/r/{world.token}", f"/r/{world.token}/sos", "/r/unknown-token", "/r/" + "x" * 300):
        status, html, _ = await world.get(path)
        assert status == 404, path
        assert "いま使える報告用のリンク" in html and "<form" not in html
    status, _, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED})
    assert status == 404
    status, _, _ = await world.post(f"/r/{world.token}/sos", fields)
    assert status == 404
    assert await incidents(world.runtime) == []


async def test_a_flood_gets_429_with_when_to_retry_and_other_clients_are_still_served(world):
    async def one(path):
        return await world.get(path, headers=as_client(7))

    answers = await asyncio.gather(*(one(f"/r/{world.token}") for _ in range(200)))
    limited = [a for a in answers if a[0] == 429]
    assert len(limited) >= 100
    status, html, headers = limited[0]
    assert int(headers["Retry-After"]) >= 1
    assert f"{headers['Retry-After']}秒ほど待って" in html
    more = [(await world.get("/consult", headers=as_client(7)))[0] for _ in range(10)]
    assert 429 in more  # reads of every page count against the same client
    assert (await world.get(f"/r/{world.token}", headers=as_client(8)))[0] == 200


async def test_one_link_flooded_from_many_clients_gets_429_and_other_pages_are_still_served(world):
    answers = await asyncio.gather(*(world.get(f"/r/{world.token}", headers=as_client(1000 + i)) for i in range(400)))
    assert any(a[0] == 429 for a in answers)  # 240 a minute per link, whoever asks (see test_guard for the counts)
    assert (await world.get("/consult", headers=as_client(99)))[0] == 200


async def test_oversized_posts_and_file_uploads_are_refused(world):
    fields = await world.form(f"/r/{world.token}")
    status, html, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED, "prevention": "あ" * 40000})
    assert status == 413 and "ファイルは送れません" in html
    import aiohttp

    upload = aiohttp.FormData({**fields, **REQUIRED})
    upload.add_field("evidence_file", b"\x89PNG....", filename="photo.png", content_type="image/png")
    status, _, _ = await world.post(f"/r/{world.token}", upload)
    assert status == 413
    assert await incidents(world.runtime) == []


async def test_wrong_receipt_codes_get_the_same_slow_answer_as_unknown_ones(world):
    fields = await world.form(f"/r/{world.token}")
    _, html, _ = await world.post(f"/r/{world.token}", {**fields, **REQUIRED})
    receipt = re.search(r"R-[2-9A-Z-]{19}", html).group(0)
    answers = []
    for code in (receipt[:-1] + ("2" if receipt[-1] != "2" else "3"), "R-AAAA-BBBB-CCCC-DDDD", "nonsense"):
        form = await world.form("/receipt")
        started = time.monotonic()
        status, html, _ = await world.post("/receipt", {**form, "code": code})
        answers.append((status, re.sub(r'value="[^"]*"', "", html)))  # all but what was typed and the token
        assert time.monotonic() - started >= GUESS_DELAY
    assert len({a for a in answers}) == 1 and answers[0][0] == 200
    assert "この番号では確認できませんでした" in answers[0][1]
    form = await world.form("/receipt")
    status, html, _ = await world.post("/receipt", {**form, "code": receipt.lower().replace("-", " ")})
    assert "報告の状況" in html and "責任者の確認待ち" in html


async def test_too_many_wrong_guesses_get_429_before_any_check(world):
    form = await world.form("/receipt")
    for _ in range(10):
        status, _, _ = await world.post("/receipt", {**form, "code": "R-AAAA-AAAA-AAAA-AAAA"}, headers=as_client(9))
        assert status == 200
    status, html, headers = await world.post("/receipt", {**form, "code": "R-AAAA-AAAA-AAAA-AAAA"},
                                             headers=as_client(9))
    assert status == 429 and "Retry-After" in headers


async def test_wrong_passphrases_get_the_same_slow_answer_as_unknown_codes(world):
    start = await world.form("/consult")
    _, html, _ = await world.post("/consult/start", start)
    code = re.search(r"C-[2-9A-Z]{4}", html).group(0)
    answers = []
    for typed_code, passphrase in ((code, "AAAA-BBBB-CCCC-DDDD"), ("C-2222", "AAAA-BBBB-CCCC-DDDD")):
        form = await world.form("/consult/open")
        started = time.monotonic()
        status, html, _ = await world.post("/consult/open", {**form, "code": typed_code, "passphrase": passphrase})
        answers.append((status, re.sub(r'value="[^"]*"', "", html)))
        assert time.monotonic() - started >= GUESS_DELAY
    assert answers[0] == answers[1]
    assert "確認できませんでした" in answers[0][1]


async def test_every_page_is_strict_about_what_the_browser_may_load(world):
    for path in ("/", f"/r/{world.token}", f"/r/{world.token}/sos", "/receipt", "/consult", "/consult/open",
                 "/r/nope", "/static/style.css"):
        status, html, headers = await world.get(path)
        assert "default-src 'none'" in headers["Content-Security-Policy"], path
        assert "script" not in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "same-origin" and headers["X-Content-Type-Options"] == "nosniff"
        assert "Set-Cookie" not in headers, path
        assert not re.search(r'(src|href)="(https?:)?//', html), path  # no third-party asset
        assert "<script" not in html


async def test_japanese_first_with_an_english_switch(world):
    _, html, _ = await world.get(f"/r/{world.token}")
    assert '<html lang="ja">' in html and "カスハラの報告" in html and "?lang=en" in html
    _, html, _ = await world.get(f"/r/{world.token}?lang=en")
    assert '<html lang="en">' in html and "Report customer harassment" in html
    fields = hidden_fields(html)
    status, html, _ = await world.post(f"/r/{world.token}", fields)
    assert status == 422 and "Please check the form" in html
