"""批量盖章 window (pytest-qt, offscreen) against the SoftHSM demo key: one PIN entry for the batch, an
already stamped input skipped, cancel honoured after the first document with nothing partial written, a
wrong PIN never retried, drag & drop of a folder; outputs checked by the verifier and pdfsig; the window
stays responsive; screenshot in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from documents import make_pdf
from guiparts_helpers import seal_of_kind, stamped_pdf
from guiparts_qt import Language, LatenessProbe, register_cjk_font
from pdf_helpers import pdfsig
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from testdata import USER_PIN

from app import i18n
from app.core.application import VerificationStatus
from app.gui.batch_window import BatchWindow, FileState


class PinEntries:
    """Stands in for the person at the PIN dialog: answers `pin` and counts how often it was asked."""

    def __init__(self, pin: str | None) -> None:
        self.pin = pin
        self.asked: list[str] = []

    def __call__(self, key, parent) -> str | None:
        self.asked.append(key.serial)
        return self.pin


@pytest.fixture
def app(demo_app):
    """The demo Application (conftest `demo_app`)."""
    return demo_app


def _window(qtbot, app, pins: PinEntries) -> BatchWindow:
    window = BatchWindow(app, pin_provider=pins)
    qtbot.addWidget(window)
    window.select_seal(seal_of_kind(app, "personal").ref)
    window.x_spin.setValue(100.0)
    window.y_spin.setValue(200.0)
    window.show()
    return window


def _run(qtbot, window: BatchWindow):
    with qtbot.waitSignal(window.batchFinished, timeout=120000) as blocker:
        qtbot.mouseClick(window.start_button, Qt.LeftButton)
    return blocker.args[0]


def test_batch_of_three_with_one_already_stamped(qtbot, app, tmp_path: Path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    already = stamped_pdf(app, inputs, name="old.pdf")  # old.signed.pdf: carries a signature
    (inputs / "old.pdf").unlink()
    first = make_pdf(inputs / "a.pdf", pages=2)
    second = make_pdf(inputs / "b.pdf", pages=1)
    out = tmp_path / "out"
    pins = PinEntries(USER_PIN)
    window = _window(qtbot, app, pins)
    window.folder_edit.setText(str(out))
    assert window.add_paths([first, already, second]) == 3
    assert window.add_paths([first]) == 0  # each file once
    probe = LatenessProbe()
    probe.start()
    summary = _run(qtbot, window)
    probe.stop()
    assert probe.ticks > 0 and probe.worst_ms < 100, probe.worst_ms
    assert pins.asked == [window.key().serial]  # ONE PIN entry for the batch
    assert (summary.stamped, summary.skipped, summary.failed, summary.cancelled) == (2, 1, 0, 0)
    states = [f.state for f in window.files]
    assert states == [FileState.DONE, FileState.SKIPPED, FileState.DONE]
    assert window.state_text(0) == "done → a.signed.pdf" and window.state_text(1) == "skipped: already stamped"
    assert sorted(p.name for p in out.iterdir()) == ["a.signed.pdf", "b.signed.pdf"]
    for signed in out.iterdir():
        assert app.verify(signed).status is VerificationStatus.VALID
        assert "Signature is Valid" in pdfsig(signed)
    assert "2 stamped, 1 skipped, 0 failed, 0 cancelled" in window.summary_label.text()
    assert window.open_folder_button.isEnabled() and window.output_folder_url() == QUrl.fromLocalFile(str(out))
    assert not app.session_open  # logged out when the batch ended
    assert len(app.usage_log.records()) == 3  # the earlier stamping + two


def test_cancel_after_the_first_document(qtbot, app, tmp_path: Path):
    files = [make_pdf(tmp_path / f"{name}.pdf", pages=1) for name in ("a", "b", "c")]
    window = _window(qtbot, app, PinEntries(USER_PIN))
    window.add_paths(files)

    def hook(worker) -> None:
        # runs on the worker thread as document 2 opens: the cancel is seen at the next safe point
        worker.progress.connect(lambda event: event.document_number == 2 and worker.cancel_token.cancel(),
                                Qt.DirectConnection)

    window.stampingStarted.connect(hook)
    summary = _run(qtbot, window)
    assert (summary.stamped, summary.cancelled) == (1, 2)
    assert [f.state for f in window.files] == [FileState.DONE, FileState.CANCELLED, FileState.CANCELLED]
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == ["a.pdf", "a.signed.pdf", "b.pdf",
                                                                                 "c.pdf"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files
    assert [r.document_name for r in app.usage_log.records()] == ["a.signed.pdf"]  # one record, no void
    assert window.state_text(1) == "cancelled: nothing written"


def test_wrong_pin_is_not_retried_and_nothing_is_written(qtbot, app, tmp_path: Path):
    files = [make_pdf(tmp_path / f"{name}.pdf", pages=1) for name in ("a", "b")]
    pins = PinEntries("000000")
    window = _window(qtbot, app, pins)
    window.add_paths(files)
    summary = _run(qtbot, window)
    assert len(pins.asked) == 1 and summary.failed == 2 and summary.stamped == 0
    from app.core.errors import PinIncorrect

    assert PinIncorrect().user_message(i18n.translate).strip() in window.state_text(0)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == ["a.pdf", "b.pdf"]
    assert app.refresh_key(window.key()).pin_state.value in ("count_low", "ok")
    # put the demo key's counter back: one right login
    from app.core.stamping import SpotPlacement

    plan = app.plan(files[0], window.seal().ref, SpotPlacement((100.0, 200.0)), key=window.key())
    assert app.stamp(plan, USER_PIN).status.value == "signed"


def test_pin_dialog_cancelled_stamps_nothing(qtbot, app, tmp_path: Path):
    window = _window(qtbot, app, PinEntries(None))
    window.add_paths([make_pdf(tmp_path / "a.pdf", pages=1)])
    summary = _run(qtbot, window)
    assert summary.cancelled == 1 and not (tmp_path / "a.signed.pdf").exists()


def test_drop_a_folder(qtbot, app, tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("x", "y"):
        make_pdf(folder / f"{name}.pdf", pages=1)
    (folder / "notes.txt").write_text("not a pdf", encoding="utf-8")
    window = _window(qtbot, app, PinEntries(USER_PIN))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    assert [f.path.name for f in window.files] == ["x.pdf", "y.pdf"]
    assert window.start_button.isEnabled()


def test_screenshot_in_chinese(qtbot, qapp, app, tmp_path: Path):
    register_cjk_font(qapp)
    already = stamped_pdf(app, tmp_path, name="旧合同.pdf")
    files = [make_pdf(tmp_path / f"{name}.pdf", pages=1) for name in ("采购合同", "租赁协议")]
    language = Language(qapp, tmp_path)
    language.apply("zh_CN")
    try:
        window = _window(qtbot, app, PinEntries(USER_PIN))
        window.add_paths([files[0], already, files[1]])
        _run(qtbot, window)
        assert "已盖章" in window.state_text(1) and window.start_button.text().startswith("开始")
        assert window.grab().save(str(tmp_path / "batch_window.png"))  # a grab in Chinese renders (docs: app.gui.screenshots)
    finally:
        language.reset()


def test_the_pin_is_typed_into_the_real_pin_dialog_once(qtbot, app, tmp_path: Path):
    """The default PIN entry is the main window's PinDialog: masked, empty, answered once for the batch."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit

    from app.gui.dialogs import PinDialog

    files = [make_pdf(tmp_path / f"{name}.pdf", pages=1) for name in ("a", "b")]
    window = BatchWindow(app)
    qtbot.addWidget(window)
    window.select_seal(seal_of_kind(app, "personal").ref)
    window.add_paths(files)
    window.show()
    answered: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PinDialog) or dialog.property("answered"):
            return
        dialog.setProperty("answered", True)
        edit = dialog.findChild(QLineEdit, "pinEdit")
        assert edit.echoMode() == QLineEdit.Password and edit.text() == ""
        answered.append("pin")
        qtbot.keyClicks(edit, USER_PIN)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(answer)
    timer.start()
    try:
        summary = _run(qtbot, window)
    finally:
        timer.stop()
    assert answered == ["pin"] and summary.stamped == 2
    assert all(app.verify(f.output).status is VerificationStatus.VALID for f in window.files)


def test_keyword_mode_and_a_file_without_the_keyword(qtbot, app, tmp_path: Path):
    with_text = make_pdf(tmp_path / "with.pdf", pages=2, keyword_at={1: (300.0, 500.0)})
    without = make_pdf(tmp_path / "without.pdf", pages=1)
    window = _window(qtbot, app, PinEntries(USER_PIN))
    window.mode_combo.setCurrentIndex(1)
    assert window.placement() is None  # no text yet: nothing to start
    window.keyword_edit.setText("（盖章）")
    window.add_paths([with_text, without])
    summary = _run(qtbot, window)
    assert (summary.stamped, summary.failed) == (1, 1)
    assert window.files[1].state is FileState.FAILED and window.state_text(1).startswith("failed: ")
    assert "（盖章）" in window.state_text(1)  # the reason names the missing text
    outcome_spot = app.usage_log.records()[-1].placements[0]
    assert outcome_spot.page == 2  # 1-based page of the keyword
    assert not (tmp_path / "without.signed.pdf").exists()


def test_official_seal_needs_the_approval_reference(qtbot, app, tmp_path: Path):
    window = _window(qtbot, app, PinEntries(USER_PIN))
    window.select_seal(seal_of_kind(app, "official").ref)
    window.add_paths([make_pdf(tmp_path / "a.pdf", pages=1)])
    assert window.approval_edit.isEnabled() and not window.start_button.isEnabled()
    window.approval_edit.setText("审批-2026-7")
    window.purpose_edit.setText("采购合同")
    assert window.start_button.isEnabled()
    summary = _run(qtbot, window)
    assert summary.stamped == 1
    record = app.usage_log.records()[-1]
    assert record.approval_ref == "审批-2026-7" and record.purpose == "采购合同" and record.seal_kind == "official"
