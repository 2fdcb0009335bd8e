"""Stamp an OFD (GB/T 33190 §18 signatures carrying a GB/T 38540 v4 SES_Signature).

A stamping only ADDS files to the package (Sign_N/Signature.xml, Seal.esl, SignedValue.dat) and rewrites
Signatures.xml — plus OFD.xml once, when the document had no signature list yet. Earlier signatures
protect every file but Signatures.xml (ofdrw's "continue signing" mode, which the verifier expects), so
they keep verifying. A document whose signature list is itself protected (ofdrw's "whole protected" mode)
forbids further signatures and is refused, as ofdrw does.

The new signature protects every file of the new package except Signatures.xml and its own Signature.xml
and SignedValue.dat (the SES_Signature covers Signature.xml through dataHash = SM3(Signature.xml)); its
StampAnnots place the seal's picture on pages in mm, a cross-page slice being the whole seal's Boundary
with a Clip showing that page's part (as ofdrw's riding stamp does).
"""

from __future__ import annotations

import base64
import posixpath
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from lxml import etree

from .. import errors, gm
from .. import placement as geo
from ..i18n_marks import QT_TRANSLATE_NOOP
from . import xml
from .model import Box
from .package import directory_of
from .reader import OfdDocument

NS = "http://www.ofdspec.org/2016"
SM3_CHECK_METHOD = gm.SM3_OID
"""References' CheckMethod: SM3 by its OID, as commercial OFD readers write it (ofdrw writes "SM3";
both are read by every verifier we know, SealDesk's included)."""
PROVIDER = "SealDesk"


class Sm2MessageSigner(Protocol):
    """What signs SignedValue.dat: the token's SM2 key (KeySession.sm2_signer) or a soft key in tests."""

    certificate: bytes

    def sign_message(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class OfdStamp:
    """One StampAnnot: the seal's picture on page `page_index`."""

    page_index: int
    boundary: Box
    """x, y, w, h in the page's mm (PhysicalBox origin included): the whole seal picture."""
    clip: Box | None = None
    """x, y, w, h inside the Boundary: the part shown (a cross-page slice), None for all of it."""


@dataclass(frozen=True)
class SignedOfd:
    """What a stamping added: the new Signature.xml part and the signature's ID in Signatures.xml."""

    signature_part: str
    signature_id: str
    signatures_part: str


def require_sm2_certificate(cert_der: bytes | None) -> None:
    """OFD seal signatures are SM2 (GB/T 38540 with SM3 check values): refuse RSA/ECDSA keys up front,
    before a PIN is asked for, with a message that says so."""
    if not cert_der or not gm.is_sm2_certificate(cert_der):
        raise errors.OfdNeedsSm2Key("OFD stamping needs an SM2 key")


def check_can_sign(ofd: OfdDocument) -> None:
    """Refuse a document whose signature list an earlier signature protects: no signature can be added
    without breaking it (ofdrw's SignatureTerminateException)."""
    if ofd.signatures_part is None:
        return
    for signature in ofd.signatures:
        if any(ref.part == ofd.signatures_part for ref in signature.references):
            raise errors.OfdSignaturesProtected(
                f"{signature.part} protects {ofd.signatures_part}", name=ofd.name
            )


def stamps_for_spots(ofd: OfdDocument, spots: Sequence[geo.StampSpot]) -> list[OfdStamp]:
    """StampAnnots for placement's spots (visible mm = OFD page mm minus the PhysicalBox origin).

    A cross-page slice k of n keeps the whole seal as its Boundary, shifted so that its slice lands on
    the spot, and clips to the slice: every page carries the same picture, each showing its own part.
    """
    out = []
    for spot in spots:
        ox, oy = ofd.pages[spot.page_index].box[:2]
        left, top, right, bottom = spot.box_mm
        if spot.slice_index is None or not spot.slice_count:
            out.append(OfdStamp(spot.page_index, (left + ox, top + oy, right - left, bottom - top)))
            continue
        slice_w = right - left
        width = slice_w * spot.slice_count
        x = left - spot.slice_index * slice_w
        out.append(OfdStamp(
            spot.page_index, (x + ox, top + oy, width, bottom - top),
            (spot.slice_index * slice_w, 0.0, slice_w, bottom - top),
        ))
    return out


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _box(box: Box) -> str:
    return " ".join(_num(v) for v in box)


def _dump(root: xml.Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _ns_of(element: xml.Element) -> str | None:
    tag = element.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else None


def _sub(parent: xml.Element, name: str, text: str | None = None, **attrs: str) -> xml.Element:
    """A child in the parent's namespace (files without a namespace stay without one)."""
    ns = _ns_of(parent)
    element = etree.SubElement(parent, f"{{{ns}}}{name}" if ns else name, attrs)
    if text is not None:
        element.text = text
    return element


def _new_root(name: str) -> xml.Element:
    return etree.Element(f"{{{NS}}}{name}", nsmap={"ofd": NS})


def _with_signatures_link(ofd: OfdDocument, signatures_part: str) -> bytes:
    """OFD.xml with DocBody's <Signatures> naming `signatures_part` (the first signature of a document)."""
    root = xml.parse(ofd.part_bytes(ofd.ofd_part), ofd.ofd_part, ofd.name)
    body = xml.child(root, "DocBody")
    if body is None:
        raise errors.OfdDamaged(f"{ofd.ofd_part}: no DocBody", name=ofd.name,
                                problem=QT_TRANSLATE_NOOP("errors", "it names no document (DocBody/DocRoot)"))
    link = xml.child(body, "Signatures")  # present but empty in some producers' files
    if link is None:
        link = _sub(body, "Signatures")
    link.text = "/" + signatures_part
    return _dump(root)


def _max_sign_id(ofd: OfdDocument, root: xml.Element | None) -> int:
    """The largest ID used in the signature list (MaxSignId, or the IDs themselves when it lies)."""
    used = [0]
    if root is not None:
        used.append(_int(xml.text(root, "MaxSignId")))
        used += [_int(xml.attr(e, "ID")) for e in xml.children(root, "Signature")]
    for signature in ofd.signatures:
        used += [_int(s.id) for s in signature.stamp_annots]
    return max(used)


def _int(value: str) -> int:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return 0


def _new_sign_dir(names: set[str], signs_dir: str) -> str:
    number = 0
    while any(n.startswith(f"{posixpath.join(signs_dir, f'Sign_{number}')}/") for n in names):
        number += 1
    return posixpath.join(signs_dir, f"Sign_{number}")


def _signature_xml(
    *, references: Sequence[tuple[str, bytes]], stamps: Sequence[OfdStamp], page_ids: Sequence[str], first_id: int,
    seal_part: str, value_part: str, moment: datetime, version: str,
) -> bytes:
    root = _new_root("Signature")
    info = _sub(root, "SignedInfo")
    _sub(info, "Provider", ProviderName=PROVIDER, Company=PROVIDER, Version=version)
    _sub(info, "SignatureMethod", gm.SM2_WITH_SM3_OID)
    _sub(info, "SignatureDateTime", moment.astimezone().strftime("%Y-%m-%d %H:%M:%S"))
    refs = _sub(info, "References", CheckMethod=SM3_CHECK_METHOD)
    for part, data in references:
        ref = _sub(refs, "Reference", FileRef="/" + part)
        _sub(ref, "CheckValue", base64.b64encode(gm.sm3(data)).decode("ascii"))
    for number, stamp in enumerate(stamps):
        attrs = {"ID": str(first_id + number), "PageRef": page_ids[stamp.page_index], "Boundary": _box(stamp.boundary)}
        if stamp.clip is not None:
            attrs["Clip"] = _box(stamp.clip)
        _sub(info, "StampAnnot", **attrs)
    seal = _sub(info, "Seal")
    _sub(seal, "BaseLoc", "/" + seal_part)
    _sub(root, "SignedValue", "/" + value_part)
    return _dump(root)


def sign_ofd(
    ofd: OfdDocument,
    out: BinaryIO,
    *,
    signer: Sm2MessageSigner,
    seal_der: bytes,
    stamps: Sequence[OfdStamp],
    moment: datetime,
) -> SignedOfd:
    """Write `ofd` with one more seal signature into `out` (a new zip; the input is only read).

    `moment` is the signing time (SES timeInfo, SignatureDateTime). The key signs once, over the DER
    TBS_Sign; nothing is written to `out` before the signature exists, and a failure leaves `out`
    for the caller to discard (AtomicOutput).
    """
    from ... import __version__
    from ..ses import build_ses_signature_v4

    require_sm2_certificate(signer.certificate)
    check_can_sign(ofd)
    if not stamps:
        raise errors.InvalidArgument(what=QT_TRANSLATE_NOOP("errors", "the seal's position"), detail="no stamps")
    parts = {name: ofd.part_bytes(name) for name in ofd.part_names()}  # the new package, in the input's order

    signatures_part = ofd.signatures_part
    if signatures_part is None:
        signatures_part = posixpath.join(directory_of(ofd.document_part), "Signs", "Signatures.xml")
        parts[ofd.ofd_part] = _with_signatures_link(ofd, signatures_part)
        list_root = None
    else:
        list_root = xml.parse(parts[signatures_part], signatures_part, ofd.name) if signatures_part in parts else None
    if list_root is None:
        list_root = _new_root("Signatures")
        _sub(list_root, "MaxSignId", "0")

    sign_dir = _new_sign_dir(set(parts), directory_of(signatures_part))
    signature_part = f"{sign_dir}/Signature.xml"
    seal_part = f"{sign_dir}/Seal.esl"
    value_part = f"{sign_dir}/SignedValue.dat"
    parts[seal_part] = bytes(seal_der)

    next_id = _max_sign_id(ofd, list_root) + 1
    signature_id = str(next_id)
    last_id = next_id + len(stamps)
    _sub(list_root, "Signature", ID=signature_id, Type="Seal", BaseLoc="/" + signature_part)
    max_element = xml.child(list_root, "MaxSignId")
    if max_element is None:
        max_element = _sub(list_root, "MaxSignId")
    max_element.text = str(last_id)
    signatures_xml = _dump(list_root)

    protected = [(name, data) for name, data in parts.items() if name != signatures_part]
    signature_xml = _signature_xml(
        references=protected, stamps=stamps, page_ids=[p.id for p in ofd.pages], first_id=next_id + 1,
        seal_part=seal_part, value_part=value_part, moment=moment, version=__version__,
    )
    signed_value = build_ses_signature_v4(
        seal_der=seal_der,
        data=signature_xml,
        property_info="/" + signature_part,
        time_info=moment,
        cert=signer.certificate,
        sign_alg=gm.SM2_WITH_SM3_OID,
        sign=signer.sign_message,
    )
    parts[signatures_part] = signatures_xml
    parts[signature_part] = signature_xml
    parts[value_part] = signed_value

    stamp_time = moment.astimezone().timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=max(stamp_time, (1980, 1, 1, 0, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    out.flush()
    return SignedOfd(signature_part, signature_id, signatures_part)


def stamped_with_seal(path, seal_id: str) -> bool:
    """True when the last signature of the OFD at `path` carries the seal `seal_id` and is intact (its
    References match the package, dataHash and the signature over TBS_Sign verify): a batch run again
    skips such an output. Any doubt is False (the document is stamped again)."""
    from ..ses import parse_ses_signature, verify_ses_signature
    from .reader import read_ofd
    from .verify import check_files

    try:
        ofd = read_ofd(path)
    except errors.SealDeskError:
        return False
    try:
        if not ofd.signatures or not ofd.signatures[-1].signed_value_part:
            return False
        last = ofd.signatures[-1]
        signature = parse_ses_signature(ofd.part_bytes(last.signed_value_part))
        if signature.seal.es_id != seal_id or not check_files(ofd, last).intact:
            return False
        check = verify_ses_signature(signature, data=ofd.part_bytes(last.part))
        return bool(check.signature_ok and check.data_hash_ok)
    except Exception:  # noqa: BLE001 - any doubt means "not done": stamp it again
        return False
    finally:
        ofd.close()
