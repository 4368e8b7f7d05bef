"""Outbound HTTPS settings shared by the platform adapters.

Japanese corporate networks commonly route through a proxy with their own certificate
authority: honour HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE/REQUESTS_CA_BUNDLE everywhere.
"""
from __future__ import annotations

import functools
import os
import ssl
import urllib.request
from collections.abc import Mapping


def ca_file(env: Mapping[str, str] | None = None) -> str | None:
    """Return the CA bundle named by SSL_CERT_FILE or REQUESTS_CA_BUNDLE, if any."""
    env = os.environ if env is None else env
    return env.get("SSL_CERT_FILE") or env.get("REQUESTS_CA_BUNDLE") or None


def ssl_context(env: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """Build a client TLS context that trusts the configured CA bundle (or the system's).

    Reading a CA bundle costs ~50 ms of CPU, so contexts are shared (read-only) while the
    bundle file is unchanged; a replaced or edited bundle gets a new context.
    """
    path = ca_file(env)
    try:
        stat = os.stat(path) if path else None
    except OSError:  # missing: create_default_context raises the clear error
        return ssl.create_default_context(cafile=path)
    return _shared_context(path, stat and (stat.st_ino, stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _shared_context(path: str | None, version: tuple | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=path)


def proxy_for(url: str, env: Mapping[str, str] | None = None) -> str | None:
    """Return the proxy URL to use for `url`, honouring NO_PROXY; None for a direct call."""
    env = os.environ if env is None else env
    proxies = {k.lower(): v for k, v in env.items() if k.lower() in ("https_proxy", "http_proxy", "no_proxy")}
    host = urllib.request.urlparse(url).hostname or ""
    no_proxy = proxies.get("no_proxy", "")
    if no_proxy and _bypassed(host, no_proxy):
        return None
    scheme = urllib.request.urlparse(url).scheme
    return proxies.get(f"{scheme}_proxy") or None


def _bypassed(host: str, no_proxy: str) -> bool:
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False
