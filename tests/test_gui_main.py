"""The main window driven like a user (pytest-qt, offscreen) against SoftHSM keys: choose a seal, place it,
type the PIN into the dialog, sign in the worker, check the signed copy with independent verifiers."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from documents import make_pdf, red_box_mm  # noqa: E402
from pdf_helpers import pdfsig, qpdf_check  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QPushButton  # noqa: E402
from testdata import SO_PIN, USER_PIN  # noqa: E402

from app import i18n  # noqa: E402
from app.core import demo, softhsm  # noqa: E402
from app.core.application import StampStatus, VerificationStatus  # noqa: E402
from app.core.errors import PinIncorrect  # noqa: E402
from app.gui.dialogs import PinDialog  # noqa: E402
from app.gui.main_window import MainWindow, Mode  # noqa: E402
from app.gui.resources import Languages, register_cjk_font  # noqa: E402


@pytest.fixture
def application(demo_app):
    """The demo Application (conftest `demo_app`)."""
    return demo_app


@pytest.fixture
def window(qtbot, application):
    register_cjk_font(QApplication.instance())
    languages = Languages(QApplication.instance())
    languages.apply("en")
    win = MainWindow(application, languages, watch=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    languages.clear()


def _select_demo_key(window: MainWindow) -> None:
    keys = window.app.keys()
    window._show_key(next(k for k in keys if k.label == demo.DEMO_LABEL))


def _click_seal(qtbot, window: MainWindow, kind: str):
    seal = next(s for s in window.key_panel.contents().seals if s.kind == kind)
    item = window.key_panel.seal_item(seal.ref)
    seal_list = window.key_panel.seal_list
    qtbot.mouseClick(seal_list.viewport(), Qt.LeftButton, pos=seal_list.visualItemRect(item).center())
    assert window.seal is not None and window.seal.ref == seal.ref
    return seal


class PinTyper:
    """Answers the PIN dialog(s) when they open: types into the masked field, presses OK."""

    def __init__(self, qtbot, pin: str) -> None:
        self.qtbot = qtbot
        self.pin = pin
        self.seen: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def _poll(self) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PinDialog) or dialog.property("answered"):
            return
        dialog.setProperty("answered", True)
        edit = dialog.findChild(QLineEdit, "pinEdit")
        assert edit.echoMode() == QLineEdit.Password and edit.text() == ""  # masked, never pre-filled
        self.seen.append(dialog.findChild(type(dialog._title)).text())
        self.qtbot.keyClicks(edit, self.pin)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()

    def stop(self) -> None:
        self.timer.stop()


class Probe:
    """A QTimer on the GUI thread; records how late each tick is."""

    def __init__(self, interval_ms: int = 20) -> None:
        self.interval = interval_ms / 1000
        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self.timer.start()

    def worst_lateness(self, until: float) -> float:
        self.timer.stop()
        ticks = [t for t in self.ticks if t <= until] + [until]
        return max(b - a for a, b in zip(ticks, ticks[1:], strict=False)) - self.interval


def _place_and_confirm(qtbot, window: MainWindow, page: int, center: tuple[float, float]) -> None:
    """Drop the seal 0.5 mm left of `center`, nudge it right with the arrow key, confirm with Enter."""
    window.page_view.set_placement(page, (center[0] - 0.5, center[1]))
    target = QApplication.focusWidget() or window.page_view
    qtbot.keyClick(target, Qt.Key_Right)
    assert window.page_view.placement() == (page, pytest.approx(center))
    qtbot.keyClick(target, Qt.Key_Return)


def test_spot_stamping_end_to_end(qtbot, window: MainWindow, tmp_path: Path):
    source = make_pdf(tmp_path / "contract.pdf", pages=2)
    assert window.open_path(source)
    _select_demo_key(window)
    seal = _click_seal(qtbot, window, "personal")
    typer = PinTyper(qtbot, USER_PIN)
    probe = Probe()
    done_at: list[float] = []
    window.workerStarted.connect(probe.start)
    window.workerFinished.connect(lambda: done_at.append(time.perf_counter()))
    with qtbot.waitSignal(window.stampFinished, timeout=60000) as finished:
        _place_and_confirm(qtbot, window, 1, (120.0, 200.0))
    typer.stop()
    outcome = finished.args[0]
    assert outcome.status is StampStatus.SIGNED, outcome.error
    assert len(typer.seen) == 1 and demo.DEMO_LABEL in typer.seen[0]
    assert probe.worst_lateness(done_at[0]) < 0.100  # the GUI thread never blocked while signing

    output = outcome.result.output_path
    assert output == tmp_path / "contract.signed.pdf" and window.document_path == output
    assert window.last_verification.status is VerificationStatus.VALID
    assert "valid" in window.findChild(type(window._status), "verificationStatus").text()
    assert "Signature is Valid" in pdfsig(output) and qpdf_check(output).returncode == 0
    # the seal lies where it was dropped: on page 2, centred at 120 × 200 mm
    assert outcome.result.spots[0].page_index == 1
    box = red_box_mm(output, 1)
    assert box is not None
    assert ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2) == pytest.approx((120.0, 200.0), abs=0.5)
    assert box[2] - box[0] == pytest.approx(seal.size_mm[0], abs=1.0)
    assert red_box_mm(output, 0) is None


def test_wrong_pin_shows_a_message_and_writes_nothing(qtbot, window: MainWindow, tmp_path: Path):
    source = make_pdf(tmp_path / "a.pdf", pages=1)
    window.open_path(source)
    _select_demo_key(window)
    _click_seal(qtbot, window, "personal")
    typer = PinTyper(qtbot, "999999")
    with qtbot.waitSignal(window.stampFinished, timeout=60000) as finished:
        _place_and_confirm(qtbot, window, 0, (100.0, 120.0))
    qtbot.wait(300)  # a retry would open a second PIN dialog here
    typer.stop()
    outcome = finished.args[0]
    assert outcome.status is StampStatus.FAILED and isinstance(outcome.error, PinIncorrect)
    assert len(typer.seen) == 1  # asked once, never retried
    assert window.message_box is not None and window.message_box.isVisible()
    assert "PIN" in window.message_box.text() and "Nothing was written" in window.message_box.text()
    assert "999999" not in window.message_box.text()
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["a.pdf"]
    assert window.document_path == source


def test_keyword_mode_highlights_and_stamps_on_the_text(qtbot, window: MainWindow, tmp_path: Path):
    source = make_pdf(tmp_path / "k.pdf", pages=2, keyword_at={1: (300, 600)})
    window.open_path(source)
    _select_demo_key(window)
    _click_seal(qtbot, window, "personal")
    window.set_mode(Mode.KEYWORD)
    window.keyword_edit.setFocus()
    commit = QInputMethodEvent()  # Chinese arrives from the input method, not as key presses
    commit.setCommitString("（盖章）")
    QApplication.sendEvent(window.keyword_edit, commit)
    assert window.keyword_edit.text() == "（盖章）"
    assert len(window._hits) == 1 and window._hits[0].page == 1 and window.keyword_stamp.isEnabled()
    hit = window._hits[0]
    typer = PinTyper(qtbot, USER_PIN)
    with qtbot.waitSignal(window.stampFinished, timeout=60000) as finished:
        qtbot.mouseClick(window.keyword_stamp, Qt.LeftButton)
    typer.stop()
    outcome = finished.args[0]
    assert outcome.status is StampStatus.SIGNED, outcome.error
    x, y, w, h = hit.rect_mm
    assert outcome.result.spots[0].page_index == 1
    assert outcome.result.spots[0].center_mm == pytest.approx((x + w / 2, y + h / 2), abs=0.01)


def test_cross_page_mode_previews_slices(qtbot, window: MainWindow, tmp_path: Path):
    window.open_path(make_pdf(tmp_path / "c.pdf", pages=3))
    _select_demo_key(window)
    _click_seal(qtbot, window, "personal")
    window.set_mode(Mode.CROSS)
    assert window.cross_stamp.isEnabled()
    plan = window.app.plan(window.document_path, window.seal.ref, window._cross_request(), key=window.key)
    assert [s.page for s in plan.spots] == [0, 1, 2] and all(s.picture_png for s in plan.spots)
    window.cross_pages.setText("1-2")
    plan = window.app.plan(window.document_path, window.seal.ref, window._cross_request(), key=window.key)
    assert [s.page for s in plan.spots] == [0, 1]


def test_key_removed_while_the_window_is_open(qtbot, application, tmp_path: Path, softhsm_module):
    label = f"Gui{uuid.uuid4().hex[:8]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN, (demo.DEMO_SEALS[2],))
    win = MainWindow(application, None, watch=True)
    qtbot.addWidget(win)
    try:
        win.show()
        application.poll_keys()
        qtbot.waitUntil(lambda: win.key is not None and win.key.serial == info.serial, timeout=10000)
        assert [s.name for s in win.key_panel.contents().seals] == ["李四"]
        application._open_session(win.key, USER_PIN)  # as a stamping in progress holds it
        softhsm.delete_token(label)
        qtbot.waitUntil(
            lambda: not application.session_open and (win.key is None or win.key.serial != info.serial), timeout=15000
        )
        assert win.key is None or win.key.label == demo.DEMO_LABEL
        assert "removed" in win.statusBar().currentMessage()
    finally:
        win.close()
        if label in softhsm.token_labels():
            softhsm.delete_token(label)


def test_language_switch_without_restart(qtbot, window: MainWindow):
    _select_demo_key(window)
    assert window.act_stamp.text() == "Stamp"
    window.set_language("zh_CN")
    assert window.act_stamp.text() == "盖章" and window.act_verify.text() == "验证"
    assert window.act_cross.text() == "骑缝章" and window.act_keyword.text() == "关键字盖章"
    assert window.key_panel._seals_box.title() == "印章"
    assert i18n.current_language() == "zh_CN"
    window.set_language("en")
    assert window.act_stamp.text() == "Stamp" and window.key_panel._seals_box.title() == "Seals"


def test_empty_signature_field_mode(qtbot, window: MainWindow, tmp_path: Path):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    plain = make_pdf(tmp_path / "plain.pdf", pages=1)
    source = tmp_path / "form.pdf"
    with plain.open("rb") as infile, source.open("wb") as outfile:
        writer = IncrementalPdfFileWriter(infile)
        fields.append_signature_field(writer, fields.SigFieldSpec("Party A", box=(100, 200, 250, 300), on_page=0))
        writer.write(outfile)
    window.open_path(source)
    _select_demo_key(window)
    seal = _click_seal(qtbot, window, "personal")
    window.set_mode(Mode.FIELD)
    (field,) = window.document.empty_signature_fields()
    assert field.name == "Party A"
    typer = PinTyper(qtbot, USER_PIN)
    with qtbot.waitSignal(window.stampFinished, timeout=60000) as finished:
        window.page_view.fieldClicked.emit("Party A")  # what the view emits when the dashed frame is clicked
    typer.stop()
    outcome = finished.args[0]
    assert outcome.status is StampStatus.SIGNED, outcome.error
    assert window.last_verification.status is VerificationStatus.VALID
    (signature,) = window.last_verification.signatures
    assert signature.field_name == "Party A"  # the existing field was signed, no new one added
    x, y, w, h = field.rect_mm
    assert outcome.result.spots[0].center_mm == pytest.approx((x + w / 2, y + h / 2), abs=0.01)
    assert "Signature is Valid" in pdfsig(outcome.result.output_path)
    # the field is larger than the seal: the seal keeps its true size, centred in the field
    box = red_box_mm(outcome.result.output_path, 0)
    assert ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2) == pytest.approx((x + w / 2, y + h / 2), abs=0.5)
    assert box[2] - box[0] == pytest.approx(seal.size_mm[0], abs=1.0) and w > seal.size_mm[0] + 20


def test_cancel_from_the_progress_dialog_writes_nothing(qtbot, window: MainWindow, tmp_path: Path):
    source = make_pdf(tmp_path / "a.pdf", pages=1)
    window.open_path(source)
    _select_demo_key(window)
    _click_seal(qtbot, window, "personal")

    # the user presses 取消 (Cancel) at once
    window.workerStarted.connect(lambda: window._progress.findChild(QPushButton).click())
    typer = PinTyper(qtbot, USER_PIN)
    with qtbot.waitSignal(window.stampFinished, timeout=60000) as finished:
        _place_and_confirm(qtbot, window, 0, (100.0, 120.0))
    typer.stop()
    assert finished.args[0].status is StampStatus.CANCELLED
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["a.pdf"]
    assert window.app.usage_log.records() == [] and not window.app.session_open
    assert "nothing was written" in window.statusBar().currentMessage()


def test_pin_dialog_explains_the_pin_state_before_typing(qtbot, application):
    import dataclasses

    from PySide6.QtWidgets import QLabel

    from app.core.keys import PinState

    key = next(k for k in application.keys() if k.is_demo)
    locked = PinDialog(dataclasses.replace(key, pin_state=PinState.LOCKED))
    qtbot.addWidget(locked)
    assert "locked" in locked.findChild(QLabel, "pinState").text()
    assert not locked.findChild(QLineEdit, "pinEdit").isEnabled()
    assert not locked.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).isEnabled()

    final = PinDialog(dataclasses.replace(key, pin_state=PinState.FINAL_TRY))
    qtbot.addWidget(final)
    final.show()
    assert "Final try" in final.findChild(QLabel, "pinState").text()
    edit = final.findChild(QLineEdit, "pinEdit")
    ok = final.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok)
    assert edit.isEnabled() and not ok.isEnabled() and edit.text() == ""
    caps = final.findChild(QLabel, "capsHint")
    qtbot.keyClick(edit, "A")  # an upper-case letter without Shift: Caps Lock is on
    assert not caps.isHidden() and ok.isEnabled()
    qtbot.keyClick(edit, "b")
    assert caps.isHidden()
    assert final.take_pin() == "Ab" and edit.text() == ""


def test_without_a_display_the_cli_first_run_flow_runs(demo_key):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    run = subprocess.run(
        [sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert run.returncode == 0, run.stderr
    message = i18n.translate("gui", "No display found: starting the command-line first-run flow instead.")
    assert message in run.stdout and demo.DEMO_LABEL in run.stdout


class DialogAnswerer:
    """Answers the modal dialogs of the official-seal flow and the PIN change as a user would."""

    def __init__(self, qtbot, **answers: str) -> None:
        self.qtbot = qtbot
        self.answers = answers
        self.seen: list[str] = []
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def _type(self, dialog, name: str, text: str) -> None:
        edit = dialog.findChild(QLineEdit, name)
        edit.setFocus()
        if text.isascii():
            self.qtbot.keyClicks(edit, text)
        else:  # Chinese comes from the input method
            commit = QInputMethodEvent()
            commit.setCommitString(text)
            QApplication.sendEvent(edit, commit)

    def _poll(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from app.gui.dialogs import ApprovalDialog, PinChangeDialog

        dialog = QApplication.activeModalWidget()
        known = (ApprovalDialog, PinDialog, PinChangeDialog, QMessageBox)
        if not isinstance(dialog, known) or dialog.property("answered"):
            return  # nothing open, already answered, or the progress dialog
        dialog.setProperty("answered", True)
        self.seen.append(dialog.objectName())
        if isinstance(dialog, ApprovalDialog):
            self._type(dialog, "approvalEdit", self.answers["approval"])
            self._type(dialog, "purposeEdit", self.answers["purpose"])
        elif isinstance(dialog, PinDialog):
            self._type(dialog, "pinEdit", self.answers["pin"])
        elif isinstance(dialog, PinChangeDialog):
            for name, key in (("oldPin", "old"), ("newPin", "new"), ("newPinAgain", "new")):
                self._type(dialog, name, self.answers[key])
        elif isinstance(dialog, QMessageBox):
            self.seen[-1] += ": " + dialog.text()
            (dialog.button(QMessageBox.Yes) or dialog.button(QMessageBox.Ok)).click()
            return
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()

    def stop(self) -> None:
        self.timer.stop()


def test_official_seal_asks_approval_and_shows_the_plan_before_the_pin(qtbot, window: MainWindow, tmp_path: Path):
    window.open_path(make_pdf(tmp_path / "o.pdf", pages=1))
    _select_demo_key(window)
    _click_seal(qtbot, window, "official")
    answers = DialogAnswerer(qtbot, approval="SP-2026-031", purpose="采购合同", pin=USER_PIN)
    with qtbot.waitSignal(window.stampFinished, timeout=60000) as finished:
        _place_and_confirm(qtbot, window, 0, (140.0, 230.0))
    answers.stop()
    outcome = finished.args[0]
    assert outcome.status is StampStatus.SIGNED, outcome.error
    assert [s.split(":")[0] for s in answers.seen] == ["approvalDialog", "planWarnings", "pinDialog"]
    assert "SP-2026-031" in answers.seen[1]  # the plan's warning, shown before the PIN
    (record,) = window.app.usage_log.records()
    assert record.approval_ref == "SP-2026-031" and record.purpose == "采购合同"


def test_pin_change_from_the_key_panel(qtbot, application, tmp_path: Path, softhsm_module):
    from app.core.keys import TokenManager

    label = f"Pin{uuid.uuid4().hex[:8]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN, (demo.DEMO_SEALS[2],))
    win = MainWindow(application, None, watch=False)
    qtbot.addWidget(win)
    try:
        win.refresh_keys()
        win._show_key(next(k for k in application.keys() if k.serial == info.serial))
        answers = DialogAnswerer(qtbot, old=USER_PIN, new="246810")
        qtbot.mouseClick(win.key_panel.findChild(QPushButton, "changePinButton"), Qt.LeftButton)
        answers.stop()
        assert answers.seen == ["pinChangeDialog"]
        assert win.message_box.text() == "The PIN was changed."
        with TokenManager() as manager, manager.open_session(manager.find_token(serial=info.serial), "246810"):
            pass
    finally:
        win.close()
        softhsm.delete_token(label)


def test_an_expired_seal_is_shown_disabled_with_the_reason(qtbot, application, tmp_path: Path, softhsm_module):
    from app.core.application import SealUsability
    from app.core.errors import SealExpired
    from app.core.stamping import SpotPlacement

    label = f"Old{uuid.uuid4().hex[:8]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN, (demo.DEMO_SEALS[2],), seal_days=0)
    win = MainWindow(application, None, watch=False)
    qtbot.addWidget(win)
    try:
        win._show_key(next(k for k in application.keys() if k.serial == info.serial))
        (seal,) = win.key_panel.contents().seals
        assert seal.usability is SealUsability.EXPIRED and isinstance(seal.problem, SealExpired)
        item = win.key_panel.seal_item(seal.ref)
        assert not item.flags() & Qt.ItemIsEnabled
        reason = seal.problem.user_message(i18n.translate)
        assert win.key_panel.tr("Cannot be used: {reason}").format(reason=reason) in item.text()
        seal_list = win.key_panel.seal_list
        qtbot.mouseClick(seal_list.viewport(), Qt.LeftButton, pos=seal_list.visualItemRect(item).center())
        assert win.seal is None  # a disabled seal cannot be chosen
        plan = application.plan(make_pdf(tmp_path / "a.pdf", pages=1), seal.ref, SpotPlacement((90, 90)), key=win.key)
        assert isinstance(plan.problems[0], SealExpired)
        assert application.stamp(plan, "not the PIN").status is StampStatus.FAILED  # refused before any login
    finally:
        win.close()
        softhsm.delete_token(label)


def test_open_by_drop_and_from_recent_files(qtbot, window: MainWindow, tmp_path: Path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    first = make_pdf(tmp_path / "first.pdf", pages=1)
    second = make_pdf(tmp_path / "second.pdf", pages=2)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(first))])
    drop = QDropEvent(QPointF(200, 200), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(drop)
    assert window.document_path == first and window.document.page_count == 1
    assert window.windowTitle().startswith("first.pdf")
    window.open_path(second)
    recent = [a.text() for a in window.recent_menu.actions()]
    assert recent[:2] == [str(second.resolve()), str(first.resolve())]
    window.recent_menu.actions()[1].trigger()
    assert window.document_path == Path(str(first.resolve()))
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.7 not really")
    assert not window.open_path(damaged)
    assert window.message_box.isVisible() and window.document_path == Path(str(first.resolve()))


def test_thumbnails_and_page_indicator_follow_the_document(qtbot, window: MainWindow, tmp_path: Path):
    """The page thumbnails beside the key panel list every page; clicking one goes there; the status bar
    says which page and zoom are shown."""
    window.open_path(make_pdf(tmp_path / "three.pdf", pages=3))
    model = window.thumbnails.model()
    assert model.rowCount() == 3
    window.thumbnails.clicked.emit(model.index(2, 0))
    qtbot.waitUntil(lambda: window.page_view.current_page() == 2, timeout=5000)
    zoom = round(window.page_view.zoom())
    assert window._page_label.text() == window.tr("Page {page} / {count} · {zoom} %").format(page=3, count=3, zoom=zoom)


def test_pin_dialog_for_an_uninitialised_key_and_the_demo_hint(qtbot, application):
    """A key without a user PIN cannot be typed into (it would only count wrong tries); the demo key's
    dialog says its factory PIN, which a first-time user otherwise cannot know."""
    import dataclasses

    from PySide6.QtWidgets import QLabel

    from app.core.demo import DEMO_PIN
    from app.core.keys import PinState

    key = next(k for k in application.keys() if k.is_demo)
    blank = PinDialog(dataclasses.replace(key, pin_state=PinState.NOT_INITIALISED))
    qtbot.addWidget(blank)
    assert blank.findChild(QLabel, "pinState").text() == blank.tr(
        "This key has no user PIN yet: it must be initialised by its issuer before it can sign."
    )
    assert not blank.findChild(QLineEdit, "pinEdit").isEnabled()
    demo = PinDialog(key)
    qtbot.addWidget(demo)
    assert DEMO_PIN in demo.findChild(QLabel, "pinState").text()
    real = PinDialog(dataclasses.replace(key, is_demo=False))
    qtbot.addWidget(real)
    assert real.findChild(QLabel, "pinState").text() == ""
