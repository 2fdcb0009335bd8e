"""验章报告: the verification of one PDF as display data (status, finding, details, where each seal is on
the page) and its export as HTML or PDF.

No Qt: the verification panel shows these rows and the CLI could print them. Texts are English sources
marked with QT_TRANSLATE_NOOP (context "report") and translated when the report is rendered, so an
exported report is in the language of the user who exports it. The PDF is made from the same HTML with
PyMuPDF's Story and the CJK font PyMuPDF ships, so Chinese renders on any machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from .application import VerificationStatus, VerificationSummary
from .clock import Clock, utc_now
from .errors import OutputExists, OutputIsInput
from .i18n_marks import QT_TRANSLATE_NOOP
from .verification import CONTEXT as VERIFICATION_CONTEXT
from .verification import file_change_groups

CONTEXT = "report"
Translate = Callable[[str, str], str]


def _untranslated(context: str, text: str) -> str:
    del context
    return text


class Finding(StrEnum):
    """The one sentence that says what is wrong (or right) with a signature, worst first."""

    BROKEN = "broken"
    MODIFIED = "modified"
    SEAL_INVALID = "seal_invalid"
    PICTURE_MISMATCH = "picture_mismatch"
    UNTRUSTED = "untrusted"
    UNTRUSTED_MAKER = "untrusted_maker"
    CERT_NOT_VALID = "cert_not_valid"
    NO_SEAL = "no_seal"
    EXPIRING_SOON = "expiring_soon"
    VALID_FOR_ITS_TIME = "valid_for_its_time"
    VALID = "valid"


FINDING_TEXT = {
    Finding.BROKEN: QT_TRANSLATE_NOOP("report", "Invalid: the signature is broken or the signed content was changed"),
    Finding.MODIFIED: QT_TRANSLATE_NOOP("report", "Invalid: the document was modified after signing"),
    Finding.SEAL_INVALID: QT_TRANSLATE_NOOP("report", "Invalid: the electronic seal is not valid"),
    Finding.PICTURE_MISMATCH: QT_TRANSLATE_NOOP("report", "Invalid: the picture on the page does not match the seal"),
    Finding.UNTRUSTED: QT_TRANSLATE_NOOP("report", "Intact, but the signer's certificate is not trusted"),
    Finding.UNTRUSTED_MAKER: QT_TRANSLATE_NOOP("report", "Intact, but the seal maker is not trusted"),
    Finding.CERT_NOT_VALID: QT_TRANSLATE_NOOP(
        "report", "Intact, but the certificate was not valid at the signing time"
    ),
    Finding.NO_SEAL: QT_TRANSLATE_NOOP("report", "Valid signature without an electronic seal"),
    Finding.EXPIRING_SOON: QT_TRANSLATE_NOOP("report", "Valid; the signer's certificate expires within 90 days"),
    Finding.VALID_FOR_ITS_TIME: QT_TRANSLATE_NOOP(
        "report", "Valid for its time: valid when signed; the certificate or the seal has expired since"
    ),
    Finding.VALID: QT_TRANSLATE_NOOP("report", "Valid"),
}

STATUS_TEXT = {
    VerificationStatus.VALID: QT_TRANSLATE_NOOP("report", "Valid"),
    VerificationStatus.WARNING: QT_TRANSLATE_NOOP("report", "Not trusted"),
    VerificationStatus.INVALID: QT_TRANSLATE_NOOP("report", "Invalid / modified"),
    VerificationStatus.UNSIGNED: QT_TRANSLATE_NOOP("report", "No signatures"),
}
STATUS_SYMBOL = {
    VerificationStatus.VALID: "✔",
    VerificationStatus.WARNING: "!",
    VerificationStatus.INVALID: "✘",
    VerificationStatus.UNSIGNED: "–",
}
STATUS_COLOUR = {
    VerificationStatus.VALID: "#2e7d32",
    VerificationStatus.WARNING: "#b26a00",
    VerificationStatus.INVALID: "#c62828",
    VerificationStatus.UNSIGNED: "#555555",
}
MODIFICATION_TEXT = {
    "none": QT_TRANSLATE_NOOP("report", "no changes after signing"),
    "form_filling": QT_TRANSLATE_NOOP("report", "form filling and later signatures only"),
    "annotations": QT_TRANSLATE_NOOP("report", "annotations, seal stamps and later signatures only"),
    "other": QT_TRANSLATE_NOOP("report", "other changes after signing (not allowed)"),
}
TRUST_TEXT = {
    "no_trusted_path": QT_TRANSLATE_NOOP("report", "the certificate does not lead to a trusted root"),
    "document_altered": QT_TRANSLATE_NOOP("report", "the document was changed after it was signed"),
    "signature_invalid": QT_TRANSLATE_NOOP("report", "the signature value does not match the certificate"),
    "revoked": QT_TRANSLATE_NOOP("report", "the certificate has been revoked"),
}
"""Words for the common pdf.verify trust problem codes (others are shown as their code)."""
SEAL_STATUS_TEXT = {
    "valid": QT_TRANSLATE_NOOP("report", "valid"),
    "expired": QT_TRANSLATE_NOOP("report", "expired at the signing time"),
    "not_yet_valid": QT_TRANSLATE_NOOP("report", "not yet valid at the signing time"),
    "invalid": QT_TRANSLATE_NOOP("report", "invalid (damaged, or the maker's signature does not verify)"),
    "not_bound": QT_TRANSLATE_NOOP("report", "not bound to the signer's certificate"),
    "untrusted_maker": QT_TRANSLATE_NOOP("report", "valid, but the seal maker is not trusted"),
    "picture_mismatch": QT_TRANSLATE_NOOP("report", "the picture on the page does not match the seal"),
}
EXPIRY_WARNING_DAYS = 90


@dataclass(frozen=True)
class SealLocation:
    """Where a signature shows its seal: page (0-based) and x, y, w, h in visible-page mm."""

    page: int
    rect_mm: tuple[float, float, float, float]


@dataclass(frozen=True)
class SignatureRow:
    """One signature as the panel and the report show it (values are data; labels are translated later)."""

    index: int
    field_name: str
    status: VerificationStatus
    finding: Finding
    signer: str
    signer_org: str
    signer_serial: str
    seal_name: str
    seal_kind_name: str
    seal_id: str
    seal_maker: str
    seal_status: str
    seal_problems: tuple[str, ...]
    signing_time: datetime | None
    """Claimed by the signer's computer."""
    timestamp_time: datetime | None
    """From a timestamp authority (None without one)."""
    timestamp_trusted: bool
    trusted: bool
    trust_problem: str
    cert_valid_at_signing: bool
    cert_not_after: datetime | None
    modification_level: str
    coverage: str
    locations: tuple[SealLocation, ...]
    file_changes: tuple[tuple[str, str], ...] = ()
    """OFD: (source text, files) per kind of file change after signing (verification.file_change_groups)."""

    @property
    def mark_status(self) -> str:
        """The PageView mark status: "valid" | "warning" | "invalid"."""
        if self.status is VerificationStatus.VALID and self.finding is not Finding.EXPIRING_SOON:
            return "valid"
        if self.status in (VerificationStatus.VALID, VerificationStatus.WARNING):
            return "warning"
        return "invalid"


@dataclass(frozen=True)
class VerificationReport:
    path: Path
    sha256: str
    verified_at: datetime
    status: VerificationStatus
    rows: tuple[SignatureRow, ...]
    summary: VerificationSummary | None = field(default=None, repr=False, compare=False)
    """What Application.verify returned (the main window's status bar reads it)."""

    def marks(self) -> list[tuple[int, tuple[float, float, float, float], str]]:
        """Everything PageView.set_marks needs: one mark per seal picture (copies and slices too)."""
        return [(loc.page, loc.rect_mm, row.mark_status) for row in self.rows for loc in row.locations]


# --- building -------------------------------------------------------------------------------------
def seal_locations(path: str | Path) -> dict[str, tuple[SealLocation, ...]]:
    """Signature field name → where its pictures are: the field's widget(s) and SealDesk's /Stamp copies
    (named "<field>-<n>"). Read with PyMuPDF (read-only); conversions through app.core.placement."""
    import pymupdf

    from .placement import page_geometries, user_to_visible_mm

    found: dict[str, list[SealLocation]] = {}
    geometries = page_geometries(Path(path))
    with pymupdf.open(str(path)) as doc:
        for index, page in enumerate(doc):
            geometry = geometries[index]
            for annot_xref in _annotation_xrefs(doc, page):
                subtype = doc.xref_get_key(annot_xref, "Subtype")[1]
                rect = _numbers(doc.xref_get_key(annot_xref, "Rect")[1])
                if len(rect) != 4:
                    continue
                name = None
                if subtype == "/Widget" and _field_type(doc, annot_xref) == "/Sig":
                    name = _field_name(doc, annot_xref)
                elif subtype == "/Stamp":
                    nm = _pdf_text(doc.xref_get_key(annot_xref, "NM"))
                    if nm and "-" in nm:
                        name = nm.rsplit("-", 1)[0]
                if not name:
                    continue
                xa, ya = user_to_visible_mm(geometry, rect[0], rect[1])
                xb, yb = user_to_visible_mm(geometry, rect[2], rect[3])
                box = (min(xa, xb), min(ya, yb), abs(xb - xa), abs(yb - ya))
                if box[2] > 0.1 and box[3] > 0.1:
                    found.setdefault(name, []).append(SealLocation(index, box))
    return {name: tuple(locs) for name, locs in found.items()}


def _annotation_xrefs(doc, page) -> list[int]:
    kind, value = doc.xref_get_key(page.xref, "Annots")
    if kind == "xref":
        kind, value = "array", doc.xref_object(int(value.split()[0]), compressed=True)
    if kind != "array":
        return []
    parts = value.strip("[] \n").split()
    return [int(parts[i]) for i in range(0, len(parts) - 2, 3) if parts[i + 2] == "R" and parts[i].isdigit()]


def _numbers(text: str) -> list[float]:
    try:
        return [float(v) for v in text.strip("[] ").split()]
    except ValueError:
        return []


def _pdf_text(entry: tuple[str, str]) -> str | None:
    kind, value = entry
    if kind != "string":
        return None
    return value


def _field_type(doc, xref: int) -> str | None:
    for _ in range(10):
        kind, value = doc.xref_get_key(xref, "FT")
        if kind == "name":
            return value
        parent = doc.xref_get_key(xref, "Parent")
        if parent[0] != "xref":
            return None
        xref = int(parent[1].split()[0])
    return None


def _field_name(doc, xref: int) -> str | None:
    """The fully qualified field name (parts joined with ".", as pyHanko reports it)."""
    parts: list[str] = []
    for _ in range(10):
        part = _pdf_text(doc.xref_get_key(xref, "T"))
        if part is not None:
            parts.append(part)
        parent = doc.xref_get_key(xref, "Parent")
        if parent[0] != "xref":
            break
        xref = int(parent[1].split()[0])
    return ".".join(reversed(parts)) or None


def _locations(path: Path) -> dict[str, tuple[SealLocation, ...]]:
    """Seal locations of a PDF (its widgets and stamps) or an OFD (its StampAnnots)."""
    from .document import is_ofd

    if is_ofd(path):
        from .ofd.verify import stamp_locations

        return stamp_locations(path)
    return seal_locations(path)


def _finding(sig, status: VerificationStatus, cert_not_after: datetime | None, clock: Clock) -> Finding:
    r = sig.report
    if not r.intact or not r.valid:
        return Finding.BROKEN
    if r.modification_level == "other" or not r.docmdp_ok:
        return Finding.MODIFIED
    if sig.seal_status == "picture_mismatch" or getattr(sig, "picture_check", None) == "mismatch":
        return Finding.PICTURE_MISMATCH
    if sig.seal_status not in (None, "valid", "untrusted_maker"):
        return Finding.SEAL_INVALID
    if not r.trusted:
        return Finding.UNTRUSTED
    if sig.seal_status == "untrusted_maker":
        return Finding.UNTRUSTED_MAKER
    if not r.cert_valid_at_signing:
        return Finding.CERT_NOT_VALID
    if status is VerificationStatus.VALID and sig.expired_since(clock()):
        return Finding.VALID_FOR_ITS_TIME
    if status is VerificationStatus.VALID and cert_not_after is not None:
        days = (cert_not_after - clock()).days
        if 0 <= days < EXPIRY_WARNING_DAYS:
            return Finding.EXPIRING_SOON
    if sig.seal_status is None:
        return Finding.NO_SEAL
    return Finding.VALID


def _seal_maker(seal_der: bytes | None) -> str:
    if not seal_der:
        return ""
    from .certs import summarize
    from .errors import SealDeskError
    from .ses import parse_seal

    try:
        return summarize(parse_seal(seal_der).maker_cert).subject
    except (SealDeskError, ValueError):
        return ""


def _cert_not_after(cert_der: bytes | None) -> datetime | None:
    if not cert_der:
        return None
    from .certs import summarize
    from .errors import SealDeskError

    try:
        return summarize(cert_der).not_after
    except SealDeskError:
        return None


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_report(summary: VerificationSummary, *, clock: Clock = utc_now) -> VerificationReport:
    """The display rows of a verification (Application.verify's result), with seal locations and the
    file's SHA-256 (of the bytes verified: call right after verifying)."""
    path = Path(summary.path)
    locations = _locations(path) if summary.signatures else {}
    rows = []
    for index, (sig, short) in enumerate(zip(summary.report.signatures, summary.signatures, strict=True)):
        r = sig.report
        not_after = _cert_not_after(getattr(r, "signer_cert", None))
        rows.append(
            SignatureRow(
                index=index,
                field_name=r.field_name,
                status=short.status,
                finding=_finding(sig, short.status, not_after, clock),
                signer=r.signer_subject or "",
                signer_org=r.signer_org or "",
                signer_serial=r.signer_serial or "",
                seal_name=sig.seal_name or "",
                seal_kind_name=sig.seal_kind_name or "",
                seal_id=sig.seal_id or "",
                seal_maker=_seal_maker(r.seal_der),
                seal_status=sig.seal_status or "",
                seal_problems=tuple(str(p) for p in sig.seal_problems),
                signing_time=r.signing_time,
                timestamp_time=r.timestamp_time,
                timestamp_trusted=bool(getattr(r, "timestamp_trusted", False)),
                trusted=bool(r.trusted),
                trust_problem=str(r.trust_problem or ""),
                cert_valid_at_signing=bool(r.cert_valid_at_signing),
                cert_not_after=not_after,
                modification_level=r.modification_level,
                coverage=r.coverage,
                locations=locations.get(r.field_name, ()),
                file_changes=tuple(file_change_groups(sig)),
            )
        )
    return VerificationReport(path, file_sha256(path), clock(), summary.status, tuple(rows), summary)


# --- rendering ------------------------------------------------------------------------------------
def local_time(moment: datetime | None) -> str:
    """A time as the user reads it: local zone, to the second."""
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def row_details(row: SignatureRow, translate: Translate = _untranslated) -> list[tuple[str, str]]:
    """(label, value) pairs of one signature, translated: the panel's detail view and the report."""

    def t(text: str) -> str:
        return translate(CONTEXT, text)

    yes, no = t(QT_TRANSLATE_NOOP("report", "yes")), t(QT_TRANSLATE_NOOP("report", "no"))
    kind = translate("seal-kinds", row.seal_kind_name) if row.seal_kind_name else ""
    if row.timestamp_time is not None:
        time_note = t(QT_TRANSLATE_NOOP("report", "timestamped (trusted)")) if row.timestamp_trusted else t(QT_TRANSLATE_NOOP("report", "timestamped (not trusted)"))
        signing = f"{local_time(row.timestamp_time)} — {time_note}"
    else:
        claimed = t(QT_TRANSLATE_NOOP("report", "claimed by the signer, no timestamp"))
        signing = f"{local_time(row.signing_time)} — {claimed}"
    problem = t(TRUST_TEXT[row.trust_problem]) if row.trust_problem in TRUST_TEXT else row.trust_problem
    trust = yes if row.trusted else f"{no} ({problem})" if problem else no
    pairs = [
        (t(QT_TRANSLATE_NOOP("report", "Result")), t(FINDING_TEXT[row.finding])),
        (t(QT_TRANSLATE_NOOP("report", "Signature field")), row.field_name),
        (t(QT_TRANSLATE_NOOP("report", "Signer")), row.signer or "—"),
        (t(QT_TRANSLATE_NOOP("report", "Organisation")), row.signer_org or "—"),
        (t(QT_TRANSLATE_NOOP("report", "Certificate serial")), row.signer_serial or "—"),
        (t(QT_TRANSLATE_NOOP("report", "Seal")), f"{row.seal_name} ({kind})" if row.seal_name else t(QT_TRANSLATE_NOOP("report", "none"))),
    ]
    seal_status = t(SEAL_STATUS_TEXT[row.seal_status]) if row.seal_status in SEAL_STATUS_TEXT else row.seal_status
    if row.seal_name:
        pairs += [
            (t(QT_TRANSLATE_NOOP("report", "Seal ID")), row.seal_id or "—"),
            (t(QT_TRANSLATE_NOOP("report", "Seal maker")), row.seal_maker or "—"),
            (t(QT_TRANSLATE_NOOP("report", "Seal check")), "; ".join([seal_status, *row.seal_problems])),
        ]
    pairs += [
        (t(QT_TRANSLATE_NOOP("report", "Signing time")), signing),
        (t(QT_TRANSLATE_NOOP("report", "Time claimed by the signer")), local_time(row.signing_time)),
        (t(QT_TRANSLATE_NOOP("report", "Certificate chain trusted")), trust),
        (t(QT_TRANSLATE_NOOP("report", "Certificate valid at signing")), yes if row.cert_valid_at_signing else no),
        (t(QT_TRANSLATE_NOOP("report", "Certificate valid until")), local_time(row.cert_not_after)),
        (t(QT_TRANSLATE_NOOP("report", "Changes after signing")), t(MODIFICATION_TEXT.get(row.modification_level, row.modification_level))),
        (
            t(QT_TRANSLATE_NOOP("report", "Seal on page(s)")),
            ", ".join(str(loc.page + 1) for loc in row.locations) or "—",
        ),
    ]
    if row.file_changes:
        changes = "; ".join(f"{translate(VERIFICATION_CONTEXT, text)}: {files}" for text, files in row.file_changes)
        pairs.append((t(QT_TRANSLATE_NOOP("report", "Files")), changes))
    return pairs


LABEL_TITLE = QT_TRANSLATE_NOOP("report", "Verification report")
LABEL_FILE = QT_TRANSLATE_NOOP("report", "File")
LABEL_FOLDER = QT_TRANSLATE_NOOP("report", "Folder")
LABEL_VERIFIED_AT = QT_TRANSLATE_NOOP("report", "Verified at")
LABEL_OVERALL = QT_TRANSLATE_NOOP("report", "Overall result")
LABEL_SIGNATURES = QT_TRANSLATE_NOOP("report", "Signatures")
LABEL_SIGNATURE = QT_TRANSLATE_NOOP("report", "Signature {number}: {title}")
TEXT_NO_SIGNATURES = QT_TRANSLATE_NOOP("report", "The document has no signatures.")
TEXT_FOOTER = QT_TRANSLATE_NOOP("report", "Made by SealDesk.")


def document_warnings(report: VerificationReport, translate: Translate = _untranslated) -> list[str]:
    """What concerns the whole file rather than one signature (a hybrid-reference file, a certification
    that strict verifiers read differently), translated."""
    from .verification import CONTEXT as VERIFICATION_CONTEXT
    from .verification import WARNING_TEXTS

    document = getattr(report.summary, "report", None)
    codes = getattr(document, "warnings", ())
    return [translate(VERIFICATION_CONTEXT, WARNING_TEXTS[code]) for code in codes if code in WARNING_TEXTS]


def report_html(report: VerificationReport, translate: Translate = _untranslated) -> str:
    """The report as a self-contained HTML page (inline styles only, no scripts, no external files)."""

    def t(text: str) -> str:
        return html.escape(translate(CONTEXT, text))

    def e(text: str) -> str:
        return html.escape(str(text))

    def line(label: str, value: str, style: str = "") -> str:
        return f"<tr><td style='padding-right: 8px;'><b>{label}</b></td><td{style}>{value}</td></tr>"

    colour = STATUS_COLOUR[report.status]
    overall = f"<b>{e(STATUS_SYMBOL[report.status])} {t(STATUS_TEXT[report.status])}</b>"
    out = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8">',
        f"<title>{t(LABEL_TITLE)} — {e(report.path.name)}</title></head>",
        '<body style="font-family: sans-serif; font-size: 10pt;">',
        f"<h1 style='font-size: 16pt;'>{t(LABEL_TITLE)}</h1>",
        "<table style='border-collapse: collapse;'>",
        line(t(LABEL_FILE), e(report.path.name)),
        line(t(LABEL_FOLDER), e(report.path.parent)),
        line("SHA-256", e(report.sha256), " style='font-family: monospace;'"),
        line(t(LABEL_VERIFIED_AT), e(local_time(report.verified_at))),
        line(t(LABEL_OVERALL), overall, f" style='color: {colour};'"),
        line(t(LABEL_SIGNATURES), str(len(report.rows))),
        "</table>",
    ]
    out.extend(f"<p style='color: #b26b00;'>! {e(text)}</p>" for text in document_warnings(report, translate))
    for row in report.rows:
        title = translate(CONTEXT, LABEL_SIGNATURE).format(
            number=row.index + 1, title=row.seal_name or row.signer or row.field_name
        )
        out.append(
            f"<h2 style='font-size: 12pt; color: {STATUS_COLOUR[row.status]};'>"
            f"{e(STATUS_SYMBOL[row.status])} {e(title)}</h2>"
        )
        out.append("<table style='border-collapse: collapse;'>")
        out.extend(line(e(label), e(value)) for label, value in row_details(row, translate))
        out.append("</table>")
    if not report.rows:
        out.append(f"<p>{t(TEXT_NO_SIGNATURES)}</p>")
    out.append(f"<p style='color: #555555;'>{t(TEXT_FOOTER)}</p>")
    out.append("</body></html>")
    return "\n".join(out)


def _check_target(report: VerificationReport, target: Path, replace: bool) -> Path:
    target = Path(target)
    if target.exists() and os.path.samefile(target, report.path):
        raise OutputIsInput(str(target))
    if target.exists() and not replace:
        raise OutputExists(str(target), path=str(target))
    return target


def _write(target: Path, data: bytes, replace: bool) -> None:
    """Complete or not at all: a temp file in the target folder, fsynced, then renamed into place
    (replacing an older report only when the user confirmed it in the save dialog)."""
    import tempfile

    from .atomic_output import AtomicOutput

    if not (replace and target.exists()):
        with AtomicOutput(target) as out:
            out.file.write(data)
            out.commit()
        return
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def write_report_html(
    report: VerificationReport, target: str | Path, translate: Translate = _untranslated, *, replace: bool = False
) -> Path:
    """Write the HTML report (complete or not at all; never over the document, over another file only
    with `replace`)."""
    target = _check_target(report, Path(target), replace)
    _write(target, report_html(report, translate).encode("utf-8"), replace)
    return target


def report_pdf_bytes(report: VerificationReport, translate: Translate = _untranslated) -> bytes:
    """The same HTML laid out on A4 pages by PyMuPDF's Story, with PyMuPDF's CJK font."""
    import io

    import pymupdf

    body = report_html(report, translate)
    body = body.replace("font-family: sans-serif;", "font-family: sans-serif, china-s;")
    archive = pymupdf.Archive()
    css = "* {font-family: sans-serif, china-ss;}"
    try:
        css = pymupdf.css_for_pymupdf_font("china-s", CSS=css, archive=archive, name="china-ss")
    except (AttributeError, RuntimeError, ValueError):  # pragma: no cover - older PyMuPDF: built-in fonts
        pass
    story = pymupdf.Story(html=body, user_css=css, archive=archive)
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    page = pymupdf.paper_rect("a4")
    area = page + (48, 48, -48, -48)
    more = True
    while more:
        device = writer.begin_page(page)
        more, _ = story.place(area)
        story.draw(device)
        writer.end_page()
    writer.close()
    return buffer.getvalue()


def write_report_pdf(
    report: VerificationReport, target: str | Path, translate: Translate = _untranslated, *, replace: bool = False
) -> Path:
    """Write the PDF report (same rules as `write_report_html`)."""
    target = _check_target(report, Path(target), replace)
    _write(target, report_pdf_bytes(report, translate), replace)
    return target


def summary_line(rows: Sequence[SignatureRow], translate: Translate = _untranslated) -> str:
    """One line per signature for a status bar: "✔ name — Valid"."""
    return "; ".join(
        f"{STATUS_SYMBOL[r.status]} {r.seal_name or r.signer} — {translate(CONTEXT, FINDING_TEXT[r.finding])}"
        for r in rows
    )
