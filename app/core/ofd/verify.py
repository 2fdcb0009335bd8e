"""验章 of an OFD document (GB/T 33190 signatures carrying GB/T 38540 / GM/T 0031 seal signatures).

Every entry of Signatures.xml is checked in the same terms as a PDF signature, so that the CLI, the JSON,
the report and the GUI panel say the same words (`verification.SignatureVerification` over a
`pdf.verify.SignatureReport`):
- *intact*: every Reference's check value (SM3, as `SM3` or its OID) matches the file, no protected file
  was removed, and the SES_Signature's dataHash is SM3(Signature.xml);
- *valid*: the SM2 (or RSA/ECDSA) signature over TBS_Sign verifies with the signer certificate it carries;
- *modification level*: "other" when any file changed, was removed, or was added after signing: files no
  signature protects and no other signature owns (e.g. a new page), see `unprotected_parts`;
- *trusted*: the signer certificate chains to a trusted root at the signing time (timeInfo);
- the seal: the maker's signature, its validity and the maker certificate at timeInfo, its binding to the
  signer certificate, the maker's chain, and the picture the stamp shows against the signed seal's picture.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import errors
from ..clock import Clock, utc_now
from ..i18n_marks import QT_TRANSLATE_NOOP
from ..pdf.seal_pictures import PROBLEM_UNDECODABLE, DrawnPicture
from ..pdf.verify import SignatureReport, problem_code
from ..verification import (
    NO_SEAL,
    DocumentVerification,
    SignatureVerification,
    _PictureCheck,
    maker_trust_problem,
    seal_verdict,
)
from .model import SignatureEntry
from .reader import OfdDocument, read_ofd

SEAL_FILE_DIFFERS = QT_TRANSLATE_NOOP(
    "verification", "the seal file beside the signature (Seal.esl) is not the seal that was signed"
)
_SM3_NAMES = ("SM3", "1.2.156.10197.1.401")
FUTURE_TOLERANCE = timedelta(minutes=5)
"""Clock skew allowed for timeInfo (the same as app.core.ses.verify's)."""


@dataclass(frozen=True)
class FileCheck:
    """What happened to the package's files after one signature (part names, sorted)."""

    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    """References naming no safe part, or with a check value that is not Base64."""

    @property
    def intact(self) -> bool:
        return not (self.changed or self.removed or self.unreadable)

    def as_changes(self) -> tuple[tuple[str, str], ...]:
        """(kind, part) pairs for SignatureVerification.file_changes; names as printable text (they come
        from the package: a control character must not forge a line of the report)."""
        return tuple(
            (kind, printable(part))
            for kind, parts in (
                ("changed", self.changed),
                ("removed", self.removed),
                ("added", self.added),
                ("unreadable", self.unreadable),
            )
            for part in parts
        )


def printable(name: str) -> str:
    """`name` with every non-printable character written as an escape."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in name)


def digest(method: str, data: bytes) -> bytes | None:
    """The check value of `data` by a References CheckMethod; None for a method SealDesk does not know."""
    from ..ses.verify import cert_digest

    if method.strip().upper() in _SM3_NAMES or not method.strip():
        from ..gm import sm3

        return sm3(data)  # GB/T 33190: SM3 is the default check method
    return cert_digest(method, data)


def signature_files(signature: SignatureEntry) -> set[str]:
    """The parts a signature itself consists of (its Signature.xml, SignedValue.dat and Seal.esl)."""
    return {p for p in (signature.part, signature.signed_value_part, signature.seal_part) if p}


def unprotected_parts(ofd: OfdDocument, signature: SignatureEntry) -> set[str]:
    """Files of the package that `signature` does not protect and no signature owns: added after signing.

    The rule (GB/T 33190 §18 and ofdrw's practice): a signature protects every file of the package except
    Signatures.xml (later signatures must be able to list themselves; ofdrw's "whole protected" mode
    protects it too, and then no later signature is possible) and its own Signature.xml / SignedValue.dat
    (which cannot protect themselves; the SES_Signature covers them). The files of the other signatures
    listed in Signatures.xml are theirs to check. Anything else unprotected — a page, an annotation, a
    resource, an attachment — was added after signing.
    """
    protected = {r.part for r in signature.references if r.part}
    allowed = {ofd.signatures_part} if ofd.signatures_part else set()
    for other in ofd.signatures:
        allowed |= signature_files(other)
    return {p for p in ofd.part_names() if not p.endswith("/") and p not in protected and p not in allowed}


def check_files(
    ofd: OfdDocument, signature: SignatureEntry, digests: dict[tuple[str, str], bytes | None] | None = None
) -> FileCheck:
    """Every Reference against the package, and the files added since. `digests` (method, part) → value
    is shared by the signatures of a document: each file is hashed once however often it is named."""
    digests = {} if digests is None else digests
    names = set(ofd.part_names())
    changed, removed, unreadable = [], [], []
    for ref in signature.references:
        if ref.part is None:
            unreadable.append(ref.file_ref)
            continue
        if ref.part not in names:
            removed.append(ref.part)
            continue
        try:
            expected = base64.b64decode(ref.check_value.strip(), validate=True)
        except (binascii.Error, ValueError):
            unreadable.append(ref.part)
            continue
        key = (signature.check_method, ref.part)
        if key not in digests:
            digests[key] = digest(signature.check_method, ofd.part_bytes(ref.part))
        actual = digests[key]
        if actual is None:
            unreadable.append(ref.part)
        elif actual != expected:
            changed.append(ref.part)
    return FileCheck(
        tuple(sorted(changed)),
        tuple(sorted(removed)),
        tuple(sorted(unprotected_parts(ofd, signature))),
        tuple(sorted(unreadable)),
    )


def field_name(signature: SignatureEntry) -> str:
    """How the report names an OFD signature: its folder (Sign_0), as Signatures.xml's ID is a number."""
    folder = signature.part.rsplit("/", 2)
    return folder[-2] if len(folder) >= 2 else f"Signature {signature.id}"


def seal_picture_png(picture: Any, name: str) -> bytes:
    """The PNG SealDesk draws for a seal picture (raster pictures made transparent; OFD vector stamps
    drawn by the OFD renderer), the same as the viewer shows."""
    from ..appearance import seal_image
    from .render import ofd_picture_png

    if bytes(picture.data[:4]) == b"PK\x03\x04":
        return ofd_picture_png(bytes(picture.data), name)
    return seal_image(picture).png


def _rgba(png: bytes) -> Any:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        return img.convert("RGBA")


def _drawn(png_of, page_index: int | None, origin: str) -> DrawnPicture:
    try:
        return DrawnPicture(page_index, origin, image=_rgba(png_of()))
    except Exception:  # noqa: BLE001 - whatever cannot be decoded cannot be shown to match
        return DrawnPicture(page_index, origin, problem=PROBLEM_UNDECODABLE)


def _cert_fields(cert_der: bytes) -> dict:
    from asn1crypto import x509

    from ..certs import _name_to_text

    cert = x509.Certificate.load(cert_der)
    org = cert.subject.native.get("organization_name")
    return dict(
        signer_subject=_name_to_text(cert.subject),
        signer_org=org[0] if isinstance(org, list) and org else org,
        signer_serial=format(cert.serial_number, "X"),
    )


def _signer_trust(cert_der: bytes, roots: Sequence[bytes], moment: datetime) -> tuple[str | None, str | None]:
    """(SealDesk trust problem code, technical detail) for the signer certificate at the signing time."""
    from asn1crypto import x509

    from ..gm import SM2_WITH_SM3_OID
    from ..sm2_chain import validate_sm2_chain

    if not roots:
        return "no_trusted_path", "no trusted roots"
    if x509.Certificate.load(cert_der)["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3_OID:
        result = validate_sm2_chain(cert_der, intermediates=roots, trust_roots=roots, moment=moment)
        if result.trusted:
            return None, None
        code, _raw = problem_code(result.problem)
        return code, f"{result.problem}: {result.detail}"
    problem = maker_trust_problem(cert_der, roots, moment)  # the certvalidator path, no SM2 involved
    return (None, None) if problem is None else ("no_trusted_path", problem)


_SM2_SIGNED_DATA_OID = "1.2.156.10197.6.1.4.2.2"
"""GB/T 35275's content type for SM2 SignedData (beside PKCS#7's own signedData OID)."""
_RSA_WITH = {
    "sha256": "1.2.840.113549.1.1.11",
    "sha384": "1.2.840.113549.1.1.12",
    "sha512": "1.2.840.113549.1.1.13",
}
_ECDSA_WITH = {
    "sha256": "1.2.840.10045.4.3.2",
    "sha384": "1.2.840.10045.4.3.3",
    "sha512": "1.2.840.10045.4.3.4",
}


@dataclass(frozen=True)
class PlainSignature:
    """A Type="Sign" SignedValue checked: PKCS#7 SignedData over Signature.xml (GB/T 33190 §18.2.2)."""

    cert: bytes
    intact: bool
    """The messageDigest (or the encapsulated content) is that of Signature.xml."""
    valid: bool
    """The signature over the signed attributes verifies with the signer's certificate."""
    signing_time: datetime | None


def check_plain_signature(value: bytes, data: bytes) -> PlainSignature:
    """Check a PKCS#7 / CMS SignedData (SM2 per GB/T 35275, or RSA/ECDSA) over `data`; SealFormatError
    when `value` is no such structure or names no certificate it carries."""
    from asn1crypto import cms

    from .. import gm
    from ..ses.verify import cert_digest, signature_algorithm_verify

    gm.register_oids()
    cms.ContentType._map.setdefault(_SM2_SIGNED_DATA_OID, "sm2_signed_data")
    cms.ContentInfo._oid_specs.setdefault("sm2_signed_data", cms.SignedData)
    try:
        info = cms.ContentInfo.load(value, strict=True)
        if info["content_type"].dotted not in ("1.2.840.113549.1.7.2", _SM2_SIGNED_DATA_OID):
            raise ValueError(f"content type {info['content_type'].dotted}")
        signed = info["content"]
        signer = signed["signer_infos"][0]
        sid = signer["sid"].chosen
        certs = [c.chosen for c in signed["certificates"] if c.name == "certificate"]
        cert = next(
            c for c in certs if c.serial_number == sid["serial_number"].native and c.issuer == sid["issuer"]
        )
        content = signed["encap_content_info"]["content"]
        covered = data if content.native is None else bytes(content.native)
        digest_oid = signer["digest_algorithm"]["algorithm"].dotted
        intact = covered == data
        attrs = signer["signed_attrs"]
        signing_time = None
        if len(attrs):
            values = {a["type"].native: a["values"][0] for a in attrs}
            intact = intact and values["message_digest"].native == cert_digest(digest_oid, covered)
            signing_time = values["signing_time"].native if "signing_time" in values else None
            tbs = b"\x31" + attrs.dump()[1:]
        else:
            tbs = covered
        algorithm = signer["signature_algorithm"]["algorithm"]
        digest_name = signer["digest_algorithm"]["algorithm"].native
        sign_alg = {"rsassa_pkcs1v15": _RSA_WITH, "ecdsa": _ECDSA_WITH}.get(algorithm.native, {}).get(
            digest_name, algorithm.dotted
        )
        valid = signature_algorithm_verify(sign_alg, cert.dump(), tbs, signer["signature"].native)
    except (ValueError, TypeError, KeyError, IndexError, StopIteration) as exc:
        raise errors.SealFormatError(f"PKCS#7 signature: {type(exc).__name__}: {exc}") from exc
    return PlainSignature(cert.dump(), intact, valid, signing_time)


def _claimed_time(signature: SignatureEntry) -> datetime | None:
    """Signature.xml's SignatureDateTime (GB/T 33190 writes it in several forms), as UTC."""
    from datetime import UTC

    text = signature.date_time.strip()
    for fmt in ("%Y%m%d%H%M%S.%fZ", "%Y%m%d%H%M%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _plain(
    signature: SignatureEntry, files: FileCheck, plain: PlainSignature, roots: Sequence[bytes], clock: Clock
) -> SignatureVerification:
    """A Type="Sign" signature in the report: no seal (the finding "signature without an electronic seal")."""
    from ..ses.verify import cert_validity_problem

    moment = plain.signing_time or _claimed_time(signature) or clock()
    trust_problem, trust_detail = _signer_trust(plain.cert, roots, moment)
    report = SignatureReport(
        field_name=field_name(signature),
        **_cert_fields(plain.cert),
        signing_time=moment,
        timestamp_time=None,
        intact=files.intact and plain.intact,
        valid=plain.valid and moment <= clock() + FUTURE_TOLERANCE,
        trusted=trust_problem is None,
        trust_problem=trust_problem,
        coverage="entire_file" if not files.added else "partial",
        modification_level="none" if not files.as_changes() else "other",
        cert_valid_at_signing=cert_validity_problem(plain.cert, moment, "signer certificate") is None,
        seal_der=None,
        docmdp=None,
        trust_detail=trust_detail,
        signer_cert=plain.cert,
    )
    return SignatureVerification(report=report, **NO_SEAL, file_changes=files.as_changes())


def _broken(signature: SignatureEntry, files: FileCheck, problem: str, detail: str) -> SignatureVerification:
    """A signature whose signed value cannot be read: nothing about it can be trusted."""
    report = SignatureReport(
        field_name=field_name(signature),
        signer_subject="",
        signer_org=None,
        signer_serial="",
        signing_time=None,
        timestamp_time=None,
        intact=False,
        valid=False,
        trusted=False,
        trust_problem="malformed",
        coverage="entire_file" if not files.added else "partial",
        modification_level="none" if not files.as_changes() else "other",
        cert_valid_at_signing=False,
        seal_der=None,
        docmdp=None,
        trust_detail=detail,
    )
    seal = {"seal_status": "invalid", "seal_problems": (problem,)} if signature.type != "Sign" else {}
    return SignatureVerification(
        report=report, **{**NO_SEAL, **seal, "seal_details": (detail,)}, file_changes=files.as_changes()
    )


def verify_signature(
    ofd: OfdDocument,
    signature: SignatureEntry,
    *,
    trust_roots: Sequence[bytes] = (),
    clock: Clock = utc_now,
    pictures: _PictureCheck | None = None,
    digests: dict[tuple[str, str], bytes | None] | None = None,
) -> SignatureVerification:
    """One Signatures.xml entry, checked at its signing time (timeInfo); `clock` is "now" (a signature
    claiming a time in the future is refused); `pictures` and `digests` are caches for the document."""
    from ..ses import parse_seal, parse_ses_signature, verify_ses_signature

    files = check_files(ofd, signature, digests)
    try:
        if not signature.signed_value_part:
            raise errors.SealFormatError("Signature.xml names no SignedValue")
        signed_xml = ofd.part_bytes(signature.part)
        value = ofd.part_bytes(signature.signed_value_part)
        if signature.type == "Sign":  # a plain signature: no seal, a GB/T 35275 PKCS#7 SignedData
            return _plain(signature, files, check_plain_signature(value, signed_xml), trust_roots, clock)
        ses = parse_ses_signature(value)
    except errors.SealDeskError as exc:
        return _broken(signature, files, exc.message, f"{signature.signed_value_part}: {exc.detail or exc}")
    check = verify_ses_signature(ses, data=signed_xml, clock=clock)
    moment = ses.time_info
    trust_problem, trust_detail = _signer_trust(ses.cert, trust_roots, moment)
    signer_cert_problems = [
        p
        for p in check.problems
        if isinstance(p, errors.CertificateExpired | errors.CertificateNotYetValid)
        and p not in check.seal_check.problems
    ]
    stamps = [s for s in signature.stamp_annots if s.page_index is not None]
    seal = ses.seal
    pictures = pictures or _PictureCheck()
    # what SealDesk's viewer draws at each StampAnnot: the signed seal's picture (render.DisplayCopy), decoded
    # once — the first of the check's reference pictures is that very drawing
    shown = pictures.references(seal.der, seal)[:1] if stamps else ()
    drawn = [
        DrawnPicture(s.page_index, "stamp", image=shown[0])
        if shown
        else DrawnPicture(s.page_index, "stamp", problem=PROBLEM_UNDECODABLE)
        for s in stamps
    ]
    seal_file_differs = False  # other readers draw Seal.esl at the StampAnnot: it must be the signed seal
    if signature.seal_part and drawn:
        try:
            seal_file = parse_seal(ofd.part_bytes(signature.seal_part))
        except errors.SealDeskError:
            seal_file = None
        if seal_file is None or seal_file.der != seal.der:
            seal_file_differs = True
            if seal_file is None:
                drawn += [
                    DrawnPicture(s.page_index, "seal_file", problem=PROBLEM_UNDECODABLE) for s in stamps
                ]
            else:
                file_name = f"{ofd.name}:{signature.seal_part}"
                drawn += [
                    _drawn(lambda: seal_picture_png(seal_file.picture, file_name), s.page_index, "seal_file")
                    for s in stamps
                ]
    future = moment > clock() + FUTURE_TOLERANCE  # verify_ses_signature's rule: such a time is not accepted
    report = SignatureReport(
        field_name=field_name(signature),
        **_cert_fields(ses.cert),
        signing_time=moment,
        timestamp_time=None,
        intact=files.intact and check.data_hash_ok is True,
        valid=check.signature_ok and not future,
        trusted=trust_problem is None,
        trust_problem=trust_problem,
        coverage="entire_file" if not files.added else "partial",
        modification_level="none" if not files.as_changes() else "other",
        cert_valid_at_signing=not signer_cert_problems,
        seal_der=seal.der,
        docmdp=None,
        trust_detail=trust_detail,
        signer_cert=ses.cert,
        pictures=tuple(drawn),
    )
    details = tuple(p.detail for p in check.problems if p.detail)
    more = (SEAL_FILE_DIFFERS,) if seal_file_differs else ()
    verdict = seal_verdict(
        report, seal, check.seal_check, trust_roots, moment, pictures, details=details, more_problems=more
    )
    return SignatureVerification(report=report, **verdict, file_changes=files.as_changes())


def verify_ofd(
    path: str | Path, *, trust_roots: Sequence[bytes] = (), clock: Clock | None = None
) -> DocumentVerification:
    """Verify every signature of an OFD, in Signatures.xml's order. Typed errors only for a package that
    cannot be read at all (OfdDamaged, OfdPartMissing, OfdUnsafe, DocumentNotFound)."""
    path = Path(path)
    ofd = read_ofd(path)
    try:
        pictures, digests = _PictureCheck(), {}
        now = clock or utc_now
        signatures = tuple(
            verify_signature(ofd, s, trust_roots=trust_roots, clock=now, pictures=pictures, digests=digests)
            for s in ofd.signatures
        )
    finally:
        ofd.close()
    return DocumentVerification(path, signatures)


def stamp_locations(path: str | Path) -> dict[str, tuple[Any, ...]]:
    """Signature name (field_name) → where its stamps are (report.SealLocation: page, mm from the
    page's top-left), for the marks beside the seals and the report."""
    from ..report import SealLocation

    ofd = read_ofd(Path(path))
    try:
        out: dict[str, tuple[Any, ...]] = {}
        for signature in ofd.signatures:
            spots = []
            for stamp in signature.stamp_annots:
                if stamp.page_index is None:
                    continue
                ox, oy = ofd.pages[stamp.page_index].box[:2]
                x, y, w, h = stamp.boundary
                if w > 0.1 and h > 0.1:
                    spots.append(SealLocation(stamp.page_index, (x - ox, y - oy, w, h)))
            out[field_name(signature)] = tuple(spots)
        return out
    finally:
        ofd.close()


__all__ = ["FileCheck", "check_files", "stamp_locations", "verify_ofd", "verify_signature"]
