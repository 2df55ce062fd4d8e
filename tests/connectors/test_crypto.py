from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from connectors.crypto import TokenDecryptionError, token_decrypt, token_encrypt, token_reencrypt


def test_tokens_round_trip_and_ciphertext_hides_them():
    ciphertext = token_encrypt("secret-access-token")
    assert "secret-access-token" not in ciphertext
    assert token_decrypt(ciphertext) == "secret-access-token"


def test_empty_token_stays_empty():
    assert token_encrypt("") == ""
    assert token_decrypt("") == ""


def test_old_key_still_decrypts_after_rotation_and_reencrypt_moves_to_new_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    ciphertext = token_encrypt("tok")
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    assert token_decrypt(ciphertext) == "tok"
    rotated = token_reencrypt(ciphertext)
    settings.TOKEN_ENCRYPTION_KEYS = [new]
    assert token_decrypt(rotated) == "tok"
    with pytest.raises(TokenDecryptionError):
        token_decrypt(ciphertext)


def test_wrong_key_raises_instead_of_returning_ciphertext(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    ciphertext = token_encrypt("tok")
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(TokenDecryptionError) as raised:
        token_decrypt(ciphertext)
    assert ciphertext not in str(raised.value)


@pytest.mark.django_db
def test_rotate_command_moves_stored_tokens_to_the_new_key(settings):
    from django.core.management import call_command

    from connectors.models import Connection
    from tests.factories import organization_make

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    connection = Connection(organization=organization_make(), provider="zoom")
    connection.access_token, connection.refresh_token = "at", "rt"
    connection.save()
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_token_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.TOKEN_ENCRYPTION_KEYS = [new]
    connection.refresh_from_db()
    assert (connection.access_token, connection.refresh_token) == ("at", "rt")
