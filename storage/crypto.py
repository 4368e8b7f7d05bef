"""Encrypt what must stay secret at rest with keys derived from KASUHARA_SECRET_KEY.

The secret is stretched with scrypt over a random salt stored in the database (storage/keys.py),
then split with HKDF into one key per purpose: Fernet encryption, the audit chain's HMAC and the
key check value. None of them is stored; only the salt and the check are. The look-up digest
key is random and stored sealed (see storage.tables.KeyCheckRow.digest_key_enc).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# scrypt cost: ~16 MiB and tens of milliseconds per derivation. The key itself must carry
# 128 bits of randomness (storage/keys.py refuses weaker ones); scrypt only slows down the
# guessing of a key that was chosen badly anyway.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
KDF_NAME = f"scrypt-n{SCRYPT_N}-r{SCRYPT_R}-p{SCRYPT_P}+hkdf-sha256"
CHECK_LABEL = b"kasuhara key check v2"


@functools.lru_cache(maxsize=32)
def derive_master(secret: str, salt: bytes) -> bytes:
    """Stretch the operator's secret with scrypt over the stored salt (cached per process)."""
    return hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32,
                          maxmem=64 * 1024 * 1024)


def _subkey(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"kasuhara:" + purpose.encode()).derive(master)


class DerivedKeys:
    """The per-purpose keys of one secret + salt."""

    def __init__(self, master: bytes):
        self.fernet = Fernet(base64.urlsafe_b64encode(_subkey(master, "fernet")))
        self.audit = _subkey(master, "audit")
        self.check = hmac.new(_subkey(master, "check"), CHECK_LABEL, hashlib.sha256).hexdigest()

    @classmethod
    def of(cls, secret: str, salt: bytes) -> "DerivedKeys":
        return cls(derive_master(secret, salt))

    @property
    def key_id(self) -> str:
        """A short public name of the key (the first hex digits of its check value)."""
        return self.check[:12]


class Sealer:
    """Seal and open short texts (Fernet: AES-128-CBC + HMAC); keyed digests; audit MACs.

    `old` keys (KASUHARA_SECRET_KEY_OLD during `kasuhara keys rotate`) can still open what
    they sealed; everything new is sealed with the current key.
    """

    def __init__(self, keys: DerivedKeys, digest_key: bytes, old: tuple[DerivedKeys, ...] = ()):
        if not isinstance(keys, DerivedKeys):
            raise TypeError("Sealer needs derived keys: use storage.keys.open_keys(database_url, secret)")
        self.keys = keys
        self._digest_key = digest_key
        self._fernet = MultiFernet([keys.fernet, *(k.fernet for k in old)])

    @property
    def key_id(self) -> str:
        return self.keys.key_id

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode() if text else ""

    def open(self, token: str) -> str:
        return open_sealed(self._fernet, token,
                           "cannot decrypt: KASUHARA_SECRET_KEY differs from the one that sealed this data")

    def digest(self, text: str) -> str:
        """Keyed hash for look-ups without storing the text (HMAC-SHA256)."""
        return hmac.new(self._digest_key, text.encode(), hashlib.sha256).hexdigest()

    def audit_mac(self, text: str) -> str:
        """HMAC of one audit chain link (the key never reaches the database)."""
        return hmac.new(self.keys.audit, text.encode(), hashlib.sha256).hexdigest()


class NoSecrets:
    """A Sealer stand-in for commands that read no sealed column (summaries, config checks).

    It refuses to seal or open, so a code path that needs the key fails loudly instead of
    writing data nobody can read.
    """

    key_id = "none"

    def _refuse(self, *_args) -> str:
        raise RuntimeError("this command runs without KASUHARA_SECRET_KEY and cannot read or write sealed data")

    seal = open = digest = audit_mac = _refuse


def open_sealed(fernet: Fernet | MultiFernet, token: str, wrong_key: str) -> str:
    """Decrypt a sealed field ("" stays ""); a token of another key raises ValueError(`wrong_key`)."""
    if not token:
        return ""
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(wrong_key) from None
