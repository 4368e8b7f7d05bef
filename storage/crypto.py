"""Encrypt what must stay secret at rest with a key kept outside the database."""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class Sealer:
    """Seal and open short texts with Fernet (AES-128-CBC + HMAC) keyed by KASUHARA_SECRET_KEY.

    Any passphrase works: it is stretched to a Fernet key with SHA-256 so operators don't
    need to produce base64 keys by hand.
    """

    def __init__(self, secret: str):
        if not secret:
            raise ValueError("KASUHARA_SECRET_KEY is empty")
        key = base64.urlsafe_b64encode(hashlib.sha256(b"kasuhara-v1:" + secret.encode()).digest())
        self._fernet = Fernet(key)
        self._mac_key = hashlib.sha256(b"kasuhara-mac-v1:" + secret.encode()).digest()

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode() if text else ""

    def open(self, token: str) -> str:
        if not token:
            return ""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("cannot decrypt: KASUHARA_SECRET_KEY differs from the one that sealed this data") from None

    def digest(self, text: str) -> str:
        """Keyed hash for look-ups without storing the text (HMAC-SHA256)."""
        return hmac.new(self._mac_key, text.encode(), hashlib.sha256).hexdigest()
