"""The web pages in a real browser (headless Chromium) at a phone-sized viewport.

A person with only a phone reports through a unit link, raises an SOS, consults anonymously and
gets the desk's answer from Slack; a newcomer's try-out inbox shows an alert and acknowledges
it. Screenshots are saved (KASUHARA_SCREENSHOTS) and a few are committed under docs/.
"""
from __future__ import annotations

import re

from tests.adapters.slack.slack_fixtures import CONSULT, STORE_LEADERS, STORE_MANAGERS, eventually, incidents, payload, posts_to


async def test_a_report_through_the_unit_link_reaches_the_stores_slack_channel(world, browser):
    await browser.get(world.report_url)
    assert "駅前店" in await browser.text()
    assert await browser.horizontal_overflow() <= 0  # nothing wider than the phone
    await browser.screenshot("report-form")
    await browser.screenshot("web-report-form", full=False)  # docs/ (README)
    await browser.fill("#f-description", "大声で30分以上一方的に主張し、店長を出せと繰り返した")
    await browser.click("#main form button[type=submit]")  # send with the required part missing
    assert "入力内容を確認してください" in await browser.text()
    assert await browser.value("#f-description") == "大声で30分以上一方的に主張し、店長を出せと繰り返した"
    await browser.screenshot("report-errors")
    await browser.check('input[name=channel][value=phone]')
    await browser.check('input[name=behaviours][value=abuse]')
    await browser.check('input[name=danger][value=none]')
    await browser.click("#main form button[type=submit]")
    text = await browser.text()
    assert "報告を受け付けました" in text and "受付番号" in text
    receipt = re.search(r"R-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", text).group(0)
    await browser.screenshot("report-done")
    await browser.screenshot("web-report-done", full=False)
    (incident,) = await incidents(world.runtime)
    (alert,) = await eventually(lambda: posts_to(world.slack, STORE_MANAGERS), runtime=world.runtime)
    assert incident.case_no in alert.args["text"]

    await browser.click_text("受付番号で状況を見る", tag="a")
    await browser.fill("#f-code", receipt.lower())
    await browser.click("#main form button[type=submit]")
    text = await browser.text()
    assert incident.case_no in text and "責任者の確認待ち" in text and "報告を受け付けました" in text
    await browser.click_text("報告に追記する")
    await browser.fill("#f-prevention", "二人で対応する")
    await browser.click("#main form button[type=submit]")
    assert "追記を受け付けました" in await browser.text()
    (incident,) = await incidents(world.runtime)
    assert incident.prevention == "二人で対応する"


async def test_an_sos_needs_no_input(world, browser):
    await browser.get(world.report_url)
    await browser.click_text("SOS", tag="a")
    text = await browser.text()
    assert "安全の確保を最優先" in text  # the safety steps before anything is pressed
    await browser.screenshot("sos")
    await browser.click("button.sos")
    text = await browser.text()
    assert "110" in text and "受付番号" in text
    (incident,) = await incidents(world.runtime)
    assert incident.is_sos and incident.unit_id == "store-1"
    await eventually(lambda: posts_to(world.slack, STORE_MANAGERS) and posts_to(world.slack, STORE_LEADERS),
                     runtime=world.runtime)


async def test_an_anonymous_consultation_round_trip_with_the_desk_answering_in_slack(world, browser):
    await browser.get(world.url("/consult"))
    assert "匿名" in await browser.text()
    await browser.click_text("相談を始める")
    text = await browser.text()
    code = re.search(r"C-[2-9A-Z]{4}", text).group(0)
    passphrase = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", text).group(0)
    await browser.fill("#f-text", "毎日同じお客様から電話で怒鳴られていてつらいです")
    await browser.click_text("窓口に送る")
    relay = (await eventually(lambda: [c for c in posts_to(world.slack, CONSULT) if "thread_ts" not in c.args],
                              runtime=world.runtime))[0]
    assert code in relay.args["text"]

    answer = payload("slack_event_message_channel_thread_reply")
    answer["event"].update(channel=CONSULT, thread_ts=relay.response["ts"], text="お話を伺います。明日お電話できますか")
    answer["event_id"] = "EvWEBANSWER1"
    assert (await world.slack.send.event(answer)).status == 200
    await world.runtime.drain()

    await browser.get(world.url("/consult/open"))  # later, from another visit: code and passphrase only
    await browser.fill("#f-code", code)
    await browser.fill("#f-passphrase", passphrase.lower())
    await browser.click_text("相談を開く")
    text = await browser.text()
    assert "お話を伺います。明日お電話できますか" in text
    assert "毎日同じお客様から電話で怒鳴られていてつらいです" in text
    assert "このページの入力欄に書くと" in text and "このチャット" not in text  # said for a page, not a chat
    await browser.screenshot("consult-answer")
