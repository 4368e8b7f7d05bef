"""Keys for tests: generated like an operator would (`kasuhara keys generate`), never a weak literal."""
from __future__ import annotations

from storage.keys import generate, open_keys

TEST_KEY = generate()  # one per test session


def sealer_for(database_url: str, key: str = TEST_KEY):
    """The Sealer of a test database (draws its salt on first use), as the bot derives it at start."""
    return open_keys(database_url, key)
