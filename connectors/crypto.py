"""Encryption of user tokens at rest (Fernet, several keys for rotation).

`TOKEN_ENCRYPTION_KEYS` lists keys newest first: `token_encrypt` uses the first, `token_decrypt`
accepts any. A ciphertext that no configured key opens raises `TokenDecryptionError`; ciphertext
is never handed back as if it were a token.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed


class TokenDecryptionError(Exception):
    """The stored token cannot be decrypted with any configured key."""


@cache
def _fernet() -> MultiFernet:
    keys = settings.TOKEN_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS must be url-safe base64 32-byte Fernet keys"
        ) from exc


def _reset(*, setting: str, **kwargs) -> None:
    if setting == "TOKEN_ENCRYPTION_KEYS":
        _fernet.cache_clear()


setting_changed.connect(_reset)


def token_encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode()).decode()


def token_decrypt(ciphertext: str) -> str:
    if not ciphertext:
        return ""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError(
            "stored token cannot be decrypted with TOKEN_ENCRYPTION_KEYS (wrong or retired key?)"
        ) from None


def token_reencrypt(ciphertext: str) -> str:
    """Re-encrypt with the newest key (for `manage.py rotate_token_keys`)."""
    if not ciphertext:
        return ""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError("stored token cannot be decrypted for rotation") from None
