"""Plain value objects of the key layer: what a token, a key, a certificate and a seal look like.

They carry no handle and no PIN, so the CLI and the GUI can keep, compare and show them freely (the GUI
shows `TokenInfo` before any login), and they are the same whichever PKCS#11 module served them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SealDeskError
from .pin import PinState

SEAL_APPLICATION = "GB/T 38540 SESeal"
"""CKA_APPLICATION of the CKO_DATA objects that hold a seal (docs/token-layout.md)."""


def decode_text(raw: bytes) -> str:
    """Decode a label from a token: UTF-8, else GB18030 (older Chinese keys write GBK), else hex."""
    raw = raw.rstrip(b"\0").rstrip(b" ")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.hex()


@dataclass(frozen=True)
class ModuleInfo:
    """A PKCS#11 module SealDesk tried to load."""

    path: str
    """File of the module."""
    name: str
    """Catalog name (or file name for modules not in the catalog)."""
    loaded: bool
    """True when the module loaded and initialised."""
    error: SealDeskError | None
    """ModuleLoadFailed when `loaded` is False."""


@dataclass(frozen=True)
class TokenInfo:
    """A snapshot of one present token (the GUI's token summary); `key` identifies it across polls."""

    module_path: str
    """Module that serves the token."""
    module_name: str
    """Name of that module."""
    slot_id: int
    """Slot at the time of the snapshot (SoftHSM renumbers slots; use `key` to compare tokens)."""
    label: str
    """Token label, decoded tolerantly (UTF-8, else GB18030, else hex)."""
    serial: str
    """Serial number."""
    manufacturer: str
    """Manufacturer ID."""
    model: str
    """Model."""
    pin_state: PinState
    """User PIN state when the snapshot was taken."""
    flags: int
    """Raw CK_TOKEN_INFO.flags."""

    @property
    def key(self) -> tuple[str, str]:
        """(module_path, serial): the identity the watcher compares."""
        return (self.module_path, self.serial)


@dataclass(frozen=True)
class KeyEntry:
    """A private key on the token and the certificate with the same CKA_ID (if any)."""

    key_id: bytes
    """CKA_ID shared by key, certificate and seals."""
    label: str
    """CKA_LABEL of the private key."""
    key_type: str
    """"rsa" or "ec"."""
    certificate: bytes | None
    """DER of the X.509 certificate with the same CKA_ID."""


@dataclass(frozen=True)
class StoredSeal:
    """A seal (DER SESeal) kept on the token next to its signing key."""

    key_id: bytes
    """CKA_ID of the signing key the seal belongs to."""
    label: str
    """Seal name (CKA_LABEL)."""
    der: bytes
    """The DER-encoded SESeal (CKA_VALUE)."""


@dataclass(frozen=True)
class StoredCertificate:
    """An X.509 certificate on the token (public object: readable without the PIN)."""

    key_id: bytes
    """CKA_ID: the key this certificate belongs to."""
    label: str
    """CKA_LABEL of the certificate."""
    der: bytes
    """The DER certificate (CKA_VALUE)."""


@dataclass(frozen=True)
class PublicObjects:
    """What anyone can read on a token without its PIN: certificates and seals (token-layout.md)."""

    token: TokenInfo
    """The token as it was when the objects were read."""
    certificates: tuple[StoredCertificate, ...]
    """Sorted by (label, key id)."""
    seals: tuple[StoredSeal, ...]
    """Sorted by (label, key id)."""
