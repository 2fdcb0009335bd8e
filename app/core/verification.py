"""验章: verify a signed document — every signature (pyHanko) and the seal each one carries (GB/T 38540).

The PDF report comes from `pdf.verify`; this module adds the seal: parsed from the signed attribute, its
maker signature checked, its validity checked as of the signing time (timestamp if any, else the claimed
time), and its binding to the certificate that actually signed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .clock import Clock, fixed_clock
from .i18n_marks import QT_TRANSLATE_NOOP

CONTEXT = "verification"

PICTURE_MISMATCH = QT_TRANSLATE_NOOP("verification", "the picture does not match the seal")
"""Problem (and, as seal_status "picture_mismatch", the status) of a seal whose signature draws
another picture, content that is not a picture, or a picture that cannot be decoded."""
PICTURE_UNCOMPARABLE = QT_TRANSLATE_NOOP(
    "verification", "the seal's own picture cannot be decoded, so the picture on the page cannot be checked"
)
PICTURE_NOT_SHOWN = QT_TRANSLATE_NOOP("verification", "the seal's picture is not shown on the page")
MAKER_UNTRUSTED = QT_TRANSLATE_NOOP("verification", "the seal maker's certificate does not lead to a trusted root")

TRUST_PROBLEM_TEXTS = {
    "document_altered": QT_TRANSLATE_NOOP("verification", "the document was changed after it was signed"),
    "signature_invalid": QT_TRANSLATE_NOOP("verification", "the signature value does not match the certificate"),
    "revoked": QT_TRANSLATE_NOOP("verification", "the certificate has been revoked"),
    "no_trusted_path": QT_TRANSLATE_NOOP(
        "verification",
        "the certificate does not lead to a trusted root; if you trust its issuer, add the root with "
        "`sealdesk trust add ROOT.pem`",
    ),
    "not_yet_valid": QT_TRANSLATE_NOOP("verification", "the certificate was not yet valid at the signing time"),
    "expired": QT_TRANSLATE_NOOP("verification", "the certificate had expired at the signing time"),
    "not_valid_at_signing_time": QT_TRANSLATE_NOOP(
        "verification", "the certificate was not valid at the signing time"
    ),
    "constraints": QT_TRANSLATE_NOOP(
        "verification",
        "the certificate or its chain may not be used for signing documents (key usage or path constraints)",
    ),
    "weak_algorithm": QT_TRANSLATE_NOOP(
        "verification", "the signature uses an algorithm or key size that is no longer accepted"
    ),
    "revocation_unavailable": QT_TRANSLATE_NOOP(
        "verification", "whether the certificate was revoked could not be established"
    ),
    "timestamp_invalid": QT_TRANSLATE_NOOP("verification", "the timestamp is damaged or does not match"),
    "timestamp_order": QT_TRANSLATE_NOOP("verification", "the timestamps are in an impossible order"),
    "malformed": QT_TRANSLATE_NOOP("verification", "the signature is damaged and cannot be checked"),
    "other": QT_TRANSLATE_NOOP(
        "verification", "the signature could not be validated (see the technical detail)"
    ),
}
"""What each pdf.verify.TRUST_PROBLEMS code means, for the user (translate with context "verification")."""


def trust_problem_text(code: str | None) -> str | None:
    """English source text of a trust/timestamp problem code (translate it at display time)."""
    if code is None:
        return None
    return TRUST_PROBLEM_TEXTS.get(code, TRUST_PROBLEM_TEXTS["other"])


WARNING_HYBRID_XREF = "hybrid_xref"
"""The file is a hybrid-reference file (xref table plus /XRefStm): validated in non-strict mode only."""

WARNING_STRICT_CERTIFICATION = "strict_certification"
"""A signature was added after a certification (P=3) as Acrobat allows; strict verifiers disagree."""

WARNING_TEXTS = {
    WARNING_STRICT_CERTIFICATION: QT_TRANSLATE_NOOP(
        "verification",
        "a new signature field was added after the certification signature; the PDF standard and Acrobat "
        "allow this for documents certified to permit annotations, but strict verifiers (such as pyHanko's "
        "default settings) report the certification as broken",
    ),
    WARNING_HYBRID_XREF: QT_TRANSLATE_NOOP(
        "verification",
        "the file uses hybrid cross-reference sections (an old compatibility format); it could only be "
        "checked in lenient mode, and other PDF readers may show different content than was checked",
    ),
}


FILE_CHANGE_TEXTS = {
    "changed": QT_TRANSLATE_NOOP("verification", "changed after signing"),
    "removed": QT_TRANSLATE_NOOP("verification", "removed after signing"),
    "added": QT_TRANSLATE_NOOP("verification", "added after signing (not protected by the signature)"),
    "unreadable": QT_TRANSLATE_NOOP("verification", "its check value cannot be read"),
}
"""What happened to a file of an OFD after a signature (SignatureVerification.file_changes)."""

VALID_FOR_ITS_TIME = QT_TRANSLATE_NOOP(
    "verification", "valid at the signing time; the certificate or the seal has expired since"
)


def file_change_groups(sig) -> list[tuple[str, str]]:
    """(source text of FILE_CHANGE_TEXTS, the files joined by ", ") per kind of change, for the CLI,
    the report and the panel (translate the text with context "verification")."""
    groups = []
    for kind, text in FILE_CHANGE_TEXTS.items():
        files = [f for k, f in getattr(sig, "file_changes", ()) if k == kind]
        if files:
            groups.append((text, ", ".join(files)))
    return groups


def _untranslated(context: str, text: str) -> str:
    del context
    return text


@dataclass(frozen=True)
class SignatureVerification:
    report: Any
    """The pdf.verify.SignatureReport this adds to."""
    seal_id: str | None
    seal_name: str | None
    seal_kind: str | None
    seal_kind_name: str | None
    seal_status: str | None
    """None when the signature carries no seal; else SealCheck.status ("valid", "expired", …), or
    "untrusted_maker" when the seal is otherwise valid but its maker does not chain to a trusted root."""
    seal_problems: tuple[str, ...]
    picture_check: str | None = None
    """For a seal: "match" (every picture drawn is the seal's picture or a slice of it), "mismatch" or
    "not_shown" (the signature draws nothing); None for a signature without a seal."""
    picture_matches: tuple[bool, ...] = ()
    """For a seal: whether each of report.pictures is the seal's picture (same order)."""
    seal_details: tuple[str, ...] = ()
    """Technical details behind seal_problems (validator messages), for the JSON "detail" only."""
    file_changes: tuple[tuple[str, str], ...] = ()
    """OFD: (kind, file) for each file changed, removed, added after signing or whose reference cannot be
    read (kinds of FILE_CHANGE_TEXTS); always empty for PDF (its revisions say that instead)."""

    def __getattr__(self, name: str) -> Any:
        # the PDF report's fields read through: field_name, signer_subject, intact, trusted, …
        return getattr(self.report, name)

    @property
    def all_valid(self) -> bool:
        r = self.report
        return bool(
            r.intact
            and r.valid
            and r.trusted
            and r.cert_valid_at_signing
            and r.docmdp_ok
            and r.modification_level != "other"
            and self.seal_status in (None, "valid")
        )

    def expired_since(self, now: datetime) -> bool:
        """Valid at its signing time, but the signer certificate or the seal has expired by `now`: the
        verdict "valid for its time"."""
        from .certs import summarize
        from .errors import SealDeskError
        from .ses import parse_seal

        try:
            if self.report.signer_cert and summarize(self.report.signer_cert).not_after < now:
                return True
            return bool(self.report.seal_der) and parse_seal(self.report.seal_der).valid_end < now
        except (SealDeskError, ValueError):
            return False

    @property
    def has_seal(self) -> bool:
        """The signature carries an electronic seal (SealDesk's signed attribute)."""
        return self.report.seal_der is not None

    @property
    def draws_picture(self) -> bool:
        """The signature shows something on a page (a picture, or content that could not be checked)."""
        return bool(self.report.pictures)


@dataclass(frozen=True)
class DocumentVerification:
    path: Path
    signatures: tuple[SignatureVerification, ...]
    warnings: tuple[str, ...] = ()
    """WARNING_* codes about the file as a whole (shown, but they do not change the verdict)."""

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(s.all_valid for s in self.signatures)

    def to_json(self, translate: Callable[[str, str], str] = _untranslated, now: datetime | None = None) -> dict:
        """The report as JSON-ready data. Problems are SealDesk codes with a `*_text` in words
        (through `translate(context, text)`); the validators' own codes only appear in "detail"."""
        from .clock import utc_now

        now = now or utc_now()
        out = []
        for sig in self.signatures:
            row = {
                k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in ((f.name, getattr(sig.report, f.name)) for f in dataclasses.fields(sig.report))
                if not isinstance(v, bytes) and k not in ("pictures", "trust_detail", "timestamp_detail")
            }
            detail = {
                "trust": sig.report.trust_detail,
                "timestamp": sig.report.timestamp_detail,
                "seal": "; ".join(sig.seal_details) or None,
            }
            row.update(
                trust_problem_text=_text(translate, trust_problem_text(sig.trust_problem)),
                timestamp_problem_text=_text(translate, trust_problem_text(sig.timestamp_problem)),
                seal_id=sig.seal_id,
                seal_name=sig.seal_name,
                seal_kind=sig.seal_kind,
                seal_status=sig.seal_status,
                seal_problems=[translate(CONTEXT, p) for p in sig.seal_problems],
                electronic_seal=sig.has_seal,
                draws_picture=sig.draws_picture,
                picture_check=sig.picture_check,
                pictures=[
                    {
                        "page": None if p.page_index is None else p.page_index + 1,
                        "origin": p.origin,
                        "matches_seal": sig.picture_matches[i] if i < len(sig.picture_matches) else None,
                        "problem": p.problem,
                    }
                    for i, p in enumerate(sig.report.pictures)
                ],
                all_valid=sig.all_valid,
                valid_for_its_time=sig.all_valid and sig.expired_since(now),
                files=[
                    {"file": f, "change": k, "change_text": translate(CONTEXT, FILE_CHANGE_TEXTS[k])}
                    for k, f in sig.file_changes
                ],
                detail={k: v for k, v in detail.items() if v} or None,
            )
            out.append(row)
        return {
            "path": str(self.path),
            "all_valid": self.all_valid,
            "warnings": [{"code": w, "message": translate(CONTEXT, WARNING_TEXTS[w])} for w in self.warnings],
            "signatures": out,
        }


def _text(translate: Callable[[str, str], str], text: str | None) -> str | None:
    return translate(CONTEXT, text) if text is not None else None


def maker_trust_problem(maker_der: bytes, trust_roots, moment: datetime | None) -> str | None:
    """Why the seal maker's certificate does not chain to a trusted root at `moment`, None when it does.

    A seal is only as good as its maker: without this, anyone with a trusted signing certificate could
    make themselves an "official seal" with a self-signed maker. International-algorithm chains go
    through pyhanko-certvalidator; SM2 makers (certvalidator has no SM2) through sm2_chain.py
    (`_sm2_maker_problem`).
    """
    import asyncio

    from asn1crypto import x509
    from pyhanko_certvalidator import CertificateValidator, ValidationContext

    from .gm import SM2_WITH_SM3_OID

    if not trust_roots:
        return "no trusted roots"
    try:
        algorithm = x509.Certificate.load(maker_der)["signature_algorithm"]["algorithm"].dotted
    except ValueError as exc:
        return f"unreadable maker certificate: {exc}"
    if algorithm == SM2_WITH_SM3_OID:
        return _sm2_maker_problem(maker_der, trust_roots, moment)
    try:
        context = ValidationContext(
            trust_roots=[x509.Certificate.load(r) for r in trust_roots],
            moment=moment,
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        validator = CertificateValidator(x509.Certificate.load(maker_der), validation_context=context)
        asyncio.run(validator.async_validate_usage(set()))
    except Exception as exc:  # noqa: BLE001 - any failure to build a trusted path is the answer
        return f"{type(exc).__name__}: {exc}"
    return None


def _sm2_maker_problem(maker_der: bytes, trust_roots, moment: datetime | None) -> str | None:
    """SM2 maker: a path of SM2 signatures to a trusted root (sm2_chain.py), through CA certificates the
    user trusts as well (the seal carries only the maker's own certificate)."""
    from .sm2_chain import validate_sm2_chain

    result = validate_sm2_chain(
        maker_der, intermediates=trust_roots, trust_roots=trust_roots, moment=moment, key_usage=None
    )
    return None if result.trusted else f"SM2 maker certificate: {result.problem} ({result.detail})"


class _PictureCheck:
    """Compares the pictures signatures draw with their seals' pictures, once per (image, seal)."""

    def __init__(self) -> None:
        self._references: dict[bytes, tuple] = {}
        self._results: dict[tuple[int, bytes], bool] = {}

    def references(self, seal_der: bytes, seal) -> tuple:
        """RGBA versions of the seal's picture a stamping may show: the one SealDesk stamps (paper made
        transparent, appearance.seal_image) and the picture exactly as stored."""
        cached = self._references.get(seal_der)
        if cached is None:
            cached = tuple(_seal_pictures(seal))
            self._references[seal_der] = cached
        return cached

    def check(self, report, seal_der: bytes, seal) -> tuple[str, str | None, tuple[bool, ...]]:
        """("match" | "mismatch" | "not_shown", the problem text or None, whether each of
        report.pictures is the seal's picture). Every picture is judged (the report can point at the
        wrong one); each distinct image is compared once per seal."""
        from .pdf.seal_pictures import matches_seal

        if not report.pictures:
            return "not_shown", None, ()
        references = self.references(seal_der, seal) if any(p.image is not None for p in report.pictures) else ()
        results = []
        for picture in report.pictures:
            if picture.problem or not references:
                results.append(False)
                continue
            key = (id(picture.image), seal_der)
            result = self._results.get(key)
            if result is None:
                result = any(matches_seal(picture.image, ref) for ref in references)
                self._results[key] = result
            results.append(result)
        if all(results):
            return "match", None, tuple(results)
        uncomparable = not references and not any(p.problem for p in report.pictures)
        return "mismatch", PICTURE_UNCOMPARABLE if uncomparable else PICTURE_MISMATCH, tuple(results)


def _seal_pictures(seal) -> list:
    """Decoded RGBA pictures of the seal (none when its format cannot be shown, e.g. OFD vectors)."""
    import io

    from PIL import Image

    from .appearance import seal_image
    from .errors import SealDeskError

    out = []
    if bytes(seal.picture.data[:4]) == b"PK\x03\x04":  # an OFD vector stamp: drawn as the OFD viewer does
        from .ofd.verify import seal_picture_png

        try:
            with Image.open(io.BytesIO(seal_picture_png(seal.picture, f"seal {seal.es_id}"))) as img:
                return [img.convert("RGBA")]
        except Exception:  # noqa: BLE001 - a picture that cannot be drawn cannot be compared
            return out
    try:
        with Image.open(io.BytesIO(seal_image(seal.picture).png)) as img:
            out.append(img.convert("RGBA"))
    except SealDeskError:
        return out
    try:
        with Image.open(io.BytesIO(bytes(seal.picture.data))) as img:
            out.append(img.convert("RGBA"))
    except Exception:  # noqa: BLE001 - SVG and other formats: the rendered version above suffices
        pass
    return out


NO_SEAL = dict(
    seal_id=None,
    seal_name=None,
    seal_kind=None,
    seal_kind_name=None,
    seal_status=None,
    seal_problems=(),
    picture_check=None,
    picture_matches=(),
    seal_details=(),
)
"""The seal fields of SignatureVerification for a signature without a seal."""


def _seal_part(report, clock: Clock | None, trust_roots=(), pictures: _PictureCheck | None = None) -> dict:
    from .errors import SealDeskError
    from .ses import parse_seal, verify_seal

    if not report.seal_der:
        return NO_SEAL
    try:
        seal = parse_seal(report.seal_der)
    except SealDeskError as exc:
        return {**NO_SEAL, "seal_status": "invalid", "seal_problems": (exc.user_message(),)}
    moment = report.timestamp_time or report.signing_time
    seal_clock = clock or (fixed_clock(moment) if moment else None)
    kwargs = {"clock": seal_clock} if seal_clock else {}
    check = verify_seal(seal, signing_cert=report.signer_cert, **kwargs)
    return seal_verdict(report, seal, check, trust_roots, seal_clock() if seal_clock else None, pictures)


def seal_verdict(
    report,
    seal,
    check,
    trust_roots,
    moment: datetime | None,
    pictures: _PictureCheck | None = None,
    *,
    details: tuple[str, ...] = (),
    more_problems: tuple[str, ...] = (),
) -> dict:
    """The seal fields of SignatureVerification from a SealCheck: the maker's chain at `moment` for an
    otherwise valid seal, `more_problems` (they make a valid seal invalid), then the pictures the
    signature draws against the seal's picture (a mismatch outranks everything else about the seal)."""
    status = check.status
    problems = tuple(p.user_message() for p in check.problems)
    if status == "valid":
        problem = maker_trust_problem(seal.maker_cert, trust_roots, moment)
        if problem is not None:
            status = "untrusted_maker"
            problems = (*problems, MAKER_UNTRUSTED)
            details = (*details, f"seal maker not trusted: {problem}")
    if more_problems:
        status = "invalid" if status in ("valid", "untrusted_maker") else status
        problems = (*problems, *more_problems)
    picture_check, picture_problem, picture_matches = (pictures or _PictureCheck()).check(report, seal.der, seal)
    if picture_problem is not None:
        # what the reader sees is not this seal: that outranks every other finding about the seal
        status = "picture_mismatch"
        problems = (picture_problem, *problems)
    return dict(
        seal_id=seal.es_id,
        seal_name=seal.name,
        seal_kind=seal.kind.category.value,
        seal_kind_name=seal.kind.name,
        seal_status=status,
        seal_problems=problems,
        picture_check=picture_check,
        picture_matches=picture_matches,
        seal_details=details,
    )


def verify_document(path: str | Path, *, trust_roots=(), clock: Clock | None = None) -> DocumentVerification:
    """Verify every signature and seal in a PDF or an OFD. `clock` overrides "now" for the checks (tests)."""
    from .document import is_ofd
    from .pdf.verify import verify_pdf

    path = Path(path)
    if path.is_file() and is_ofd(path):
        from .ofd.verify import verify_ofd

        return verify_ofd(path, trust_roots=trust_roots, clock=clock)
    pdf_report = verify_pdf(path, trust_roots=trust_roots, clock=clock)
    pictures = _PictureCheck()
    signatures = tuple(
        SignatureVerification(report=r, **_seal_part(r, clock, trust_roots, pictures)) for r in pdf_report.signatures
    )
    warnings = ((WARNING_HYBRID_XREF,) if pdf_report.hybrid_xref else ()) + (
        (WARNING_STRICT_CERTIFICATION,) if pdf_report.strict_certification_differs else ()
    )
    return DocumentVerification(path, signatures, warnings)
