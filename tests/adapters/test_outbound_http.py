"""Outbound HTTPS honours HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE/REQUESTS_CA_BUNDLE."""
import ssl
from pathlib import Path

import pytest

from adapters.http import ca_file, proxy_for, ssl_context


def test_https_proxy_is_used_unless_no_proxy_matches():
    env = {"HTTPS_PROXY": "http://proxy.corp.example:8080", "NO_PROXY": "localhost,.internal.example, 10.0.0.1"}
    assert proxy_for("https://slack.com/api/chat.postMessage", env) == "http://proxy.corp.example:8080"
    assert proxy_for("https://bot.internal.example/x", env) is None
    assert proxy_for("https://internal.example/x", env) is None
    assert proxy_for("https://10.0.0.1/x", env) is None
    assert proxy_for("https://slack.com/", {"https_proxy": "http://p:1"}) == "http://p:1"
    assert proxy_for("https://slack.com/", {}) is None
    assert proxy_for("https://slack.com/", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}) is None


def test_ca_bundle_comes_from_ssl_cert_file_then_requests_ca_bundle():
    assert ca_file({"SSL_CERT_FILE": "/a.pem", "REQUESTS_CA_BUNDLE": "/b.pem"}) == "/a.pem"
    assert ca_file({"REQUESTS_CA_BUNDLE": "/b.pem"}) == "/b.pem"
    assert ca_file({}) is None


def test_ssl_context_loads_the_corporate_ca(tmp_path):
    missing = tmp_path / "missing.pem"
    with pytest.raises((FileNotFoundError, ssl.SSLError)):
        ssl_context({"SSL_CERT_FILE": str(missing)})
    certifi_like = Path(ssl.get_default_verify_paths().openssl_cafile or "")
    if certifi_like.exists():
        context = ssl_context({"SSL_CERT_FILE": str(certifi_like)})
        assert context.verify_mode is ssl.CERT_REQUIRED and context.cert_store_stats()["x509_ca"] > 0
