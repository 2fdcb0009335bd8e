"""SM2 on a PKCS#11 token: the vendor's profile from the catalog, and one signature through raw C_Sign.

Vendors number SM2 key types and mechanisms themselves, and python-pkcs11 refuses any mechanism outside
its enum, so the signing call itself goes through ctypes on the SAME loaded module and session handle
(worker.RawModule.sign): one C_Initialize, one login, one worker thread (docs/decisions.md, "SM2 keys on
the token"). Everything else (finding objects, reading attributes, importing keys) stays python-pkcs11.

Two vendor styles exist: "raw" mechanisms sign the 32-byte e = SM3(Z || M) that SealDesk computes, and
"sm3_sm2" mechanisms take the message and compute Z and SM3 on the token. Tokens return r||s or DER; both
are normalised to DER, and every signature is verified in software once before it is used, so a token that
returns a wrong signature is an error here, not a broken PDF later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import algos

from .. import gm
from ..errors import MechanismUnsupported, SigningFailed, TokenSignatureWrong

STYLES = ("raw", "sm3_sm2")
SIGNATURE_FORMATS = ("raw", "der", "auto")
SM2_CURVE_PARAMS = bytes.fromhex("06082a811ccf5501822d")
"""DER OID 1.2.156.10197.1.301: CKA_EC_PARAMS of SM2 keys."""


@dataclass(frozen=True)
class Sm2Profile:
    """A module's SM2 numbers and habits ([module.sm2] of drivers/modules.toml)."""

    key_type: int | None
    """Vendor CKA_KEY_TYPE of SM2 keys (None: only CKK_EC keys on the SM2 curve are recognised)."""
    mech_sm2_raw: int | None
    """Mechanism signing a precomputed e = SM3(Z || M)."""
    mech_sm3_sm2: int | None
    """Mechanism hashing (with Z) and signing on the token."""
    mech_keygen: int | None
    """Mechanism generating SM2 key pairs."""
    style: str
    """"raw" or "sm3_sm2": the mechanism SealDesk signs with."""
    signature: str
    """"raw", "der" or "auto": what C_Sign returns."""
    user_id: bytes
    """Signer ID in Z."""

    @property
    def mechanism(self) -> int | None:
        """The signing mechanism of the chosen style."""
        return self.mech_sm2_raw if self.style == "raw" else self.mech_sm3_sm2


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def profile_of(entry: dict[str, Any]) -> Sm2Profile:
    """The profile of a catalog entry's `sm2` table (missing numbers stay None: that route is unavailable)."""
    style = str(entry.get("style", "raw"))
    signature = str(entry.get("signature", "auto"))
    user_id = entry.get("user_id", gm.DEFAULT_USER_ID.decode("ascii"))
    return Sm2Profile(
        key_type=_number(entry.get("key_type")),
        mech_sm2_raw=_number(entry.get("mech_sm2_raw")),
        mech_sm3_sm2=_number(entry.get("mech_sm3_sm2")),
        mech_keygen=_number(entry.get("mech_keygen")),
        style=style if style in STYLES else "raw",
        signature=signature if signature in SIGNATURE_FORMATS else "auto",
        user_id=str(user_id).encode("utf-8") if user_id else gm.DEFAULT_USER_ID,
    )


def is_sm2_key(key_type: int, ec_params: bytes | None, profile: Sm2Profile) -> bool:
    """Whether a key object is SM2: the vendor's key type, or CKK_EC (3) with the SM2 curve's OID."""
    if profile.key_type is not None and key_type == profile.key_type:
        return True
    return key_type == 3 and ec_params is not None and bytes(ec_params) == SM2_CURVE_PARAMS


def to_der(signature: bytes, expected: str = "auto") -> bytes:
    """A token's SM2 signature (64-byte r||s or DER SEQUENCE{r, s}) as strict DER; SigningFailed otherwise."""
    if expected in ("raw", "auto") and len(signature) == 64:
        return gm.encode_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    if expected in ("der", "auto"):
        try:
            parsed = algos.DSASignature.load(bytes(signature), strict=True)
            return gm.encode_signature(parsed["r"].native, parsed["s"].native)
        except (ValueError, TypeError):
            pass
    raise TokenSignatureWrong(f"the token returned {len(signature)} bytes, not an SM2 signature ({expected})")


def token_input(profile: Sm2Profile, certificate: bytes, message: bytes) -> tuple[int, bytes]:
    """(mechanism, data for C_Sign): e = SM3(Z || M) for "raw" tokens, the message itself for "sm3_sm2"."""
    mechanism = profile.mechanism
    if mechanism is None:
        raise MechanismUnsupported(f"no SM2 {profile.style} mechanism in the catalog", mechanism=f"SM2/{profile.style}")
    if profile.style == "sm3_sm2":
        return mechanism, message
    point = public_point(certificate)
    return mechanism, gm.sm3(gm.z_value(point, profile.user_id) + message)


def public_point(certificate: bytes) -> bytes:
    """The SM2 public point of the signer's certificate (SigningFailed when it holds no SM2 key)."""
    try:
        return gm.sm2_public_point_from_cert(certificate)
    except ValueError as exc:
        raise SigningFailed(f"the key's certificate has no SM2 public key: {exc}") from None


def checked(profile: Sm2Profile, certificate: bytes, message: bytes, signature: bytes) -> bytes:
    """The DER signature once it verifies over `message` with the certificate's key; SigningFailed if not."""
    der = to_der(signature, profile.signature)
    if not gm.sm2_verify(public_point(certificate), message, der, profile.user_id):
        raise TokenSignatureWrong("the token's SM2 signature does not verify with the key's certificate")
    return der
