"""What an adapter tells the composition root when it checks its platform at start-up."""
from __future__ import annotations


class CredentialsRejected(Exception):
    """The platform refused a credential: the bot cannot work until the operator fixes it."""

    def __init__(self, setting: str, reason: str):
        super().__init__(f"{setting}: {reason}")
        self.setting = setting  # the environment variable to fix
        self.reason = reason  # the platform's answer (e.g. invalid_auth)


class PlatformUnreachable(Exception):
    """The platform could not be asked (network, proxy, outage): the bot starts and retries."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
