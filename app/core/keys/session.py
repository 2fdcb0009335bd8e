"""A logged-in session on one key: reading its keys and seals, and signing with it.

Every call runs on the module's worker thread (objects.SessionObjects._run) and turns a vanished
token into TokenRemoved for this session and every other session of the same token. The writing
calls (key pairs, certificates, seals) come from provisioning.Provisioning.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument, KeyNotFound, MechanismUnsupported, SigningFailed, TokenRemoved
from . import sm2
from .model import KeyEntry, StoredSeal, TokenInfo
from .objects import find_certificates, key_type_of, read_seals
from .p11 import REMOVAL_RVS, close_quietly, find_slot, pkcs11_exc, sign_error
from .provisioning import Provisioning

if TYPE_CHECKING:
    from .registry import LoadedModule

HASH_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
_DIGEST_INFO_PREFIX = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
SCHEMES = {"rsa": ("pkcs1v15", "pss"), "ec": ("ecdsa",), "sm2": ("sm2",)}
DEFAULT_SCHEME = {"rsa": "pkcs1v15", "ec": "ecdsa", "sm2": "sm2"}
_PSS_PARAMS: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "sha256": lambda M, G: (M.SHA256, G.SHA256),
    "sha384": lambda M, G: (M.SHA384, G.SHA384),
    "sha512": lambda M, G: (M.SHA512, G.SHA512),
}


def _ecdsa_der(raw: bytes) -> bytes:
    """PKCS#11 returns r||s; X.509/CMS want the DER Ecdsa-Sig-Value."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


class KeySession(Provisioning):
    """A logged-in session on one token (opened by TokenManager.open_session; close it when done)."""

    def __init__(
        self, module: LoadedModule, token: TokenInfo, session: Any, on_close: Callable[[KeySession], None]
    ) -> None:
        super().__init__(module, token, session)
        self._on_close = on_close
        self._mechanisms: set[int] | None = None

    def __enter__(self) -> KeySession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session (the module logs out when the process's last session on the token closes)."""
        if self._closed:
            return
        self._closed = True
        try:
            if not self._removed:
                self._module.worker.call(lambda: close_quietly(self._session))
        finally:
            self._module.unregister(self)
            self._on_close(self)

    def _mechanism_set(self) -> set[int]:
        if self._mechanisms is None:
            try:
                self._mechanisms = {int(m) for m in find_slot(self._module.lib, self.token.slot_id).get_mechanisms()}
            except Exception:  # noqa: BLE001 - no list: use the raw mechanisms only
                self._mechanisms = set()
        return self._mechanisms

    # -- reading
    def keys(self) -> list[KeyEntry]:
        """The private keys with their certificates, sorted by label."""
        from pkcs11 import Attribute, ObjectClass

        def run() -> list[KeyEntry]:
            certs: dict[bytes, bytes] = {}
            for cert in find_certificates(self._session):
                certs.setdefault(bytes(cert[Attribute.ID]), bytes(cert[Attribute.VALUE]))
            entries = []
            for obj in self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}):
                key_id = bytes(obj[Attribute.ID])
                try:
                    key_type = key_type_of(obj, self.sm2_profile)
                except MechanismUnsupported:
                    continue  # key types SealDesk cannot sign with (DSA, vendor types not in the catalog)
                entries.append(KeyEntry(key_id, obj[Attribute.LABEL], key_type, certs.get(key_id)))
            if not entries and not self._present():
                raise TokenRemoved("token vanished while listing keys")
            return sorted(entries, key=lambda e: (e.label, e.key_id))

        return self._run(run, self._generic("listing keys"))

    def seals(self) -> list[StoredSeal]:
        """The seals stored on the token (CKO_DATA, CKA_APPLICATION = SEAL_APPLICATION)."""

        def run() -> list[StoredSeal]:
            seals = read_seals(self._session)
            if not seals and not self._present():
                raise TokenRemoved("token vanished while listing seals")
            return seals

        return self._run(run, self._generic("listing seals"))

    def certificate(self, key_id: bytes) -> bytes:
        """DER of the certificate with this CKA_ID (KeyNotFound when there is none)."""
        from pkcs11 import Attribute

        def run() -> bytes:
            for cert in find_certificates(self._session, key_id):
                return bytes(cert[Attribute.VALUE])
            raise KeyNotFound(f"no certificate with CKA_ID {key_id.hex()}")

        return self._run(run, self._generic("reading certificate"))

    # -- signing
    @staticmethod
    def _resolve_scheme(key_type: str, scheme: str | None) -> str:
        scheme = scheme or DEFAULT_SCHEME[key_type]
        if scheme not in SCHEMES[key_type]:
            raise MechanismUnsupported(f"{scheme} with a {key_type} key", mechanism=scheme)
        return scheme

    def sign_digest(self, key_id: bytes, digest: bytes, hash_name: str, scheme: str | None = None) -> bytes:
        """Sign a precomputed digest. RSA: PKCS#1 v1.5 (DigestInfo) or PSS; EC: DER ECDSA-Sig-Value."""
        from pkcs11 import MGF, Mechanism

        size = HASH_SIZES.get(hash_name)
        if size is None:
            raise MechanismUnsupported(f"hash {hash_name}", mechanism=hash_name)
        if len(digest) != size:
            raise InvalidArgument(f"{hash_name} digest of {len(digest)} bytes", what="digest")
        label = f"{hash_name}/{scheme or 'default'}"

        def run() -> bytes:
            key = self._private_key(key_id)
            chosen = self._resolve_scheme(key_type_of(key, self.sm2_profile), scheme)
            if chosen == "sm2":
                raise MechanismUnsupported("SM2 signs messages (sign_sm2), not digests", mechanism="sm2")
            if chosen == "pkcs1v15":
                return bytes(key.sign(_DIGEST_INFO_PREFIX[hash_name] + digest, mechanism=Mechanism.RSA_PKCS))
            if chosen == "pss":
                hash_mech, mgf = _PSS_PARAMS[hash_name](Mechanism, MGF)
                return bytes(key.sign(digest, mechanism=Mechanism.RSA_PKCS_PSS, mechanism_param=(hash_mech, mgf, size)))
            return _ecdsa_der(bytes(key.sign(digest, mechanism=Mechanism.ECDSA)))

        return self._run(run, sign_error(label))

    def sign_data(self, key_id: bytes, data: bytes, hash_name: str = "sha256", scheme: str | None = None) -> bytes:
        """Sign data; uses the token's hashed mechanism when it lists one, else hashes in software."""
        from pkcs11 import MGF, Mechanism

        if hash_name not in HASH_SIZES:
            raise MechanismUnsupported(f"hash {hash_name}", mechanism=hash_name)
        exc = pkcs11_exc()
        no_hashed_ecdsa = bool(self._module.spec.quirks.get("no_hashed_ecdsa"))

        def run() -> bytes | None:
            key = self._private_key(key_id)
            chosen = self._resolve_scheme(key_type_of(key, self.sm2_profile), scheme)
            if chosen == "sm2":
                raise MechanismUnsupported("SM2 signs messages (sign_sm2)", mechanism="sm2")
            suffix = hash_name.upper()
            if chosen == "pkcs1v15":
                mech, param = getattr(Mechanism, f"{suffix}_RSA_PKCS"), None
            elif chosen == "pss":
                mech = getattr(Mechanism, f"{suffix}_RSA_PKCS_PSS")
                hash_mech, mgf = _PSS_PARAMS[hash_name](Mechanism, MGF)
                param = (hash_mech, mgf, HASH_SIZES[hash_name])
            else:
                if no_hashed_ecdsa:
                    return None
                mech, param = getattr(Mechanism, f"ECDSA_{suffix}"), None
            if int(mech) not in self._mechanism_set():
                return None
            try:
                signature = bytes(key.sign(data, mechanism=mech, mechanism_param=param))
            except exc.MechanismInvalid:
                return None  # listed but refused: fall back to software hashing
            return _ecdsa_der(signature) if chosen == "ecdsa" else signature

        signature = self._run(run, sign_error(f"{hash_name}/{scheme or 'default'}"))
        if signature is not None:
            return signature
        digest = hashlib.new(hash_name, data).digest()
        return self.sign_digest(key_id, digest, hash_name, scheme)

    def digest_signer(self, key_id: bytes, scheme: str | None = None) -> TokenDigestSigner:
        """A signer bound to one key and its certificate (what PDF signing and the usage log use)."""
        from pkcs11 import Attribute

        def run() -> tuple[str, bytes]:
            key = self._private_key(key_id)
            key_type = key_type_of(key, self.sm2_profile)
            for cert in find_certificates(self._session, key_id):
                return key_type, bytes(cert[Attribute.VALUE])
            raise KeyNotFound(f"no certificate with CKA_ID {key_id.hex()}")

        key_type, cert = self._run(run, self._generic("preparing signer"))
        chosen = self._resolve_scheme(key_type, scheme)
        return TokenDigestSigner(self, key_id, cert, key_type, chosen)

    # -- SM2 (vendor mechanisms through raw C_Sign on this session's handle: keys/sm2.py)
    @property
    def sm2_profile(self) -> sm2.Sm2Profile:
        """This module's SM2 numbers from the catalog ([module.sm2])."""
        return sm2.profile_of(self._module.spec.sm2)

    def sign_sm2(self, key_id: bytes, message: bytes) -> bytes:
        """DER SM2 signature over `message` (Z from the certificate's key and the catalog's ID, then SM3).

        The vendor's mechanism comes from the catalog ("raw": SealDesk computes e = SM3(Z || M); "sm3_sm2":
        the token does); r||s answers are turned into DER, and the signature is verified in software before
        it is returned (SigningFailed when the token's answer is wrong).
        """
        profile = self.sm2_profile
        from pkcs11 import Attribute

        def run() -> tuple[bytes, bytes]:
            key = self._private_key(key_id)
            if key_type_of(key, profile) != "sm2":
                raise MechanismUnsupported(f"key {key_id.hex()} is not an SM2 key", mechanism="sm2")
            certificate = None
            for cert in find_certificates(self._session, key_id):
                certificate = bytes(cert[Attribute.VALUE])
                break
            if certificate is None:
                raise KeyNotFound(f"no certificate with CKA_ID {key_id.hex()}")
            mechanism, data = sm2.token_input(profile, certificate, message)
            rv, signature = self._module.raw.sign(self._session.handle, key.handle, mechanism, data)
            if rv in REMOVAL_RVS:
                raise TokenRemoved(f"C_Sign: CKR 0x{rv:x}")
            if rv in _MECHANISM_RVS:
                raise MechanismUnsupported(f"C_SignInit 0x{mechanism:x}: CKR 0x{rv:x}", mechanism=f"SM2 0x{mechanism:x}")
            if rv != 0:
                raise SigningFailed(f"SM2 C_Sign 0x{mechanism:x}: CKR 0x{rv:x}")
            return certificate, signature

        certificate, signature = self._run(run, sign_error("SM2"))
        return sm2.checked(profile, certificate, message, signature)

    def sm2_signer(self, key_id: bytes) -> TokenSm2Signer:
        """This session's SM2 key as the Sm2MessageSigner protocol the SM2 PDF signer takes."""
        signer = self.digest_signer(key_id)
        if signer.key_type != "sm2":
            raise MechanismUnsupported(f"key {key_id.hex()} is a {signer.key_type} key", mechanism="sm2")
        return TokenSm2Signer(self, key_id, signer.certificate)


_MECHANISM_RVS = {0x70, 0x71, 0x63, 0x60, 0x54}
"""CKR_MECHANISM_INVALID, _PARAM_INVALID, KEY_TYPE_INCONSISTENT, KEY_FUNCTION_NOT_PERMITTED, FUNCTION_NOT_SUPPORTED."""


@dataclass
class TokenSm2Signer:
    """An SM2 key of an open KeySession as `Sm2MessageSigner`: DER (r, s) over a message, Z included."""

    session: KeySession
    key_id: bytes
    certificate: bytes

    def sign_message(self, message: bytes) -> bytes:
        """DER SM2 signature over `message` (verified before it is returned)."""
        return self.session.sign_sm2(self.key_id, message)


@dataclass
class TokenDigestSigner:
    """Signs digests with one key of an open KeySession (app.core.signer.DigestSigner; thread-safe)."""

    session: KeySession
    key_id: bytes
    certificate: bytes
    key_type: str
    scheme: str
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        """Signature over `digest` (DER ECDSA-Sig-Value for EC keys; SM2 keys refuse: see sign_message)."""
        return self.session.sign_digest(self.key_id, digest, hash_name, self.scheme)

    def sign_message(self, message: bytes) -> bytes:
        """SM2 keys sign messages, not digests (Z and SM3 belong to the signature): DER (r, s)."""
        if self.key_type != "sm2":
            raise MechanismUnsupported(f"message signing with a {self.key_type} key", mechanism=self.scheme)
        return self.session.sign_sm2(self.key_id, message)
