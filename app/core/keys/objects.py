"""Finding SealDesk's objects on an open PKCS#11 session, and the guard every session call runs in.

Reading (session.py), writing (provisioning.py) and the PIN-less public read (manager.public_objects)
all search the same objects the same way (docs/token-layout.md), and every call on a logged-in session
must turn "the token is gone" into TokenRemoved: that shared plumbing lives here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import KeyNotFound, MechanismUnsupported, SealDeskError, TokenError, TokenRemoved
from .model import SEAL_APPLICATION, StoredCertificate, StoredSeal, TokenInfo, decode_text
from .p11 import close_quietly, is_removal, name, pkcs11_exc
from .sm2 import SM2_CURVE_PARAMS, Sm2Profile
from .worker import CKR_OK

if TYPE_CHECKING:
    from .registry import LoadedModule


# --- searches on a python-pkcs11 session (worker thread) ------------------------------------------
def find_certificates(session: Any, key_id: bytes | None = None) -> list[Any]:
    """X.509 certificate objects, all or those with this CKA_ID."""
    from pkcs11 import Attribute, CertificateType, ObjectClass

    template: dict[Any, Any] = {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509}
    if key_id is not None:
        template[Attribute.ID] = key_id
    return list(session.get_objects(template))


def find_seal_objects(session: Any) -> list[Any]:
    """The CKO_DATA objects that hold seals."""
    from pkcs11 import Attribute, ObjectClass

    return list(session.get_objects({Attribute.CLASS: ObjectClass.DATA, Attribute.APPLICATION: SEAL_APPLICATION}))


def seal_key_id(obj: Any) -> bytes:
    """The key a seal object belongs to: CKA_OBJECT_ID, or CKA_ID written by vendor tools."""
    from pkcs11 import Attribute

    for attr in (Attribute.OBJECT_ID, Attribute.ID):
        try:
            value = bytes(obj[attr])
        except Exception:  # noqa: BLE001 - attribute absent on this token
            continue
        if value:
            return value
    return b""


def read_seals(session: Any) -> list[StoredSeal]:
    """Every seal on the token, sorted by (label, key id)."""
    from pkcs11 import Attribute

    seals = [StoredSeal(seal_key_id(o), o[Attribute.LABEL], bytes(o[Attribute.VALUE])) for o in find_seal_objects(session)]
    return sorted(seals, key=lambda s: (s.label, s.key_id))


def read_certificates(session: Any) -> list[StoredCertificate]:
    """Every X.509 certificate on the token, sorted by (label, key id)."""
    from pkcs11 import Attribute

    certs = [
        StoredCertificate(bytes(c[Attribute.ID]), c[Attribute.LABEL], bytes(c[Attribute.VALUE]))
        for c in find_certificates(session)
    ]
    return sorted(certs, key=lambda c: (c.label, c.key_id))


def key_type_of(obj: Any, sm2: Sm2Profile | None = None) -> str:
    """"rsa", "ec" or "sm2" for a key object; MechanismUnsupported for anything else.

    SM2 keys carry the vendor's key type (`sm2.key_type`) or CKK_EC with the SM2 curve's parameters.
    """
    from pkcs11 import Attribute, KeyType

    key_type = obj[Attribute.KEY_TYPE]
    if key_type == KeyType.RSA:
        return "rsa"
    if key_type == KeyType.EC:
        try:
            params = bytes(obj[Attribute.EC_PARAMS])
        except Exception:  # noqa: BLE001 - no readable parameters: an ordinary EC key
            params = b""
        return "sm2" if params == SM2_CURVE_PARAMS else "ec"
    if sm2 is not None and sm2.key_type is not None and int(key_type) == sm2.key_type:
        return "sm2"
    raise MechanismUnsupported(f"key type {key_type!r}", mechanism=str(key_type))


# --- the session plumbing -------------------------------------------------------------------------
class SessionObjects:
    """A logged-in python-pkcs11 session on one token, run on the module's worker thread.

    After the token is removed (`mark_removed`, or a call that finds it gone) every call raises
    TokenRemoved at once, without touching the module.
    """

    def __init__(self, module: LoadedModule, token: TokenInfo, session: Any) -> None:
        self.token = token
        self._module = module
        self._session = session
        self._closed = False
        self._removed = False

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._closed

    @property
    def removed(self) -> bool:
        """True once the token was seen removed: the session is dead."""
        return self._removed

    def mark_removed(self) -> None:
        """The token is gone: close the PKCS#11 session; every further call raises TokenRemoved."""
        if self._removed:
            return
        self._removed = True
        self._module.worker.call(lambda: close_quietly(self._session))

    def _present(self) -> bool:
        """Whether the token of this session is still there (worker thread)."""
        rv, raw = self._module.raw.token_info(self.token.slot_id)
        return rv == CKR_OK and raw is not None and decode_text(raw.serial) == self.token.serial

    def _gone(self, detail: str) -> TokenRemoved:
        """Invalidate every session of this token (worker thread) and return the error to raise."""
        for session in self._module.take_sessions(self.token.serial):
            session.mark_removed()
        self.mark_removed()
        return TokenRemoved(detail)

    def _run(self, fn: Callable[[], Any], on_error: Callable[[BaseException], SealDeskError]) -> Any:
        if self._closed:
            raise TokenError("session closed")
        if self._removed:
            raise TokenRemoved(f"token {self.token.serial} was removed")
        exc = pkcs11_exc()

        def guarded() -> Any:
            try:
                return fn()
            except exc.PKCS11Error as err:
                if is_removal(err) or not self._present():
                    raise self._gone(name(err)) from None
                raise on_error(err) from None
            except TokenRemoved as err:
                raise self._gone(err.detail) from None
            except KeyNotFound:
                if not self._present():
                    raise self._gone("key vanished with the token") from None
                raise

        return self._module.worker.call(guarded)

    @staticmethod
    def _generic(what: str) -> Callable[[BaseException], SealDeskError]:
        return lambda err: TokenError(f"{what}: {name(err)}")

    def _private_key(self, key_id: bytes) -> Any:
        from pkcs11 import Attribute, ObjectClass

        for obj in self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: key_id}):
            return obj
        raise KeyNotFound(f"no private key with CKA_ID {key_id.hex()}")
