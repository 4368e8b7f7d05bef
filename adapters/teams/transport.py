"""requests sessions for the SDK's blocking calls (MSAL tokens, OpenID keys, the connector).

botbuilder and MSAL use `requests`, which ignores SSL_CERT_FILE and only partly honours the
proxy variables of the mapping we were given. These helpers apply adapters/http.py's rules
explicitly, per URL, so a corporate proxy and its CA work the same as for Slack.
"""
from __future__ import annotations

from collections.abc import Mapping

import requests
from msrest.universal_http import requests as msrest_requests

from adapters.http import ca_file, proxy_for


def _retry_codes_from_a_set() -> None:
    """Let msrest look its safe status codes up in a set instead of a 502-item list.

    botbuilder makes a connector client per turn, and each one builds msrest's retry policy by
    testing 999 status codes against ClientRetryPolicy.safe_codes: ~4 ms of CPU per Teams turn
    with the list (msrest 0.7.1, the last release), ~0.1 ms with a set. The codes, and so the
    policy, stay the same.
    """
    policy = msrest_requests.ClientRetryPolicy
    if not isinstance(policy.safe_codes, frozenset):
        policy.safe_codes = frozenset(policy.safe_codes)


_retry_codes_from_a_set()


def verify_setting(env: Mapping[str, str]) -> str | bool:
    """Return what `requests` needs as `verify`: the configured CA bundle, or True."""
    return ca_file(env) or True


def proxies_for(url: str, env: Mapping[str, str]) -> dict[str, str]:
    """Return `requests` proxies for one URL (empty when NO_PROXY matches or none is set)."""
    proxy = proxy_for(url, env)
    return {"http": proxy, "https": proxy} if proxy else {}


class EnvSession(requests.Session):
    """A requests session that takes CA bundle and proxy from a given environment mapping."""

    def __init__(self, env: Mapping[str, str]):
        super().__init__()
        self._env = dict(env)
        self.trust_env = False  # only the mapping we were given counts
        self.verify = verify_setting(self._env)

    def request(self, method, url, *args, **kwargs):  # noqa: D401 - requests' own signature
        kwargs.setdefault("proxies", proxies_for(url, self._env))
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)
