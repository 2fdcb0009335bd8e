"""Verify the signatures of a PDF with pyHanko and condense the results into plain reports.

Trust is explicit: only the roots the caller passes are trusted (never the operating system's list),
nothing is fetched from the network, revocation checking is soft-fail. Parsing and checking the seal
(SESeal) carried in our signed attribute is the caller's job; here it is only extracted.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from ..certs import _name_to_text
from ..clock import Clock
from ..errors import DocumentDamaged, DocumentEncrypted
from ..gm import register_oids
from .inspect import open_without_password, read_document
from .seal_pictures import DrawnPicture, PictureCollector, annotation_index, page_indexes, signature_pictures
from .sign import SEAL_ATTRIBUTE_OID, register_seal_attribute

COVERAGE_ENTIRE_FILE = "entire_file"
COVERAGE_ENTIRE_REVISION = "entire_revision"
COVERAGE_PARTIAL = "partial"

MODIFICATION_LEVELS = ("none", "form_filling", "annotations", "other")


@dataclass(frozen=True)
class SignatureReport:
    """One signature of the document, as pyHanko judged it."""

    field_name: str
    """Name of the signature field."""
    signer_subject: str
    """Signer certificate subject, human readable (e.g. "Common Name: …, Organization: …")."""
    signer_org: str | None
    """O= of the signer certificate subject."""
    signer_serial: str
    """Signer certificate serial number, upper-case hex."""
    signing_time: datetime | None
    """Time claimed by the signer (/M of the signature dictionary); not proven."""
    timestamp_time: datetime | None
    """Time of a cryptographically valid signature timestamp token, None if there is none."""
    intact: bool
    """The signed bytes hash to the signed message digest."""
    valid: bool
    """The cryptographic signature over the signed attributes verifies."""
    trusted: bool
    """A certificate path to one of the given trust roots exists, key usage fits, not revoked."""
    trust_problem: str | None
    """Why not trusted: one of TRUST_PROBLEMS (the validator's code is in trust_detail), None when trusted."""
    coverage: str
    """"entire_file", "entire_revision" or "partial"."""
    modification_level: str
    """Changes after this signature: "none", "form_filling", "annotations" or "other" (suspicious)."""
    cert_valid_at_signing: bool
    """The signer certificate's validity window contains the timestamp time (or the claimed time)."""
    seal_der: bytes | None
    """DER SESeal from SealDesk's signed attribute, None when absent."""
    docmdp: int | None
    """DocMDP P value when this is a certification signature."""
    docmdp_ok: bool = True
    """The later modifications respect the document's DocMDP/FieldMDP policy."""
    timestamp_trusted: bool = False
    """The signature timestamp's TSA certificate chains to a given trust root."""
    timestamp_problem: str | None = None
    """Why the timestamp is not usable (invalid or untrusted), None when fine or absent."""
    trust_detail: str | None = None
    """The validator's own code (or error) behind trust_problem, for the technical detail only."""
    timestamp_detail: str | None = None
    """The validator's own code behind timestamp_problem."""
    signer_cert: bytes | None = None
    """DER of the certificate that signed (to check the seal is bound to it)."""
    strict_docmdp_ok: bool = True
    """pyHanko's *default* (strict) difference analysis also finds the later changes within this
    certification's DocMDP policy. It is stricter than Acrobat: a new visible signature field after a
    certification with P=3 breaks it there, while SealDesk (docmdp_ok) follows Acrobat and ISO 32000."""
    pictures: tuple[DrawnPicture, ...] = ()
    """What the signature draws on the pages (its widgets and SealDesk stamp annotations), decoded;
    compared with the seal's picture by the caller (seal_pictures.py)."""


@dataclass(frozen=True)
class VerifyReport:
    """All signatures of one document, oldest first."""

    path: Path
    signatures: tuple[SignatureReport, ...]
    strict_certification_differs: bool = False
    """A certification signature SealDesk accepts is broken under pyHanko's strict default reading."""
    hybrid_xref: bool = False
    """The file mixes an xref table with /XRefStm streams (hybrid-reference file): pyHanko validates
    such files only in non-strict mode, and readers may see different objects than the validator."""

    @property
    def all_valid(self) -> bool:
        """There is at least one signature, and every signature is intact, valid, trusted, within its
        DocMDP policy and not followed by "other" modifications."""
        return bool(self.signatures) and all(
            s.intact and s.valid and s.trusted and s.docmdp_ok and s.modification_level != "other"
            for s in self.signatures
        )


def _load_certs(ders: Sequence[bytes]):
    from asn1crypto import x509

    return [x509.Certificate.load(bytes(d)) for d in ders]


def _validation_context(trust_roots, moment: datetime | None):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=list(trust_roots),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )


def acrobat_like_diff_policy():
    """pyHanko's default difference policy, except that a new *visible* signature field after a
    certification signature with P=2/3 is accepted (pyHanko's default is stricter than Acrobat here:
    every SealDesk signature is visible), and that the seal stamp annotations of a later SealDesk
    stamping count as "annotations" changes instead of suspicious ones (see diff_rules.py)."""
    from pyhanko.sign.diff_analysis import (
        CatalogModificationRule,
        DocInfoRule,
        DSSCompareRule,
        FormUpdatingRule,
        GenericFieldModificationRule,
        MetadataUpdateRule,
        ModificationLevel,
        ObjectStreamRule,
        SigFieldModificationRule,
        StandardDiffPolicy,
        XrefStreamRule,
    )

    from .diff_rules import SealStampAwareSigFieldCreationRule, SealStampRule

    lta = ModificationLevel.LTA_UPDATES
    return StandardDiffPolicy(
        global_rules=[
            CatalogModificationRule(),
            DocInfoRule().as_qualified(lta),
            XrefStreamRule().as_qualified(lta),
            ObjectStreamRule().as_qualified(lta),
            DSSCompareRule().as_qualified(lta),
            MetadataUpdateRule().as_qualified(lta),
            SealStampRule(),
        ],
        form_rule=FormUpdatingRule(
            field_rules=[
                SealStampAwareSigFieldCreationRule(allow_new_visible_after_certify=True),
                SigFieldModificationRule(),
                GenericFieldModificationRule(),
            ],
        ),
    )


def _coverage(level) -> str:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if level == SignatureCoverageLevel.ENTIRE_FILE:
        return COVERAGE_ENTIRE_FILE
    if level == SignatureCoverageLevel.ENTIRE_REVISION:
        return COVERAGE_ENTIRE_REVISION
    return COVERAGE_PARTIAL


def _modification(level) -> str:
    from pyhanko.sign.diff_analysis import ModificationLevel

    if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        return "none"
    if level == ModificationLevel.FORM_FILLING:
        return "form_filling"
    if level == ModificationLevel.ANNOTATIONS:
        return "annotations"
    return "other"


def seal_from_signed_attrs(signer_info) -> bytes | None:
    """The DER SESeal carried in SealDesk's signed attribute of a CMS SignerInfo, or None."""
    register_seal_attribute()
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].dotted == SEAL_ATTRIBUTE_OID:
            values = attr["values"]
            if len(values) != 1:
                return None
            value = values[0]
            parsed = value.parsed if hasattr(value, "parsed") else value
            return bytes(parsed.native)
    return None


def _name_field(cert, key: str) -> str | None:
    value = cert.subject.native.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return value


def _valid_between(cert, moment: datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native <= moment <= validity["not_after"].native


TRUST_PROBLEMS = (
    "document_altered",
    "signature_invalid",
    "revoked",
    "no_trusted_path",
    "not_yet_valid",
    "expired",
    "not_valid_at_signing_time",
    "constraints",
    "weak_algorithm",
    "revocation_unavailable",
    "timestamp_invalid",
    "timestamp_order",
    "malformed",
    "other",
)
"""Every value of SignatureReport.trust_problem / timestamp_problem: SealDesk's own codes, so that the
user interfaces can say each one in words (the validator's own code goes to the `*_detail` field)."""

_ADES_PROBLEMS = {
    "FORMAT_FAILURE": "malformed",
    "HASH_FAILURE": "document_altered",
    "SIG_CRYPTO_FAILURE": "signature_invalid",
    "REVOKED": "revoked",
    "REVOKED_NO_POE": "revoked",
    "REVOKED_CA_NO_POE": "revoked",
    "NOT_YET_VALID": "not_yet_valid",
    "EXPIRED": "expired",
    "OUT_OF_BOUNDS_NO_POE": "not_valid_at_signing_time",
    "OUT_OF_BOUNDS_NOT_REVOKED": "not_valid_at_signing_time",
    "NO_CERTIFICATE_CHAIN_FOUND": "no_trusted_path",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "no_trusted_path",
    "NO_SIGNING_CERTIFICATE_FOUND": "no_trusted_path",
    "CHAIN_CONSTRAINTS_FAILURE": "constraints",
    "SIG_CONSTRAINTS_FAILURE": "constraints",
    "CRYPTO_CONSTRAINTS_FAILURE": "weak_algorithm",
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "weak_algorithm",
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": "revocation_unavailable",
    "TRY_LATER": "revocation_unavailable",
    "TIMESTAMP_ORDER_FAILURE": "timestamp_order",
}
"""AdES sub-indications (pyHanko's AdESFailure / AdESIndeterminate names) → SealDesk codes; the rest
(policy processing, missing POE, GENERIC, …) are "other"."""


def problem_code(raw: str | None) -> tuple[str | None, str | None]:
    """(SealDesk code from TRUST_PROBLEMS, the validator's raw code when it says more) for a raw
    validator problem name; (None, None) for no problem."""
    if raw is None:
        return None, None
    if raw in TRUST_PROBLEMS:
        return raw, None
    code = _ADES_PROBLEMS.get(raw)
    if code is not None:
        return code, raw
    if raw.startswith("malformed"):
        return "malformed", raw
    return "other", raw


def _trust_problem(status) -> str | None:
    if status.trusted:
        return None
    if not status.intact:
        return "document_altered"
    if not status.valid:
        return "signature_invalid"
    if status.revoked:
        return "revoked"
    if status.trust_problem_indic is not None:
        return status.trust_problem_indic.name
    return "no_trusted_path"


def _report_one(embedded, trust_roots, moment) -> SignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    from .sm2_verify import is_sm2_signature, validate_sm2_pdf_signature

    cert = embedded.signer_cert
    if is_sm2_signature(embedded):  # pyHanko's validator has no SM2: the same checks in sm2_verify.py
        status = validate_sm2_pdf_signature(
            embedded,
            trust_roots=list(trust_roots),
            moment=moment,
            diff_policy=acrobat_like_diff_policy(),
            ts_validation_context=_validation_context(trust_roots, moment),
        )
    else:
        key_usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
        status = validate_pdf_signature(
            embedded,
            signer_validation_context=_validation_context(trust_roots, moment),
            key_usage_settings=key_usage,
            diff_policy=acrobat_like_diff_policy(),
        )
    tst = status.timestamp_validity
    timestamp_time = None
    timestamp_trusted = False
    timestamp_problem = None
    if tst is not None:
        if tst.intact and tst.valid:
            timestamp_time = tst.timestamp
            timestamp_trusted = tst.trusted
            if not timestamp_trusted:
                timestamp_problem = tst.trust_problem_indic.name if tst.trust_problem_indic else "no_trusted_path"
        else:
            timestamp_problem = "timestamp_invalid"
    timestamp_problem, timestamp_detail = problem_code(timestamp_problem)
    trust_problem, trust_detail = problem_code(_trust_problem(status))
    claimed = status.signer_reported_dt
    reference = timestamp_time or claimed
    cert_ok = _valid_between(cert, reference) if reference is not None else False
    docmdp_level = embedded.docmdp_level
    return SignatureReport(
        field_name=str(embedded.field_name),  # a plain str: encrypted files give decrypting proxies
        signer_subject=_name_to_text(cert.subject),  # C=…, O=…, CN=…: no English attribute names in zh_CN
        signer_org=_name_field(cert, "organization_name"),
        signer_serial=format(cert.serial_number, "X"),
        signing_time=claimed,
        timestamp_time=timestamp_time,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        trust_problem=trust_problem,
        trust_detail=trust_detail,
        coverage=_coverage(status.coverage),
        modification_level=_modification(status.modification_level),
        cert_valid_at_signing=cert_ok,
        seal_der=seal_from_signed_attrs(embedded.signer_info),
        docmdp=int(docmdp_level.value) if docmdp_level is not None else None,
        docmdp_ok=status.docmdp_ok is not False,
        strict_docmdp_ok=_strict_docmdp_ok(embedded, status),
        timestamp_trusted=timestamp_trusted,
        timestamp_problem=timestamp_problem,
        timestamp_detail=timestamp_detail,
        signer_cert=cert.dump(),
    )


def _strict_docmdp_ok(embedded, status) -> bool:
    """Whether pyHanko's default diff policy also accepts what followed a certification signature that
    SealDesk's (Acrobat-like) policy accepts. Only certification signatures with later revisions pay for
    the second analysis."""
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel, SuspiciousModification

    if embedded.docmdp_level is None or status.docmdp_ok is False or status.modification_level is None:
        return True
    if status.modification_level == ModificationLevel.NONE:
        return True
    result = embedded.evaluate_modifications(DEFAULT_DIFF_POLICY)
    if isinstance(result, SuspiciousModification):
        return False
    permitted = {1: ModificationLevel.NONE, 2: ModificationLevel.FORM_FILLING, 3: ModificationLevel.ANNOTATIONS}
    allowed = permitted.get(int(embedded.docmdp_level.value), ModificationLevel.ANNOTATIONS)
    return result.modification_level <= allowed


def _broken_report(embedded, problem: str) -> SignatureReport:
    """A signature pyHanko could not even evaluate: reported as invalid, never an exception."""
    try:
        name = embedded.field_name
    except Exception:  # noqa: BLE001
        name = "?"
    return SignatureReport(
        field_name=name,
        signer_subject="",
        signer_org=None,
        signer_serial="",
        signing_time=None,
        timestamp_time=None,
        intact=False,
        valid=False,
        trusted=False,
        trust_problem="malformed",
        trust_detail=problem,
        coverage=COVERAGE_PARTIAL,
        modification_level="other",
        cert_valid_at_signing=False,
        seal_der=None,
        docmdp=None,
        docmdp_ok=False,
    )


def _pictures(reader, sig, report: SignatureReport, collector, annotations, pages) -> tuple[DrawnPicture, ...]:
    """What the signature shows (seal_pictures.signature_pictures); an unreadable structure is itself
    a finding (it cannot be shown to be the seal), never an exception."""
    from .seal_pictures import PROBLEM_UNREADABLE

    try:
        revision = sig.signed_revision
        written = None
        if revision >= 1:  # in a file born signed, every annotation would count: only the field's own
            written = {(r.idnum, r.generation) for r in reader.xrefs.explicit_refs_in_revision(revision)}
        return signature_pictures(reader, sig.sig_field, report.field_name, collector, annotations, pages, written)
    except Exception:  # noqa: BLE001
        return (DrawnPicture(None, "widget", problem=PROBLEM_UNREADABLE),)


def verify_pdf(path: Path | str, *, trust_roots: Sequence[bytes] = (), clock: Clock | None = None) -> VerifyReport:
    """Validate every approval/certification signature of the PDF at `path`, oldest first.

    `trust_roots`: DER root certificates to trust (the demo root only when the caller passes it).
    `clock`: the "now" for certificate validity (default: the real time).
    Raises DocumentDamaged (unreadable) or DocumentEncrypted.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    path = Path(path)
    name = path.name
    register_seal_attribute()
    register_oids()  # SM3/SM2 by name before pyHanko parses SM2 signatures (it hashes by the digest's name)
    data = read_document(path)
    if b"%PDF-" not in data[:1024]:
        raise DocumentDamaged("no %PDF- header in the first 1024 bytes", name=name)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        open_without_password(reader, name)  # owner-password-only files open as in any viewer
        embedded = list(reader.embedded_regular_signatures)
    except DocumentEncrypted:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure means the file is unusable
        raise DocumentDamaged(f"{type(exc).__name__}: {exc}", name=name) from exc

    roots = _load_certs(trust_roots)
    moment = clock() if clock is not None else None
    collector = PictureCollector()
    try:
        annotations, pages = annotation_index(reader), page_indexes(reader)
    except Exception:  # noqa: BLE001 - a broken page tree: widgets are still checked
        annotations, pages = [], {}
    reports = []
    for sig in embedded:
        try:
            report = _report_one(sig, roots, moment)
        except Exception as exc:  # noqa: BLE001 - one malformed signature must not hide the others
            reports.append(_broken_report(sig, f"malformed: {type(exc).__name__}: {exc}"[:300]))
            continue
        reports.append(replace(report, pictures=_pictures(reader, sig, report, collector, annotations, pages)))
    try:
        hybrid = bool(reader.xrefs.hybrid_xrefs_present)
    except Exception:  # noqa: BLE001
        hybrid = False
    strict_differs = any(r.docmdp_ok and not r.strict_docmdp_ok for r in reports)
    return VerifyReport(
        path=path, signatures=tuple(reports), hybrid_xref=hybrid, strict_certification_differs=strict_differs
    )
