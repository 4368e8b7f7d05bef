"""Outbound HTTPS honours HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE/REQUESTS_CA_BUNDLE."""
import ssl

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


def test_ssl_context_trusts_the_corporate_ca_and_only_it(tmp_path):
    missing = tmp_path / "missing.pem"
    with pytest.raises((FileNotFoundError, ssl.SSLError)):
        ssl_context({"SSL_CERT_FILE": str(missing)})
    ca = tmp_path / "corporate-ca.pem"
    ca.write_bytes(_self_signed_ca("Example Corp Proxy CA"))
    context = ssl_context({"REQUESTS_CA_BUNDLE": str(ca)})
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "Example Corp Proxy CA"),),)]


def _self_signed_ca(name: str) -> bytes:
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)
