"""Signing a run record offline: a DSSE envelope (securesystemslib's ``Envelope``, which makes
the pre-authentication encoding) signed with a local Ed25519 key, as PEM (PKCS#8) or in the
OpenSSH format ``ssh-keygen -t ed25519`` writes; and checking one with the public key (PEM,
``ssh-ed25519 …`` as in a ``.pub`` file, or the private key itself).

A key protected by a passphrase is opened with ``$LOCKGATE_SIGN_KEY_PASSPHRASE``; the key and
the passphrase are never written or printed. Needs ``lockgate[attest]`` (securesystemslib,
cryptography), imported only here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import LockgateError
from .statement import PAYLOAD_TYPE

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from securesystemslib.signer import SSlibKey

PASSPHRASE_VARIABLE = "LOCKGATE_SIGN_KEY_PASSPHRASE"
_KEY_BYTES = 64 * 1024
_MISSING = "signing needs lockgate[attest] (securesystemslib, cryptography): pip install 'lockgate[attest]'"


def sign_statement(statement: bytes, key_path: str) -> dict[str, object]:
    """The DSSE envelope (JSON) of ``statement`` signed with the Ed25519 private key at ``key_path``.

    Raises:
        LockgateError: the key cannot be read, is not an Ed25519 private key, needs a
            passphrase that is not set, or lockgate[attest] is not installed.
    """
    try:
        from securesystemslib.dsse import Envelope
        from securesystemslib.signer import CryptoSigner
    except ImportError:
        raise LockgateError(_MISSING) from None
    envelope = Envelope(statement, PAYLOAD_TYPE, {})
    envelope.sign(CryptoSigner(_private_key(key_path)))
    return dict(envelope.to_dict())


def check_private_key(key_path: str) -> None:
    """Refuse now (before a run starts, on every rank) a key :func:`sign_statement` could not use.

    Raises:
        LockgateError: as :func:`sign_statement`.
    """
    try:
        import securesystemslib.signer  # noqa: F401 - its absence is the error below
    except ImportError:
        raise LockgateError(_MISSING) from None
    _private_key(key_path)


def public_key(key_path: str) -> SSlibKey:
    """The public key at ``key_path`` (PEM, OpenSSH ``ssh-ed25519 …``, or a private key, whose
    public half is taken), as securesystemslib's key with its keyid.

    Raises:
        LockgateError: it cannot be read or is not an Ed25519 key.
    """
    try:
        import securesystemslib.signer  # noqa: F401 - its absence is the error below
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key, load_ssh_public_key
    except ImportError:
        raise LockgateError(_MISSING) from None
    data = _read_key(key_path)
    if b"PRIVATE KEY-----" in data:
        key: object = _private_key(key_path).public_key()
    else:
        try:
            key = load_ssh_public_key(data) if data.lstrip().startswith(b"ssh-") else load_pem_public_key(data)
        except (ValueError, TypeError) as error:
            raise LockgateError(f"not a public key (PEM, or ssh-ed25519 as in a .pub file): {error}", key_path) from None
    if not isinstance(key, Ed25519PublicKey):
        raise LockgateError(f"a {type(key).__name__}, not an Ed25519 key (make one: ssh-keygen -t ed25519)", key_path)
    return _sslib_key(key)


def verify_envelope(envelope: dict[str, object], key: SSlibKey) -> str:
    """Check a DSSE envelope's signature with ``key``.

    Returns:
        ``""`` when a signature by ``key`` verifies, else why not (no signature by that keyid,
        or one that does not verify: the payload or the signature was changed).
    """
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError

    try:
        parsed = Envelope.from_dict(envelope)
    except (KeyError, TypeError, ValueError) as error:
        return f"the envelope cannot be read: {error}"
    if not any(signature.keyid == key.keyid for signature in parsed.signatures.values()):
        signers = ", ".join(parsed.signatures) or "none"
        return f"no signature by key {key.keyid[:16]}… (signed by: {signers})"
    try:
        parsed.verify([key], 1)
    except VerificationError:
        return "the signature does not verify: the record was changed after it was signed, or signed with another key"
    return ""


def envelope_keyids(envelope: dict[str, object]) -> list[str]:
    """The keyids the envelope's signatures name."""
    signatures = envelope.get("signatures")
    items = signatures if isinstance(signatures, list) else []
    return [str(item.get("keyid", "")) for item in items if isinstance(item, dict)]


def _sslib_key(key: Ed25519PublicKey) -> SSlibKey:
    from securesystemslib.signer import SSlibKey

    return SSlibKey.from_crypto(key)


def _read_key(key_path: str) -> bytes:
    from .._io import read_regular_file

    try:
        return read_regular_file(key_path, _KEY_BYTES)
    except OSError as error:
        raise LockgateError(f"cannot read the key: {error.strerror or error}", key_path) from None


def _private_key(key_path: str) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_ssh_private_key

    data = _read_key(key_path)
    secret = os.environ.get(PASSPHRASE_VARIABLE)
    password = secret.encode() if secret else None
    load = load_ssh_private_key if b"OPENSSH PRIVATE KEY" in data else load_pem_private_key
    try:
        key = load(data, password)
    except TypeError:  # encrypted and no passphrase, or a passphrase for a plain key
        wanted = "is protected by a passphrase: set" if password is None else "is not protected by a passphrase: unset"
        raise LockgateError(f"the key {wanted} {PASSPHRASE_VARIABLE}", key_path) from None
    except ValueError as error:
        raise LockgateError(f"not an Ed25519 private key (PEM, or OpenSSH as ssh-keygen -t ed25519 writes): {error}", key_path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LockgateError(f"a {type(key).__name__}, not an Ed25519 key (make one: ssh-keygen -t ed25519)", key_path)
    return key
