"""What `sealdesk verify` prints besides the verdict: warnings about the file, problems in words (no
validator codes), and JSON even for refusals."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import lang
import pytest
from documents import make_pdf
from pdf_helpers import Issued, SoftwareDigestSigner, seal_png, spot

from app import cli
from app.core.pdf.sign import SignSettings, sign_pdf
from app.core.pdf.verify import TRUST_PROBLEMS, problem_code
from app.core.verification import (
    CONTEXT,
    TRUST_PROBLEM_TEXTS,
    WARNING_HYBRID_XREF,
    WARNING_TEXTS,
    verify_document,
)
from app.i18n import translate


def _cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _sign(source: Path, target: Path, holder) -> Path:
    out = io.BytesIO()
    sign_pdf(
        source,
        out,
        signer=SoftwareDigestSigner.from_issued(holder),
        spots=[spot(0, (100, 100, 160, 160))],
        spot_images=[seal_png()],
        seal_der=None,
        settings=SignSettings(),
    )
    target.write_bytes(out.getvalue())
    return target


# --- hybrid-reference files -----------------------------------------------------------------------
def hybrid_pdf() -> bytes:
    """A one-page hybrid-reference PDF (PDF 1.5 §7.5.8.4): a classic xref table whose trailer points
    with /XRefStm to an xref stream; the page's font sits in an object stream only that stream lists
    (free in the table), so readers that ignore /XRefStm see a different document."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def obj(num: int, body: bytes) -> None:
        offsets[num] = len(out)
        out.extend(b"%d 0 obj\n" % num + body + b"\nendobj\n")

    content = b"BT /F1 18 Tf 72 720 Td (Hybrid reference file) Tj ET"
    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    obj(
        3,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
    )
    obj(4, b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    header, font = b"5 0 ", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    objstm = header + font
    obj(6, b"<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n" % (len(header), len(objstm)) + objstm + b"\nendstream")
    rows = bytes([0]) + struct.pack(">IH", 0, 65535) + bytes([2]) + struct.pack(">IH", 6, 0)
    obj(7, b"<< /Type /XRef /Size 8 /W [1 4 2] /Index [0 1 5 1] /Length %d >>\nstream\n" % len(rows) + rows + b"\nendstream")
    xref = len(out)
    out.extend(b"xref\n0 8\n0000000000 65535 f \n")
    for num in range(1, 8):
        out.extend(b"0000000000 65535 f \n" if num == 5 else b"%010d 00000 n \n" % offsets[num])
    out.extend(b"trailer\n<< /Size 8 /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n" % (offsets[7], xref))
    return bytes(out)


def test_a_hybrid_reference_file_gets_a_visible_warning(tmp_path, issued, ca, capsys):
    from pyhanko.pdf_utils.reader import PdfFileReader

    source = tmp_path / "hybrid.pdf"
    source.write_bytes(hybrid_pdf())
    assert PdfFileReader(io.BytesIO(source.read_bytes()), strict=False).xrefs.hybrid_xrefs_present
    signed = _sign(source, tmp_path / "hybrid.signed.pdf", issued)

    report = verify_document(signed, trust_roots=[ca.root_der])
    assert report.warnings == (WARNING_HYBRID_XREF,)
    assert report.all_valid  # a warning, not a verdict: the signature itself is fine

    root = tmp_path / "root.der"
    root.write_bytes(ca.root_der)
    code, out, _ = _cli(capsys, ["verify", str(signed), "--trust", str(root), "--json"])
    data = json.loads(out)
    assert code == 0
    assert [w["code"] for w in data["warnings"]] == [WARNING_HYBRID_XREF]
    hybrid = translate(CONTEXT, WARNING_TEXTS[WARNING_HYBRID_XREF])
    assert data["warnings"][0]["message"] == hybrid
    code, out, _ = _cli(capsys, ["verify", str(signed), "--trust", str(root)])
    assert code == 0 and out.startswith(translate("cli", "Warning: {message}").format(message=hybrid))


def test_an_ordinary_file_has_no_warning(tmp_path, issued, ca):
    signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=1), tmp_path / "doc.signed.pdf", issued)
    report = verify_document(signed, trust_roots=[ca.root_der])
    assert report.warnings == () and report.to_json()["warnings"] == []


# --- problems in words ----------------------------------------------------------------------------
def test_every_validator_code_has_words():
    """Every AdES sub-indication pyHanko can report maps to a SealDesk code that has a text."""
    from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate

    assert set(TRUST_PROBLEM_TEXTS) == set(TRUST_PROBLEMS)
    for member in [*AdESFailure, *AdESIndeterminate]:
        code, detail = problem_code(member.name)
        assert code in TRUST_PROBLEMS and detail == member.name
    assert problem_code("CHAIN_CONSTRAINTS_FAILURE") == ("constraints", "CHAIN_CONSTRAINTS_FAILURE")
    assert problem_code("SOMETHING_NEW") == ("other", "SOMETHING_NEW")
    assert problem_code("no_trusted_path") == ("no_trusted_path", None)
    assert problem_code(None) == (None, None)


def test_zh_cn_has_every_problem_and_warning_text(monkeypatch):
    from app.core.verification import CONTEXT, PICTURE_MISMATCH, PICTURE_NOT_SHOWN, WARNING_TEXTS
    from app.i18n import translate

    monkeypatch.setenv("SEALDESK_LANG", "zh_CN")
    for text in [*TRUST_PROBLEM_TEXTS.values(), *WARNING_TEXTS.values(), PICTURE_MISMATCH, PICTURE_NOT_SHOWN]:
        assert translate(CONTEXT, text) != text


def test_untrusted_signer_in_words_with_the_code_only_in_detail(tmp_path, issued, capsys):
    signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=1), tmp_path / "doc.signed.pdf", issued)
    code, out, _ = _cli(capsys, ["verify", str(signed), "--json"])
    assert code == cli.EXIT_VERIFY_FAILED
    row = json.loads(out)["signatures"][0]
    assert row["trust_problem"] == "no_trusted_path"
    assert row["trust_problem_text"] == translate(CONTEXT, TRUST_PROBLEM_TEXTS["no_trusted_path"])
    assert row["detail"] == {"trust": "NO_CERTIFICATE_CHAIN_FOUND"}
    assert "NO_CERTIFICATE_CHAIN_FOUND" not in json.dumps({k: v for k, v in row.items() if k != "detail"})
    code, out, _ = _cli(capsys, ["verify", str(signed)])
    assert "NO_CERTIFICATE_CHAIN_FOUND" not in out and "trust add" in out


def _encipherment_only(ca) -> Issued:
    """A certificate from `ca` whose key usage is keyEncipherment only: not for signing documents."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "加密证书")]))
        .issuer_name(ca.root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, True, False, False, False, False, False, False), critical=True)
        .sign(ca.root.key, hashes.SHA256())
    )
    return Issued(key, cert)


def test_a_certificate_not_meant_for_signing_is_explained(tmp_path, ca, capsys):
    """An encryption-only certificate signing a document: pyHanko reports a constraints failure
    (an AdES code); the user reads words, the JSON keeps the validator's code in "detail" only."""
    signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=1), tmp_path / "doc.signed.pdf", _encipherment_only(ca))
    sig = verify_document(signed, trust_roots=[ca.root_der]).signatures[0]
    assert sig.valid and not sig.trusted
    assert sig.trust_problem == "constraints" and sig.trust_detail.endswith("CONSTRAINTS_FAILURE")
    root = tmp_path / "root.der"
    root.write_bytes(ca.root_der)
    code, out, _ = _cli(capsys, ["verify", str(signed), "--trust", str(root)])
    assert code == cli.EXIT_VERIFY_FAILED
    assert "CONSTRAINTS" not in out and translate(CONTEXT, TRUST_PROBLEM_TEXTS["constraints"]) in out
    code, out, _ = _cli(capsys, ["verify", str(signed), "--trust", str(root), "--json"])
    row = json.loads(out)["signatures"][0]
    assert row["trust_problem"] == "constraints" and row["detail"]["trust"] == sig.trust_detail


# --- --json refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "code", "exit_code"),
    [
        ("missing", "document_not_found", 5),
        ("damaged", "document_damaged", 5),
        ("bad_trust", "certificate_invalid", 4),
        ("missing_trust", "file_not_found", 2),
    ],
)
def test_refusals_are_json_with_the_same_exit_code(tmp_path, issued, capsys, case, code, exit_code):
    document = tmp_path / "doc.pdf"
    args = ["verify", str(document)]
    if case == "missing":
        pass
    elif case == "damaged":
        document.write_bytes(b"%PDF-1.7\nthis is not really a PDF\n")
    else:
        _sign(make_pdf(tmp_path / "src.pdf", pages=1), document, issued)
        trust = tmp_path / "root.pem"
        if case == "bad_trust":
            trust.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        args += ["--trust", str(trust)]

    plain_exit, plain_out, plain_err = _cli(capsys, args)
    error_prefix = translate("cli", "Error: {message}").split("{message}")[0]
    assert plain_exit == exit_code and plain_err.startswith(error_prefix)

    json_exit, out, err = _cli(capsys, [*args, "--json"])
    assert json_exit == exit_code
    data = json.loads(out)
    assert set(data) == {"error"} and data["error"]["code"] == code
    assert data["error"]["message"] == plain_err.strip().removeprefix(error_prefix)
    assert err == ""


def test_json_error_helper_names_the_underlying_error_of_a_file_rejection():
    from app.core.errors import DocumentDamaged, FileRejected

    data = cli.json_error_payload(FileRejected("a.pdf", DocumentDamaged("x", name="a.pdf")))
    assert data["error"]["code"] == "document_damaged"
    assert data["error"]["message"] == translate("errors", "{path}: {problem}").format(
        path="a.pdf", problem=DocumentDamaged(name="a.pdf").user_message(translate)
    )


def test_refusal_messages_are_translated(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEALDESK_LANG", "zh_CN")
    code, out, _ = _cli(capsys, ["verify", str(tmp_path / "missing.pdf"), "--json"])
    message = json.loads(out)["error"]["message"]
    assert code == 5 and "missing.pdf" in message and message.isascii() is False


def test_a_damaged_seal_is_still_reported_as_a_seal(tmp_path, issued, ca, capsys):
    """A seal attribute that cannot be parsed is an invalid seal, not "a signature without a seal"."""
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    out = io.BytesIO()
    sign_pdf(
        source,
        out,
        signer=SoftwareDigestSigner.from_issued(issued),
        spots=[spot(0, (100, 100, 160, 160))],
        spot_images=[seal_png()],
        seal_der=b"\x30\x03\x02\x01\x01",
        settings=SignSettings(),
    )
    signed = tmp_path / "doc.signed.pdf"
    signed.write_bytes(out.getvalue())
    root = tmp_path / "root.der"
    root.write_bytes(ca.root_der)
    code, text, _ = _cli(capsys, ["verify", str(signed), "--trust", str(root)])
    assert code == cli.EXIT_VERIFY_FAILED
    assert lang.cli("{label}: {value}", label=lang.cli("Seal verification"), value=lang.status("INVALID")) in text
    assert lang.cli("none — a signature without an electronic seal") not in text
    code, text, _ = _cli(capsys, ["verify", str(signed), "--trust", str(root), "--json"])
    row = json.loads(text)["signatures"][0]
    assert row["electronic_seal"] is True and row["seal_status"] == "invalid"
