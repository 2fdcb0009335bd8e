"""验章报告 on documents stamped for real with the demo key: statuses, findings, seal locations (mm), and the
HTML and PDF exports read back (PyMuPDF text extraction), in English and Chinese."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pymupdf
import pytest
from guiparts_helpers import modified_copy, seal_of_kind, stamped_pdf

from app import i18n
from app.core import truststore
from app.core.application import Application, VerificationStatus
from app.core.errors import OutputExists, OutputIsInput
from app.core.report import (
    Finding,
    build_report,
    report_html,
    seal_locations,
    write_report_html,
    write_report_pdf,
)
from app.core.settings import Settings
from app.core.usage.log import UsageLog

NO_LIGATURES = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES
"""Text extraction that spells "fi" as two letters (the PDF's font draws a ligature)."""


@pytest.fixture
def app(demo_app):
    """The demo Application (conftest `demo_app`)."""
    return demo_app


@pytest.fixture
def no_trust_folder(tmp_path: Path, monkeypatch):
    """An empty trust folder, whatever other tests added to the session's one."""
    empty = tmp_path / "trust"
    empty.mkdir()
    monkeypatch.setattr(truststore, "trust_dir", lambda: empty)


def test_valid_report_locates_the_seal_and_exports_html_and_pdf(app, tmp_path: Path, no_trust_folder):
    signed = stamped_pdf(app, tmp_path, center=(120.0, 200.0), page_spec="1-2")
    seal = seal_of_kind(app, "personal")
    report = build_report(app.verify(signed))
    assert report.status is VerificationStatus.VALID
    assert report.sha256 == hashlib.sha256(signed.read_bytes()).hexdigest()
    (row,) = report.rows
    assert row.finding is Finding.VALID and row.mark_status == "valid"
    assert row.seal_name == seal.name and row.seal_id == seal.ref and "Demo" in row.seal_maker
    assert [loc.page for loc in row.locations] == [0, 1]  # the widget and the /Stamp copy on page 2
    for loc in row.locations:
        x, y, w, h = loc.rect_mm
        assert (x + w / 2, y + h / 2) == pytest.approx((120.0, 200.0), abs=0.2)
        assert (w, h) == pytest.approx(seal.size_mm, abs=0.2)
    assert report.marks() == [(loc.page, loc.rect_mm, "valid") for loc in row.locations]

    html_path = write_report_html(report, tmp_path / "report.html")
    text = html_path.read_text(encoding="utf-8")
    for needle in (signed.name, report.sha256, seal.name, row.field_name, "Valid", "Verification report"):
        assert needle in text
    pdf_path = write_report_pdf(report, tmp_path / "report.pdf")
    with pymupdf.open(pdf_path) as doc:
        pdf_text = "".join(page.get_text(flags=NO_LIGATURES) for page in doc)
    squeezed = pdf_text.replace("\n", "")
    for needle in (signed.name, seal.name, "Verification report", "Valid", "no changes after signing"):
        assert needle in pdf_text
    assert report.sha256 in squeezed  # a long hex string may wrap


def test_report_in_chinese(app, tmp_path: Path):
    signed = stamped_pdf(app, tmp_path)
    report = build_report(app.verify(signed))
    i18n.set_language("zh_CN")
    pdf_path = write_report_pdf(report, tmp_path / "报告.pdf", i18n.translate)
    with pymupdf.open(pdf_path) as doc:
        text = "".join(page.get_text(flags=NO_LIGATURES) for page in doc)
    assert "验章报告" in text and "有效" in text and report.rows[0].seal_name in text
    html = report_html(report, i18n.translate)
    assert "签章" in html and "验章报告" in html


def test_modified_document_is_invalid(app, tmp_path: Path):
    changed = modified_copy(stamped_pdf(app, tmp_path), tmp_path / "changed.pdf")
    report = build_report(app.verify(changed))
    assert report.status is VerificationStatus.INVALID
    (row,) = report.rows
    assert row.finding is Finding.MODIFIED and row.mark_status == "invalid"
    assert "modified after signing" in report_html(report)


def test_untrusted_root_is_a_warning(demo_key, tmp_path: Path, no_trust_folder):
    log = UsageLog(tmp_path / "usage.sqlite3")
    with Application(Settings(trust_roots=(str(demo_key.root_cert_path),)), usage_log=log) as trusted:
        signed = stamped_pdf(trusted, tmp_path)
    with Application(Settings(), usage_log=log) as untrusted:
        report = build_report(untrusted.verify(signed))
    log.close()
    assert report.status is VerificationStatus.WARNING
    (row,) = report.rows
    assert row.finding is Finding.UNTRUSTED and row.mark_status == "warning" and not row.trusted


def test_exports_never_replace_the_document_or_an_unconfirmed_file(app, tmp_path: Path):
    signed = stamped_pdf(app, tmp_path)
    before = signed.read_bytes()
    report = build_report(app.verify(signed))
    with pytest.raises(OutputIsInput):
        write_report_pdf(report, signed, replace=True)
    assert signed.read_bytes() == before
    existing = tmp_path / "old.html"
    existing.write_text("old", encoding="utf-8")
    with pytest.raises(OutputExists):
        write_report_html(report, existing)
    assert existing.read_text(encoding="utf-8") == "old"
    write_report_html(report, existing, replace=True)
    assert report.sha256 in existing.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files left


def test_unsigned_document_has_no_locations(tmp_path: Path, app):
    from documents import make_pdf

    plain = make_pdf(tmp_path / "plain.pdf", pages=1)
    assert seal_locations(plain) == {}
    report = build_report(app.verify(plain))
    assert report.status is VerificationStatus.UNSIGNED and report.rows == () and report.marks() == []
    assert "no signatures" in report_html(report)


def test_signature_without_a_seal(tmp_path: Path, ca, issued):
    """A plain PAdES signature (pyHanko, no electronic seal, invisible): valid, said so, no marks."""
    from documents import make_pdf
    from pdf_helpers import certify_pdf

    signed = tmp_path / "plain-signed.pdf"
    certify_pdf(make_pdf(tmp_path / "doc.pdf", pages=1), signed, issued, permission=2)
    log = UsageLog(tmp_path / "usage.sqlite3")
    with Application(Settings(), usage_log=log) as app:
        summary = app.verify(signed, extra_roots=[ca.root_der])
    log.close()
    report = build_report(summary)
    (row,) = report.rows
    assert report.status is VerificationStatus.VALID and row.finding is Finding.NO_SEAL
    assert row.seal_name == "" and row.locations == () and report.marks() == []
    assert "Valid signature without an electronic seal" in report_html(report)
