"""Build GB/T 38540-2020 (v4) and GM/T 0031-2025 (v5) seals.

The signing itself is the caller's: `sign` receives the DER of SES_SealInfo and returns the signature
value, so the maker key can live anywhere (token, soft key, test key).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from asn1crypto import core

from ..errors import InvalidArgument
from . import asn1
from .model import SealPicture


def _string(text: str, kind: str = "ia5") -> asn1.AnyString:
    return asn1.AnyString(name=kind, value=text)


def _generalized(moment: datetime, what: str) -> asn1.AnyTime:
    if moment.tzinfo is None:
        raise InvalidArgument(f"{what} is a naive datetime", what=what)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    return asn1.AnyTime(name="generalized", value=core.GeneralizedTime(moment))


def _ascii(value: str, what: str) -> str:
    if not value.isascii():
        raise InvalidArgument(f"{what} must be ASCII (IA5String)", what=what)
    return value


def build_seal_v4(
    *,
    es_id: str,
    vid: str,
    seal_type: int,
    name: str,
    certs: Sequence[bytes] = (),
    cert_digests: Sequence[tuple[str, bytes]] = (),
    create_date: datetime,
    valid_start: datetime,
    valid_end: datetime,
    picture: SealPicture,
    maker_cert: bytes,
    sign_alg: str,
    sign: Callable[[bytes], bytes],
    version: int = 4,
) -> bytes:
    """The DER of a v4 seal (header version 4) or, with `version=5`, a v5 seal without time stamp.

    Bind signer certificates either by `certs` (certListType 1) or by `cert_digests` (certListType 2,
    e.g. ("SM3", sm3(cert_der))), not both.
    """
    if version not in (4, 5):
        raise InvalidArgument(f"seal version {version}", what="seal version")
    if certs and cert_digests:
        raise InvalidArgument("both certs and cert_digests given", what="seal certificate list")
    if valid_end < valid_start:
        raise InvalidArgument("validEnd before validStart", what="seal validity")
    if cert_digests:
        cert_list_type = 2
        cert_list: core.Asn1Value = asn1.CertDigestList(
            [
                asn1.CertDigestObj(
                    {"type": _string(_ascii(kind, "digest type"), "printable"), "value": value}
                )
                for kind, value in cert_digests
            ]
        )
    else:
        cert_list_type = 1
        cert_list = asn1.CertList([bytes(cert) for cert in certs])

    prop = asn1.PropertyInfoV4(
        {
            "type": seal_type,
            "name": name,
            "cert_list_type": cert_list_type,
            "cert_list": core.Any(cert_list),
            "create_date": _generalized(create_date, "createDate"),
            "valid_start": _generalized(valid_start, "validStart"),
            "valid_end": _generalized(valid_end, "validEnd"),
        }
    )
    seal_info = asn1.SealInfo(
        {
            "header": asn1.Header(
                {"id": _string("ES"), "version": version, "vid": _string(_ascii(vid, "Vid"))}
            ),
            "es_id": _string(_ascii(es_id, "esID")),
            "property": core.Any(prop),
            "picture": asn1.PictureInfo(
                {
                    "type": _string(_ascii(picture.type, "picture type")),
                    "data": picture.data,
                    "width": round(picture.width_mm),
                    "height": round(picture.height_mm),
                }
            ),
        }
    )
    seal_info_der = seal_info.dump()
    signed_value = sign(seal_info_der)
    seal = asn1.SealV4(
        {
            "seal_info": asn1.SealInfo.load(seal_info_der),
            "cert": bytes(maker_cert),
            "sign_alg_id": sign_alg,
            "signed_value": asn1.AnyBytes(name="bits", value=signed_value),
        }
    )
    return seal.dump()


def build_ses_signature_v4(
    *,
    seal_der: bytes,
    data: bytes,
    property_info: str,
    time_info: datetime,
    cert: bytes,
    sign_alg: str,
    sign: Callable[[bytes], bytes],
) -> bytes:
    """The DER of a GB/T 38540 v4 SES_Signature over `data` (e.g. a signed PDF, for systems that expect one).

    TBS_Sign = {version 4, the seal, timeInfo, dataHash (SM3 for SM2, else the algorithm's SHA-2),
    propertyInfo (IA5String: percent-encoded when not ASCII)}; `sign` receives the DER of TBS_Sign and
    returns the signature value (for SM2: an Sm2MessageSigner's `sign_message`).
    """
    from urllib.parse import quote

    from .verify import data_hash_for

    tbs = asn1.TbsSignV4(
        {
            "version": 4,
            "eseal": core.Any.load(bytes(seal_der)),
            "time_info": core.Any(_generalized(time_info, "timeInfo").chosen),
            "data_hash": asn1.AnyBytes(name="bits", value=data_hash_for(sign_alg, data)),
            "property_info": _string(quote(property_info, safe="/:._-")),
        }
    )
    tbs_der = tbs.dump()
    return asn1.SignatureV4(
        {
            "to_sign": asn1.TbsSignV4.load(tbs_der),
            "cert": bytes(cert),
            "signature_alg_id": sign_alg,
            "signature": asn1.AnyBytes(name="bits", value=sign(tbs_der)),
        }
    ).dump()
