"""The 验章 panel (pytest-qt, offscreen) on PDFs stamped for real with the SoftHSM demo key: valid (green),
modified after signing (red), untrusted root (amber); scrolling and marks for the PageView; report export
read back with PyMuPDF; the window stays responsive while the worker verifies; screenshot in Chinese."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from guiparts_helpers import modified_copy, seal_of_kind, stamped_pdf
from guiparts_qt import Language, LatenessProbe, register_cjk_font
from PySide6.QtCore import QObject, Qt, Signal

from app import i18n
from app.core import truststore
from app.core.application import Application, VerificationStatus
from app.core.report import FINDING_TEXT, STATUS_TEXT, Finding
from app.core.settings import Settings
from app.core.usage.log import UsageLog
from app.gui.verify_panel import VerifyPanel


class ViewProbe(QObject):
    """Records what the panel asks of a PageView (the contract's scroll_to / set_marks / markClicked)."""

    markClicked = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.scrolls: list[tuple[int, tuple]] = []
        self.marks: list = []

    def scroll_to(self, page: int, rect_mm) -> None:
        self.scrolls.append((page, tuple(rect_mm)))

    def set_marks(self, marks) -> None:
        self.marks = list(marks)


@pytest.fixture
def no_trust_folder(tmp_path: Path, monkeypatch):
    empty = tmp_path / "trust"
    empty.mkdir()
    monkeypatch.setattr(truststore, "trust_dir", lambda: empty)


@pytest.fixture
def app(no_trust_folder, demo_app):
    """The demo Application (conftest `demo_app`)."""
    return demo_app


def _verify(qtbot, panel: VerifyPanel, path: Path):
    with qtbot.waitSignal(panel.verificationFinished, timeout=60000) as blocker:
        panel.verify(path)
    return blocker.args[0]


def test_valid_document_scrolls_and_marks_and_exports(qtbot, app, tmp_path: Path):
    signed = stamped_pdf(app, tmp_path, center=(100.0, 150.0), page_spec="2")
    seal = seal_of_kind(app, "personal")
    panel = VerifyPanel(app)
    qtbot.addWidget(panel)
    view = ViewProbe()
    panel.bind(view)
    panel.show()
    probe = LatenessProbe()
    probe.start()
    report = _verify(qtbot, panel, signed)
    probe.stop()
    assert probe.ticks > 0 and probe.worst_ms < 100, probe.worst_ms
    assert report.status is VerificationStatus.VALID
    assert panel.list.count() == 1 and seal.name in panel.list.item(0).text()
    valid = i18n.translate("report", FINDING_TEXT[Finding.VALID])
    assert valid in panel.list.item(0).text()
    assert i18n.translate("report", STATUS_TEXT[VerificationStatus.VALID]) in panel.header.text()
    details = panel.details.toPlainText()
    labels = ("Signer", "Seal maker", "Signing time", "no changes after signing")
    for needle in (seal.name, seal.ref, *(i18n.translate("report", label) for label in labels)):
        assert needle in details
    # the first signature is selected: the view scrolled to its seal on page 2, centred where it was stamped
    page, (x, y, w, h) = view.scrolls[-1]
    assert page == 1 and (x + w / 2, y + h / 2) == pytest.approx((100.0, 150.0), abs=0.2)
    assert view.marks == [(1, (x, y, w, h), "valid")]
    view.markClicked.emit(0)
    assert panel.selected_row() == 0

    pdf = panel.export_to(tmp_path / "report.pdf")
    html = panel.export_to(tmp_path / "report.html")
    with pymupdf.open(pdf) as doc:
        text = "".join(p.get_text(flags=pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES) for p in doc)
    assert signed.name in text and seal.name in text and report.sha256 in text.replace("\n", "")
    assert report.sha256 in html.read_text(encoding="utf-8")
    assert panel.export_to(tmp_path / "report.pdf") is None  # exists: refused with a message, not replaced
    assert panel.findChild(QObject, "exportError") is not None


def test_modified_document_is_red(qtbot, app, tmp_path: Path):
    changed = modified_copy(stamped_pdf(app, tmp_path), tmp_path / "changed.pdf")
    panel = VerifyPanel(app)
    qtbot.addWidget(panel)
    view = ViewProbe()
    panel.bind(view)
    report = _verify(qtbot, panel, changed)
    assert report.status is VerificationStatus.INVALID and report.rows[0].finding is Finding.MODIFIED
    assert i18n.translate("report", FINDING_TEXT[Finding.MODIFIED]) in panel.list.item(0).text()
    assert [m[2] for m in view.marks] == ["invalid"]


def test_untrusted_root_is_amber(qtbot, demo_key, tmp_path: Path, no_trust_folder):
    log = UsageLog(tmp_path / "usage.sqlite3")
    with Application(Settings(trust_roots=(str(demo_key.root_cert_path),)), usage_log=log) as trusted:
        signed = stamped_pdf(trusted, tmp_path)
    untrusted = Application(Settings(), usage_log=log)
    try:
        panel = VerifyPanel(untrusted)
        qtbot.addWidget(panel)
        view = ViewProbe()
        panel.bind(view)
        report = _verify(qtbot, panel, signed)
        assert report.status is VerificationStatus.WARNING and report.rows[0].finding is Finding.UNTRUSTED
        assert i18n.translate("report", FINDING_TEXT[Finding.UNTRUSTED]) in panel.list.item(0).text()
        assert [m[2] for m in view.marks] == ["warning"]
    finally:
        untrusted.close()
        log.close()


def test_unreadable_file_is_a_message(qtbot, app, tmp_path: Path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    panel = VerifyPanel(app)
    qtbot.addWidget(panel)
    assert _verify(qtbot, panel, broken) is None
    assert panel.error is not None and "could not be verified" in panel.header.text()
    assert not panel.export_button.isEnabled()


def test_screenshot_in_chinese(qtbot, qapp, app, tmp_path: Path):
    register_cjk_font(qapp)
    language = Language(qapp, tmp_path)
    try:
        first = stamped_pdf(app, tmp_path, name="合同.pdf", center=(60.0, 250.0))
        with Application(app.settings, usage_log=app.usage_log) as again:
            official = seal_of_kind(again, "official")
            from guiparts_helpers import demo_key_summary
            from testdata import USER_PIN

            from app.core.stamping import SpotPlacement

            plan = again.plan(first, official.ref, SpotPlacement((140.0, 250.0)), "审批-2026-18",
                              key=demo_key_summary(again))
            signed = again.stamp(plan, USER_PIN).result.output_path
        language.apply("zh_CN")  # after the Applications above (they apply their own language setting)
        panel = VerifyPanel(app)
        qtbot.addWidget(panel)
        view = ViewProbe()
        panel.bind(view)
        panel.resize(460, 640)
        panel.show()
        _verify(qtbot, panel, signed)
        assert "有效" in panel.header.text() and panel.list.count() == 2
        second = panel.list.item(1)
        qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, pos=panel.list.visualItemRect(second).center())
        page, (x, y, w, h) = view.scrolls[-1]  # clicking the official seal's row scrolls to it
        assert page == 0 and (x + w / 2, y + h / 2) == pytest.approx((140.0, 250.0), abs=0.2) and w > 40
        panel.list.setCurrentRow(0)
        assert panel.export_button.text().startswith("导出")
        assert panel.grab().save(str(tmp_path / "verify_panel.png"))  # a grab in Chinese renders (docs: app.gui.screenshots)
    finally:
        language.reset()
