"""Parse SESeal (v1, v4, v5) and SES_Signature (v1, v4) into value objects.

Every failure, whatever asn1crypto raises, becomes `SealFormatError` with a technical detail. The bytes
that signatures cover are taken from the original encoding, never re-encoded.
"""

from __future__ import annotations

from datetime import UTC, datetime

from asn1crypto import core

from ..errors import SealFormatError
from . import asn1
from .model import Seal, SealPicture, SesSignature


def _time(value: core.Asn1Value) -> datetime:
    """A UTCTime/GeneralizedTime (possibly wrapped in a Choice) as an aware UTC datetime."""
    if isinstance(value, core.Choice):
        value = value.chosen
    if isinstance(value, core.Any):
        value = value.parsed
    if isinstance(value, core.UTCTime | core.GeneralizedTime):
        moment = value.native
    elif isinstance(value, core.BitString | core.OctetBitString | core.OctetString | core.AbstractString):
        # v1 TBS_Sign.timeInfo is a BIT STRING; it holds a time written as text
        if isinstance(value, core.AbstractString):
            raw = value.native.encode()
        elif isinstance(value, core.OctetString):
            raw = value.native
        else:
            raw = value.contents[1:]  # skip the unused-bits count
        moment = _time_from_text(raw.decode("ascii", "strict").strip("\x00 "))
    else:
        raise ValueError(f"not a time: {value.__class__.__name__}")
    if not isinstance(moment, datetime):
        raise ValueError("time value without a date")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _time_from_text(text: str) -> datetime:
    for fmt in ("%Y%m%d%H%M%SZ", "%Y%m%d%H%M%S", "%y%m%d%H%M%SZ", "%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S.%fZ"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"unreadable time {text!r}")


def _text(value: core.Asn1Value) -> str:
    if isinstance(value, core.Choice):
        value = value.chosen
    native = value.native
    if not isinstance(native, str):
        raise ValueError("expected a string")
    return native


def _bytes(value: core.Asn1Value) -> bytes:
    if isinstance(value, core.Choice):
        value = value.chosen
    if isinstance(value, core.OctetBitString):
        return bytes(value)
    return value.native


def _load(cls: type[core.Asn1Value], der: bytes) -> core.Asn1Value:
    value = cls.load(der, strict=True)
    value.native  # noqa: B018 - force the lazy parse of every field now, so errors surface here
    return value


def _element_count(der: bytes) -> int:
    generic = core.Sequence.load(der, strict=True)
    return len(generic)


def _der_sequence(body: bytes) -> bytes:
    """DER SEQUENCE around already-encoded elements (kept byte for byte)."""
    if len(body) < 0x80:
        return b"\x30" + bytes([len(body)]) + body
    length = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return b"\x30" + bytes([0x80 | len(length)]) + length + body


def _seal_info_fields(info: asn1.SealInfo) -> dict:
    header = info["header"]
    if _text(header["id"]) != "ES":
        raise ValueError(f"header ID is {_text(header['id'])!r}, not 'ES'")
    prop_der = info["property"].dump()
    count = _element_count(prop_der)
    if count == 6:
        prop = _load(asn1.PropertyInfoV1, prop_der)
        cert_list_type = 1
        certs = tuple(item.native for item in prop["cert_list"])
        digests: tuple[tuple[str, bytes], ...] = ()
    elif count == 7:
        prop = _load(asn1.PropertyInfoV4, prop_der)
        cert_list_type = prop["cert_list_type"].native
        list_der = prop["cert_list"].dump()
        if cert_list_type == 1:
            certs = tuple(item.native for item in _load(asn1.CertList, list_der))
            digests = ()
        elif cert_list_type == 2:
            certs = ()
            digests = tuple(
                (_text(obj["type"]), obj["value"].native) for obj in _load(asn1.CertDigestList, list_der)
            )
        else:
            raise ValueError(f"unknown certListType {cert_list_type}")
    else:
        raise ValueError(f"SES_ESPropertyInfo has {count} elements")
    picture = info["picture"]
    return {
        "vid": _text(header["vid"]),
        "header_version": header["version"].native,
        "es_id": _text(info["es_id"]),
        "type": prop["type"].native,
        "name": prop["name"].native,
        "cert_list_type": cert_list_type,
        "certs": certs,
        "cert_digests": digests,
        "create_date": _time(prop["create_date"]),
        "valid_start": _time(prop["valid_start"]),
        "valid_end": _time(prop["valid_end"]),
        "picture": SealPicture(
            type=_text(picture["type"]).upper(),
            data=picture["data"].native,
            width_mm=float(picture["width"].native),
            height_mm=float(picture["height"].native),
        ),
    }


def _parse_seal(der: bytes) -> Seal:
    count = _element_count(der)
    if count == 2:
        seal = _load(asn1.SealV1, der)
        fields = _seal_info_fields(seal["seal_info"])
        sign_info = seal["sign_info"]
        maker_cert = sign_info["cert"].native
        sign_alg = sign_info["signature_algorithm"].dotted
        tbs = _der_sequence(
            seal["seal_info"].dump() + sign_info["cert"].dump() + sign_info["signature_algorithm"].dump()
        )
        signed_value = _bytes(sign_info["sign_data"])
        version, time_stamp = 1, None
    elif count in (4, 5):
        seal = _load(asn1.SealV4, der)
        fields = _seal_info_fields(seal["seal_info"])
        maker_cert = seal["cert"].native
        sign_alg = seal["sign_alg_id"].dotted
        tbs = seal["seal_info"].dump()
        signed_value = _bytes(seal["signed_value"])
        time_stamp = bytes(seal["time_stamp"]) if seal["time_stamp"].native is not None else None
        version = 5 if count == 5 or fields["header_version"] == 5 else 4
    else:
        raise ValueError(f"SESeal has {count} elements")
    del fields["header_version"]
    return Seal(
        version=version,
        **fields,
        maker_cert=maker_cert,
        sign_alg=sign_alg,
        signed_value=signed_value,
        der=bytes(der),
        maker_tbs=tbs,
        time_stamp=time_stamp,
    )


def parse_seal(der: bytes) -> Seal:
    """Parse a SESeal of any supported version; raises SealFormatError when it is not one."""
    try:
        return _parse_seal(bytes(der))
    except SealFormatError:
        raise
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError, IndexError…
        raise SealFormatError(f"SESeal: {exc.__class__.__name__}: {exc}") from exc


def _parse_signature(der: bytes) -> SesSignature:
    count = _element_count(der)
    if count == 2:
        sig = _load(asn1.SignatureV1, der)
        tbs = sig["to_sign"]
        cert = tbs["cert"].native
        sign_alg = tbs["signature_algorithm"].dotted
        timestamp = None
    elif count in (4, 5):
        sig = _load(asn1.SignatureV4, der)
        tbs = sig["to_sign"]
        cert = sig["cert"].native
        sign_alg = sig["signature_alg_id"].dotted
        timestamp = bytes(sig["time_stamp"]) if sig["time_stamp"].native is not None else None
    else:
        raise ValueError(f"SES_Signature has {count} elements")
    seal = parse_seal(tbs["eseal"].dump())
    return SesSignature(
        version=tbs["version"].native,
        seal=seal,
        time_info=_time(tbs["time_info"]),
        data_hash=_bytes(tbs["data_hash"]),
        property_info=_text(tbs["property_info"]),
        cert=cert,
        sign_alg=sign_alg,
        signature=_bytes(sig["signature"]),
        tbs_der=tbs.dump(),
        timestamp=timestamp,
        der=bytes(der),
    )


def parse_ses_signature(der: bytes) -> SesSignature:
    """Parse a SES_Signature (v1 or v4, also v5 seals inside); raises SealFormatError when it is not one."""
    try:
        return _parse_signature(bytes(der))
    except SealFormatError:
        raise
    except Exception as exc:
        raise SealFormatError(f"SES_Signature: {exc.__class__.__name__}: {exc}") from exc
