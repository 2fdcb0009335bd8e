"""Creating SealDesk's objects on a token: key pairs, certificates and seals.

Separate from reading and signing because only provisioning (the demo key, tests, importing a seal
file) writes to a key; the templates here are the object layout of docs/token-layout.md, and they
are what every reader in objects.py expects to find.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import CertificateInvalid, InvalidArgument, MechanismUnsupported, SealNotFound, TokenRemoved
from .model import SEAL_APPLICATION
from .objects import SessionObjects, find_certificates, find_seal_objects, seal_key_id
from .p11 import sign_error

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes


def unwrap_ec_point(value: bytes) -> bytes:
    """CKA_EC_POINT is a DER OCTET STRING on conforming tokens, the bare point on some others."""
    from asn1crypto import core

    if value[:1] == b"\x04" and len(value) > 2:
        try:
            inner = core.OctetString.load(value).native
        except ValueError:
            return value
        if isinstance(inner, bytes) and inner[:1] in (b"\x02", b"\x03", b"\x04"):
            return inner
    return value


class Provisioning(SessionObjects):
    """The writing half of a logged-in session (KeySession adds reading and signing)."""

    def generate_key_pair(self, key_type: str, key_id: bytes, label: str) -> PublicKeyTypes:
        """Generate a token key pair ("rsa2048" | "ec-p256"); returns the `cryptography` public key.

        The private key is CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not extractable, sign-only.
        """
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag
        from pkcs11.util.ec import encode_named_curve_parameters

        if key_type not in ("rsa2048", "ec-p256"):
            raise MechanismUnsupported(f"key type {key_type}", mechanism=key_type)
        private_template = {
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.PRIVATE: True,
            Attribute.SIGN: True,
            Attribute.DECRYPT: False,
            Attribute.UNWRAP: False,
            Attribute.DERIVE: False,
        }
        public_template: dict[Any, Any] = {Attribute.VERIFY: True, Attribute.PRIVATE: False}
        capabilities = MechanismFlag.SIGN | MechanismFlag.VERIFY

        def run() -> tuple[str, Any]:
            if key_type == "rsa2048":
                pub, _ = self._session.generate_keypair(
                    KeyType.RSA, 2048, id=key_id, label=label, store=True, capabilities=capabilities,
                    public_template=public_template, private_template=private_template,
                )  # fmt: skip
                return "rsa", (bytes(pub[Attribute.MODULUS]), bytes(pub[Attribute.PUBLIC_EXPONENT]))
            public_template[Attribute.EC_PARAMS] = encode_named_curve_parameters("secp256r1")
            pub, _ = self._session.generate_keypair(
                KeyType.EC, id=key_id, label=label, store=True, capabilities=capabilities,
                mechanism=Mechanism.EC_KEY_PAIR_GEN,
                public_template=public_template, private_template=private_template,
            )  # fmt: skip
            return "ec", bytes(pub[Attribute.EC_POINT])

        kind, value = self._run(run, sign_error(f"generating {key_type}"))
        if kind == "rsa":
            modulus, exponent = value
            return rsa.RSAPublicNumbers(int.from_bytes(exponent, "big"), int.from_bytes(modulus, "big")).public_key()
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unwrap_ec_point(value))

    def import_sm2_key(self, key_id: bytes, label: str, private_key: int) -> bytes:
        """Store an SM2 key pair made in software (the SM2 demo identity); returns the point 04||X||Y.

        The private key gets the module's SM2 key type from the catalog, is sensitive and not extractable,
        sign-only; the public key is stored beside it (CKA_EC_POINT: DER OCTET STRING).
        """
        from asn1crypto import core
        from pkcs11 import Attribute, KeyType, ObjectClass

        from .. import gm
        from .sm2 import SM2_CURVE_PARAMS, profile_of

        point = gm.sm2_public_point_from_private(private_key)
        key_type = profile_of(self._module.spec.sm2).key_type
        common: dict[Any, Any] = {
            Attribute.KEY_TYPE: key_type if key_type is not None else KeyType.EC,
            Attribute.TOKEN: True,
            Attribute.ID: key_id,
            Attribute.LABEL: label,
            Attribute.EC_PARAMS: SM2_CURVE_PARAMS,
            Attribute.EC_POINT: core.OctetString(point).dump(),
        }
        private = {
            **common,
            Attribute.CLASS: ObjectClass.PRIVATE_KEY,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.SIGN: True,
            Attribute.VALUE: private_key.to_bytes(32, "big"),
        }
        public = {**common, Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.PRIVATE: False, Attribute.VERIFY: True}

        def run() -> None:
            self._session.create_object(private)
            self._session.create_object(public)

        self._run(run, sign_error("importing an SM2 key"))
        return point

    def put_certificate(self, key_id: bytes, label: str, cert_der: bytes) -> None:
        """Store an X.509 certificate under the key's CKA_ID (replacing one with the same CKA_ID)."""
        from asn1crypto import core
        from cryptography import x509
        from pkcs11 import Attribute, CertificateType, ObjectClass

        try:
            cert = x509.load_der_x509_certificate(cert_der)
        except ValueError as err:
            raise CertificateInvalid(str(err)) from None
        template = {
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: False,
            Attribute.ID: key_id,
            Attribute.LABEL: label,
            Attribute.SUBJECT: cert.subject.public_bytes(),
            Attribute.ISSUER: cert.issuer.public_bytes(),
            Attribute.SERIAL_NUMBER: core.Integer(cert.serial_number).dump(),
            Attribute.VALUE: cert_der,
        }

        def run() -> None:
            for old in find_certificates(self._session, key_id):
                old.destroy()
            self._session.create_object(template)

        self._run(run, self._generic("storing certificate"))

    def put_seal(self, key_id: bytes, label: str, seal_der: bytes) -> None:
        """Store a seal for the key (replacing a seal with the same key and label)."""
        from pkcs11 import Attribute, ObjectClass

        if not seal_der:
            raise InvalidArgument("empty seal", what="seal")
        template = {
            Attribute.CLASS: ObjectClass.DATA,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: False,
            Attribute.MODIFIABLE: False,
            Attribute.APPLICATION: SEAL_APPLICATION,
            Attribute.OBJECT_ID: key_id,
            Attribute.LABEL: label,
            Attribute.VALUE: seal_der,
        }

        def run() -> None:
            for obj in find_seal_objects(self._session):
                if seal_key_id(obj) == key_id and obj[Attribute.LABEL] == label:
                    obj.destroy()
            self._session.create_object(template)

        self._run(run, self._generic("storing seal"))

    def delete_seal(self, key_id: bytes, label: str) -> None:
        """Delete the seal with this key and label (SealNotFound when absent)."""
        from pkcs11 import Attribute

        def run() -> None:
            found = [
                obj
                for obj in find_seal_objects(self._session)
                if seal_key_id(obj) == key_id and obj[Attribute.LABEL] == label
            ]
            if not found:
                if not self._present():
                    raise TokenRemoved("token vanished")
                raise SealNotFound(seal=label)
            for obj in found:
                obj.destroy()

        self._run(run, self._generic("deleting seal"))
