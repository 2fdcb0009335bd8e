"""Signed OFDs made in tests, independently of SealDesk's own OFD stamping: GB/T 33190 signature files
(Signatures.xml, Signature.xml with SM3 References, Seal.esl, SignedValue.dat) written the way ofdrw
writes them, the SES_Signature a GB/T 38540 v4 one made by a software SM2 key (sm2_helpers), its seal
issued by a software SM2 maker under a test root. The verifier must accept these and see any change.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ofd_documents import NS, write_ofd
from pdf_helpers import seal_png
from sm2_helpers import Sm2CA, Sm2Key, new_scalar, sm2_certificate

from app.core import gm
from app.core.ses import SealPicture, build_seal_v4, build_ses_signature_v4, kinds

SIGNATURES = "Doc_0/Signs/Signatures.xml"


@dataclass
class SealHolder:
    """A test root, a seal maker and a signer under it, and the signer's v4 seal (its picture a PNG)."""

    ca: Sm2CA
    maker: Sm2Key
    signer: Sm2Key
    seal_der: bytes

    @classmethod
    def create(
        cls,
        *,
        picture: bytes | None = None,
        ca: Sm2CA | None = None,
        valid_from: dt.datetime | None = None,
        days: int = 365,
    ) -> SealHolder:
        """Certificates and seal valid for `days` from `valid_from` (default yesterday)."""
        start = (valid_from or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(microsecond=0)
        end = start + dt.timedelta(days=days)
        if ca is None:  # a root valid from before the certificates until after now
            scalar = new_scalar()
            root = sm2_certificate(
                "OFD Test Root",
                None,
                gm.sm2_public_point_from_private(scalar),
                scalar,
                ca=True,
                not_before=start - dt.timedelta(days=1),
                not_after=max(end, dt.datetime.now(dt.UTC)) + dt.timedelta(days=365),
            )
            ca = Sm2CA(Sm2Key(scalar, root))
        maker = ca.issue("测试印章制作系统", by_root=True, not_before=start, not_after=end)
        signer = ca.issue("测试单位", by_root=True, not_before=start, not_after=end)
        seal_der = make_sm2_seal(maker, signer.certificate, start=start, end=end, picture=picture)
        return cls(ca, maker, signer, seal_der)

    @property
    def root_der(self) -> bytes:
        return self.ca.root_der


def make_sm2_seal(
    maker: Sm2Key, signer_cert: bytes, *, start: dt.datetime, end: dt.datetime, picture: bytes | None = None
) -> bytes:
    """A v4 official seal binding `signer_cert`, signed by `maker` with SM2."""
    return build_seal_v4(
        es_id=f"OFD{uuid.uuid4().hex[:12].upper()}",
        vid="SealDesk-Test",
        seal_type=kinds.OFFICIAL_LEGAL_NAME,
        name="测试单位公章",
        certs=[signer_cert],
        create_date=start,
        valid_start=start,
        valid_end=end,
        picture=SealPicture("PNG", picture or seal_png(), 40.0, 40.0),
        maker_cert=maker.certificate,
        sign_alg=gm.SM2_WITH_SM3_OID,
        sign=maker.sign_message,
    )


def other_picture() -> bytes:
    """A seal picture that is clearly not seal_png(): a blue square frame."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((10, 10, 189, 189), outline=(0, 0, 220, 255), width=20)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def read_parts(path: Path) -> dict[str, bytes]:
    """Every file of a package, by name (directories left out)."""
    with zipfile.ZipFile(path) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist() if not i.filename.endswith("/")}


def _text(data: str | bytes) -> str:
    return data.decode("utf-8") if isinstance(data, bytes) else data


def sign_parts(
    parts: dict[str, str | bytes],
    holder: SealHolder,
    *,
    page_id: str = "1",
    boundary: str = "50 50 40 40",
    seal_file: bytes | None = None,
    protect_signatures: bool = False,
    time_info: dt.datetime | None = None,
    unprotected: tuple[str, ...] = (),
    kind: str = "Seal",
    version: int = 4,
) -> dict[str, bytes]:
    """`parts` with one more seal signature (Type="Seal"), as ofdrw writes it: the Signatures.xml entry
    first, then References to every file but Signatures.xml (unless `protect_signatures`, ofdrw's "whole
    protected" mode), the signature's own files and `unprotected`. `seal_file`: the bytes written as
    Seal.esl (default the seal itself). `kind="Sign"`: a plain signature instead (no seal, no stamp; the
    SignedValue a PKCS#7 SignedData made with SM2 as GB/T 35275 describes, `cms_signed_data`)."""
    out = {name: data.encode("utf-8") if isinstance(data, str) else data for name, data in parts.items()}
    if SIGNATURES not in out:
        ofd_xml = _text(out["OFD.xml"])
        out["OFD.xml"] = ofd_xml.replace(
            "</ofd:DocBody>", f"<ofd:Signatures>/{SIGNATURES}</ofd:Signatures></ofd:DocBody>"
        ).encode()
        out[SIGNATURES] = f'<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="{NS}"/>'.encode()
    number = len(re.findall(r"<ofd:Signature ", _text(out[SIGNATURES])))
    folder = f"Doc_0/Signs/Sign_{number}"
    entry = f'<ofd:Signature ID="{number + 1}" Type="{kind}" BaseLoc="/{folder}/Signature.xml"/>'
    signatures = _text(out[SIGNATURES])
    signatures = (
        signatures.replace("/>", f">{entry}</ofd:Signatures>", 1)
        if signatures.rstrip().endswith("/>")
        else signatures.replace("</ofd:Signatures>", f"{entry}</ofd:Signatures>")
    )
    out[SIGNATURES] = signatures.encode()
    if kind == "Seal":
        out[f"{folder}/Seal.esl"] = seal_file if seal_file is not None else holder.seal_der
    skip = {f"{folder}/Signature.xml", f"{folder}/SignedValue.dat", *unprotected}
    if not protect_signatures:
        skip.add(SIGNATURES)
    references = "".join(
        f'<ofd:Reference FileRef="/{name}"><ofd:CheckValue>{base64.b64encode(gm.sm3(data)).decode()}'
        "</ofd:CheckValue></ofd:Reference>"
        for name, data in sorted(out.items())
        if name not in skip
    )
    moment = (time_info or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    stamp = (
        f'<ofd:StampAnnot ID="{number + 100}" PageRef="{page_id}" Boundary="{boundary}"/>'
        f"<ofd:Seal><ofd:BaseLoc>/{folder}/Seal.esl</ofd:BaseLoc></ofd:Seal>"
        if kind == "Seal"
        else ""
    )
    signature_xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="{NS}"><ofd:SignedInfo>'
        '<ofd:Provider ProviderName="SealDesk tests" Company="SealDesk" Version="1"/>'
        f"<ofd:SignatureMethod>{gm.SM2_WITH_SM3_OID}</ofd:SignatureMethod>"
        f"<ofd:SignatureDateTime>{moment:%Y%m%d%H%M%SZ}</ofd:SignatureDateTime>"
        f'<ofd:References CheckMethod="1.2.156.10197.1.401">{references}</ofd:References>'
        f"{stamp}</ofd:SignedInfo><ofd:SignedValue>/{folder}/SignedValue.dat</ofd:SignedValue></ofd:Signature>"
    ).encode()
    out[f"{folder}/Signature.xml"] = signature_xml
    if kind == "Sign":
        out[f"{folder}/SignedValue.dat"] = cms_signed_data(holder.signer, signature_xml, moment)
        return out
    if version == 1:
        out[f"{folder}/SignedValue.dat"] = ses_signature_v1(
            holder.seal_der, signature_xml, moment, holder.signer
        )
        return out
    out[f"{folder}/SignedValue.dat"] = build_ses_signature_v4(
        seal_der=holder.seal_der,
        data=signature_xml,
        property_info=f"/{folder}/Signature.xml",
        time_info=moment,
        cert=holder.signer.certificate,
        sign_alg=gm.SM2_WITH_SM3_OID,
        sign=holder.signer.sign_message,
    )
    return out


def ses_signature_v1(seal_der: bytes, data: bytes, moment: dt.datetime, key: Sm2Key) -> bytes:
    """A GM/T 0031-2014 (v1) SES_Signature over `data` as ofdrw's v1 container writes it: timeInfo a BIT
    STRING holding the time as text, dataHash SM3, the signer certificate, SM2 over TBS_Sign."""
    from asn1crypto import core

    from app.core.ses import asn1

    tbs = asn1.TbsSignV1(
        {
            "version": 1,
            "eseal": core.Any.load(seal_der),
            "time_info": core.Any(core.OctetBitString(f"{moment:%Y%m%d%H%M%S}Z".encode())),
            "data_hash": asn1.AnyBytes(name="bits", value=gm.sm3(data)),
            "property_info": asn1.AnyString(name="ia5", value="/Doc_0/Signs/Sign_0/Signature.xml"),
            "cert": key.certificate,
            "signature_algorithm": gm.SM2_WITH_SM3_OID,
        }
    )
    tbs_der = tbs.dump()
    return asn1.SignatureV1(
        {
            "to_sign": asn1.TbsSignV1.load(tbs_der),
            "signature": asn1.AnyBytes(name="bits", value=key.sign_message(tbs_der)),
        }
    ).dump()


def cms_signed_data(key: Sm2Key, data: bytes, moment: dt.datetime) -> bytes:
    """A detached PKCS#7 SignedData over `data`: SM3 digest, SM2 signature over the signed attributes
    (contentType, messageDigest, signingTime), the signer's certificate embedded."""
    from asn1crypto import cms, x509

    gm.register_oids()
    cert = x509.Certificate.load(key.certificate)
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [gm.sm3(data)]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": moment})]}),
        ]
    )
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
            ),
            "digest_algorithm": {"algorithm": gm.SM3_OID},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": gm.SM2_WITH_SM3_OID},
            "signature": key.sign_message(attrs.dump()),
        }
    )
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": gm.SM3_OID}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cert],
            "signer_infos": [signer],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def write_parts(path: Path, parts: dict[str, bytes]) -> Path:
    return write_ofd(path, dict(parts))
