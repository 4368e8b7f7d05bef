"""Passwords and tokens never reach the terminal or the log."""
from __future__ import annotations

import logging

from bot.redact import RedactingFilter, redact, redact_url, secret_values


def test_database_url_password_is_masked():
    assert redact_url("postgresql://kas:S3cretPW@db.internal:5432/kasuhara") == \
        "postgresql://kas:***@db.internal:5432/kasuhara"
    assert redact_url("sqlite:///kasuhara.db") == "sqlite:///kasuhara.db"
    assert redact_url("postgresql://kas@db/kasuhara") == "postgresql://kas@db/kasuhara"


def test_free_text_loses_url_passwords_tokens_and_known_secrets():
    text = ("connect postgresql+psycopg://kas:S3cretPW@db/k failed; token xoxb-1234-5678-abcdef and "
            "xapp-1-A1-2-ff; key kasuhara-secret-value")
    clean = redact(text, ["kasuhara-secret-value"])
    assert "S3cretPW" not in clean and "1234-5678" not in clean and "A1-2-ff" not in clean
    assert "kasuhara-secret-value" not in clean
    assert "postgresql+psycopg://kas:***@db/k" in clean and "xoxb-***" in clean and "xapp-***" in clean


def test_secret_values_come_from_the_settings():
    env = {"SLACK_SIGNING_SECRET": "abcdef0123", "DATABASE_URL": "postgresql://u:pw123456@h/d", "PATH": "/bin"}
    assert set(secret_values(env)) == {"abcdef0123", "pw123456"}


def test_log_records_and_tracebacks_are_redacted():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "could not open %s", ("postgresql://a:topsecret@h/d",),
                               None)
    try:
        raise RuntimeError("postgresql://a:topsecret@h/d refused")
    except RuntimeError:
        import sys
        record.exc_info = sys.exc_info()
    RedactingFilter([]).filter(record)
    assert "topsecret" not in record.getMessage() and "topsecret" not in record.exc_text
