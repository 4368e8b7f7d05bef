"""The floor: a bare slack-bolt app doing the same HTTP work as kasuhara's report path.

`/kasuhara` opens a modal (views.open); the modal's submission is acknowledged with an
updated view and one alert is posted to the store managers' channel (chat.postMessage).
No database, no outbox: what any bolt app pays for the same Slack round trips.

    SLACK_BOT_TOKEN=… SLACK_SIGNING_SECRET=… SLACK_API_URL=… PORT=… python benchmarks/bare_bolt.py
"""
from __future__ import annotations

import itertools
import os

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

ALERT_CHANNEL = os.environ.get("BENCH_ALERT_CHANNEL", "C0STOREMGR")


def modal() -> dict:
    fields = [("occurred_at", "datetimepicker"), ("unit", "static_select"), ("channel", "static_select"),
              ("description", "plain_text_input"), ("behaviours", "multi_static_select"),
              ("danger", "static_select"), ("place", "plain_text_input")]
    blocks = []
    for name, kind in fields:
        element = {"type": kind, "action_id": f"kasuhara.field.{name}"}
        if "select" in kind:
            element["options"] = [{"text": {"type": "plain_text", "text": f"option {i}"}, "value": f"v{i}"}
                                  for i in range(8)]
        blocks.append({"type": "input", "block_id": name, "label": {"type": "plain_text", "text": name},
                       "element": element})
    return {"type": "modal", "callback_id": "kasuhara.report", "title": {"type": "plain_text", "text": "報告"},
            "submit": {"type": "plain_text", "text": "送信"}, "blocks": blocks}


def main() -> None:
    client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"], process_before_response=False)
    cases = itertools.count(1)
    view = modal()

    @app.command("/kasuhara")
    async def command(ack, body, client):
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view("kasuhara.report")
    async def submission(ack, body, client):
        case = f"B-{next(cases):05d}"
        values = body["view"]["state"]["values"]
        await ack(response_action="update", view={
            "type": "modal", "title": {"type": "plain_text", "text": "受付"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"受付番号 {case}"}}]})
        unit = values["unit"]["kasuhara.field.unit"]["selected_option"]["value"]
        await client.chat_postMessage(channel=ALERT_CHANNEL, text=f"カスハラ報告 {case} ({unit})", blocks=[
            {"type": "header", "text": {"type": "plain_text", "text": f"カスハラ報告 {case}"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{unit}*"}},
            {"type": "actions", "elements": [{"type": "button", "action_id": "kasuhara.ack", "value": case,
                                              "text": {"type": "plain_text", "text": "確認しました"}}]}])

    app.start(port=int(os.environ["PORT"]), path="/slack/events", host="127.0.0.1")


if __name__ == "__main__":
    main()
