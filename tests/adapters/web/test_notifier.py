"""WebNotifier implements the Notifier port on the web inbox: post, update, private; failures are permanent."""
from __future__ import annotations

import pytest

from adapters.web.notifier import WebNotifier
from bot.app import prepare_database
from flows.cards import Card
from flows.model import Platform
from flows.ports import DeliveryError
from storage.db import Database
from storage.web_inbox import SqlWebInbox
from tests.fakes import FakeClock
from tests.databases import migrated_sqlite
from tests.keys import TEST_KEY, sealer_for


@pytest.fixture
async def notifier(tmp_path):
    url = migrated_sqlite(tmp_path / "n.db", TEST_KEY)
    prepare_database(url)
    database = Database(url, sealer_for(url))
    yield WebNotifier(SqlWebInbox(database), FakeClock()), SqlWebInbox(database)
    await database.close()


async def test_posts_updates_and_private_messages_land_in_their_inboxes(notifier):
    web, inbox = notifier
    assert web.platform is Platform.WEB
    ref = await web.post("store-1/field_manager", Card("通知"))
    await web.update("store-1/field_manager", ref, Card("確認済み"))
    await web.send_private("w-abc", Card("受付"))
    assert [c.title for _, c, _ in await inbox.messages("store-1/field_manager")] == ["確認済み"]
    assert [c.title for _, c, _ in await inbox.messages("person:w-abc")] == ["受付"]


async def test_what_cannot_be_delivered_fails_for_good(notifier):
    web, _ = notifier
    for call in (web.update("a/b", "424242", Card("x")), web.update("a/b", "not-a-ref", Card("x")),
                 web.post("", Card("x"))):
        with pytest.raises(DeliveryError) as raised:
            await call
        assert raised.value.permanent
