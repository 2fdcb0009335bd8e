"""asn1crypto definitions of the seal structures (GM/T 0031-2014 v1, GB/T 38540-2020 v4, GM/T 0031-2025 v5).

The definitions are deliberately tolerant where real files deviate from the standards: any time type
where UTCTime or GeneralizedTime is specified, OCTET STRING or BIT STRING for binary values, and any
common string type for the IA5String / PrintableString fields. See docs/seal-format.md.
"""

from __future__ import annotations

from asn1crypto import core


class AnyTime(core.Choice):
    """UTCTime or GeneralizedTime, whichever the file uses."""

    _alternatives = [("utc", core.UTCTime), ("generalized", core.GeneralizedTime)]


class AnyBytes(core.Choice):
    """BIT STRING or OCTET STRING, whichever the file uses."""

    _alternatives = [("bits", core.OctetBitString), ("octets", core.OctetString)]


class AnyString(core.Choice):
    """IA5String as specified, or the string types some vendors write instead."""

    _alternatives = [
        ("ia5", core.IA5String),
        ("printable", core.PrintableString),
        ("utf8", core.UTF8String),
        ("visible", core.VisibleString),
        ("bmp", core.BMPString),
    ]


class Header(core.Sequence):
    _fields = [("id", AnyString), ("version", core.Integer), ("vid", AnyString)]


class PictureInfo(core.Sequence):
    _fields = [
        ("type", AnyString),
        ("data", core.OctetString),
        ("width", core.Integer),
        ("height", core.Integer),
    ]


class ExtData(core.Sequence):
    _fields = [
        ("extn_id", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extn_value", core.OctetString),
    ]


class ExtensionDatas(core.SequenceOf):
    _child_spec = ExtData


class CertList(core.SequenceOf):
    """certs: SEQUENCE OF OCTET STRING (each a DER certificate)."""

    _child_spec = core.OctetString


class CertDigestObj(core.Sequence):
    _fields = [("type", AnyString), ("value", core.OctetString)]


class CertDigestList(core.SequenceOf):
    _child_spec = CertDigestObj


class PropertyInfoV1(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("cert_list", CertList),
        ("create_date", AnyTime),
        ("valid_start", AnyTime),
        ("valid_end", AnyTime),
    ]


class PropertyInfoV4(core.Sequence):
    """v4/v5 property info; `cert_list` is CertList (type 1) or CertDigestList (type 2)."""

    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("cert_list_type", core.Integer),
        ("cert_list", core.Any),
        ("create_date", AnyTime),
        ("valid_start", AnyTime),
        ("valid_end", AnyTime),
    ]


class SealInfo(core.Sequence):
    """SES_SealInfo; `property` is PropertyInfoV1 or PropertyInfoV4, chosen by its element count."""

    _fields = [
        ("header", Header),
        ("es_id", AnyString),
        ("property", core.Any),
        ("picture", PictureInfo),
        ("ext_datas", ExtensionDatas, {"optional": True}),
    ]


class SignInfoV1(core.Sequence):
    _fields = [
        ("cert", core.OctetString),
        ("signature_algorithm", core.ObjectIdentifier),
        ("sign_data", AnyBytes),
    ]


class SealV1(core.Sequence):
    _fields = [("seal_info", SealInfo), ("sign_info", SignInfoV1)]


class SealV4(core.Sequence):
    """v4 SESeal; v5 adds the optional time stamp."""

    _fields = [
        ("seal_info", SealInfo),
        ("cert", core.OctetString),
        ("sign_alg_id", core.ObjectIdentifier),
        ("signed_value", AnyBytes),
        ("time_stamp", core.OctetBitString, {"explicit": 0, "optional": True}),
    ]


class TbsSignV1(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("eseal", core.Any),
        ("time_info", core.Any),
        ("data_hash", AnyBytes),
        ("property_info", AnyString),
        ("cert", core.OctetString),
        ("signature_algorithm", core.ObjectIdentifier),
    ]


class SignatureV1(core.Sequence):
    _fields = [("to_sign", TbsSignV1), ("signature", AnyBytes)]


class TbsSignV4(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("eseal", core.Any),
        ("time_info", core.Any),
        ("data_hash", AnyBytes),
        ("property_info", AnyString),
        ("ext_datas", ExtensionDatas, {"explicit": 0, "optional": True}),
    ]


class SignatureV4(core.Sequence):
    _fields = [
        ("to_sign", TbsSignV4),
        ("cert", core.OctetString),
        ("signature_alg_id", core.ObjectIdentifier),
        ("signature", AnyBytes),
        ("time_stamp", core.OctetBitString, {"explicit": 0, "optional": True}),
    ]
