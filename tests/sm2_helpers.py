"""SM2 test keys and certificates in software: a multi-level SM2 CA (root → intermediate → holder) built
with asn1crypto and signed with gm.sm2_sign (cryptography has no SM2), software signers that follow the
same `Sm2MessageSigner` protocol as the token session's `sm2_signer(key_id)`, and OpenSSL helpers for
checking SM2 signatures independently.
"""

from __future__ import annotations

import datetime as dt
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import keys, pem, x509

from app.core import gm

DIST_ID = "1234567812345678"


@dataclass
class Sm2Key:
    """A software SM2 key with its certificate: an Sm2MessageSigner."""

    scalar: int
    certificate: bytes
    signed: list[bytes] = field(default_factory=list)
    """Every message signed (so tests can check exactly what the key saw)."""

    def sign_message(self, message: bytes) -> bytes:
        self.signed.append(bytes(message))
        return gm.sm2_sign(self.scalar, message)

    @property
    def point(self) -> bytes:
        return gm.sm2_public_point_from_private(self.scalar)

    def public_pem(self) -> bytes:
        spki = keys.PublicKeyInfo(
            {
                "algorithm": {
                    "algorithm": "ec",
                    "parameters": keys.ECDomainParameters(name="named", value=gm.SM2_CURVE_OID),
                },
                "public_key": self.point,
            }
        )
        return pem.armor("PUBLIC KEY", spki.dump())


def new_scalar() -> int:
    return secrets.randbelow(0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123 - 2) + 1


def sm2_certificate(
    subject: str,
    issuer: x509.Name | None,
    point: bytes,
    signer_scalar: int,
    *,
    ca: bool = False,
    path_length: int | None = None,
    key_usage: set[str] | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    org: str = "某某市测试有限公司",
) -> bytes:
    """An SM2-with-SM3 certificate (issuer None: self-signed)."""
    gm.register_oids()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    name = x509.Name.build({"country_name": "CN", "organization_name": org, "common_name": subject})
    usage = (
        key_usage
        if key_usage is not None
        else ({"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"})
    )
    constraints: dict = {"ca": ca}
    if ca and path_length is not None:
        constraints["path_len_constraint"] = path_length
    extensions = [{"extn_id": "basic_constraints", "critical": True, "extn_value": constraints}]
    if usage:
        extensions.append({"extn_id": "key_usage", "critical": True, "extn_value": usage})
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(63),
            "signature": {"algorithm": gm.SM2_WITH_SM3_OID},
            "issuer": issuer if issuer is not None else name,
            "validity": {
                "not_before": x509.Time({"utc_time": not_before or now - dt.timedelta(days=1)}),
                "not_after": x509.Time({"utc_time": not_after or now + dt.timedelta(days=365)}),
            },
            "subject": name,
            "subject_public_key_info": keys.PublicKeyInfo(
                {
                    "algorithm": {
                        "algorithm": "ec",
                        "parameters": keys.ECDomainParameters(name="named", value=gm.SM2_CURVE_OID),
                    },
                    "public_key": point,
                }
            ),
            "extensions": extensions,
        }
    )
    return x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": gm.SM2_WITH_SM3_OID},
            "signature_value": gm.sm2_sign(signer_scalar, tbs.dump()),
        }
    ).dump()


@dataclass
class Sm2CA:
    """An SM2 CA: root, optionally an intermediate that issues the holders."""

    root: Sm2Key
    intermediate: Sm2Key | None = None

    @classmethod
    def create(cls, name: str = "SM2 Test Root CA", *, intermediate: bool = True) -> Sm2CA:
        root_scalar = new_scalar()
        root_der = sm2_certificate(
            name, None, gm.sm2_public_point_from_private(root_scalar), root_scalar, ca=True
        )
        root = Sm2Key(root_scalar, root_der)
        if not intermediate:
            return cls(root)
        mid_scalar = new_scalar()
        mid_der = sm2_certificate(
            f"{name} Intermediate", _subject(root_der), gm.sm2_public_point_from_private(mid_scalar), root_scalar,
            ca=True, path_length=0,
        )  # fmt: skip
        return cls(root, Sm2Key(mid_scalar, mid_der))

    @property
    def root_der(self) -> bytes:
        return self.root.certificate

    @property
    def issuer(self) -> Sm2Key:
        return self.intermediate or self.root

    @property
    def chain(self) -> list[bytes]:
        """The CA certificates to embed next to a holder's (intermediate and root)."""
        return [c.certificate for c in (self.intermediate, self.root) if c is not None]

    def issue(self, cn: str, *, scalar: int | None = None, by_root: bool = False, **kw) -> Sm2Key:
        """An end certificate from the intermediate (or, `by_root`, from the root itself)."""
        scalar = scalar or new_scalar()
        issuer = self.root if by_root else self.issuer
        der = sm2_certificate(
            cn, _subject(issuer.certificate), gm.sm2_public_point_from_private(scalar), issuer.scalar, **kw
        )
        return Sm2Key(scalar, der)


def _subject(cert_der: bytes) -> x509.Name:
    return x509.Certificate.load(cert_der).subject


def write_pem(path: Path, cert_der: bytes) -> Path:
    path.write_bytes(pem.armor("CERTIFICATE", cert_der))
    return path


def openssl_sm2_verify(
    tmp: Path, public_pem: bytes, message: bytes, signature: bytes
) -> subprocess.CompletedProcess:
    """`openssl dgst -sm3 -verify` with the default SM2 ID: OpenSSL's own SM2 (Z value, SM3, curve)."""
    (tmp / "pub.pem").write_bytes(public_pem)
    (tmp / "msg.bin").write_bytes(message)
    (tmp / "sig.der").write_bytes(signature)
    return subprocess.run(
        [
            "openssl",
            "dgst",
            "-sm3",
            "-verify",
            str(tmp / "pub.pem"),
            "-sigopt",
            f"distid:{DIST_ID}",
            "-signature",
            str(tmp / "sig.der"),
            str(tmp / "msg.bin"),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
    )
