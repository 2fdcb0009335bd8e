"""设置 dialog (pytest-qt, offscreen): the language applies at once and the main window, the verification
panel and the batch window retranslate; bad input is refused with a message naming it; settings are saved
through app/core/settings.py and used (output naming); trust roots added and removed through the trust
store and then used by verification of a document stamped with the SoftHSM demo key; Esc cancels."""

from __future__ import annotations

from pathlib import Path

import pytest
from documents import make_pdf
from guiparts_helpers import stamped_pdf
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from app import i18n
from app.core import settings as settings_module
from app.core import truststore
from app.core.application import Application, VerificationStatus
from app.core.settings import Settings, load_settings
from app.core.usage.log import UsageLog
from app.gui.main_window import MainWindow
from app.gui.resources import Languages, register_cjk_font
from app.gui.settings_dialog import SettingsDialog


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """settings.json and the trust folder of this test only (the session's stay untouched)."""
    folder = tmp_path / "home"
    (folder / "trust").mkdir(parents=True)
    monkeypatch.setattr(settings_module, "settings_path", lambda: folder / "settings.json")
    monkeypatch.setattr(truststore, "trust_dir", lambda: folder / "trust")
    return folder


@pytest.fixture
def app(demo_key, tmp_path: Path, home):
    log = UsageLog(tmp_path / "usage.sqlite3")
    application = Application(Settings(), usage_log=log)
    yield application
    application.close()
    log.close()
    i18n.set_language("")


def test_language_switch_retranslates_the_main_window(qtbot, app, home: Path):
    register_cjk_font(QApplication.instance())
    languages = Languages(QApplication.instance())
    languages.apply("en")
    window = MainWindow(app, languages, watch=False)
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.act_stamp.text() == "Stamp" and window.act_settings.text() == "&Settings…"
        window.open_settings()
        dialog = window.settings_dialog
        assert dialog.isVisible() and dialog.windowTitle() == "Settings"
        dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("zh_CN"))
        dialog.accept()
        assert dialog.result() == QDialog.Accepted
        assert load_settings(home / "settings.json").language == "zh_CN" and app.settings.language == "zh_CN"
        assert window.act_stamp.text() == "盖章" and window.act_verify.text() == "验证"
        assert window.act_batch.text() == "批量盖章(&B)…" and window.verify_dock.windowTitle() == "验章"
        assert window.verify_panel.export_button.text() == "导出报告(&E)…"
        window.open_batch()
        assert window.batch_window.windowTitle() == "批量盖章"
        assert i18n.current_language() == "zh_CN"
        window.open_settings()
        assert window.settings_dialog.windowTitle() == "设置"
        window.settings_dialog.language_combo.setCurrentIndex(window.settings_dialog.language_combo.findData("en"))
        window.settings_dialog.accept()
        assert window.act_stamp.text() == "Stamp" and window.batch_window.windowTitle() == "Batch stamping"
    finally:
        window.close()
        languages.clear()


def test_bad_input_is_refused_with_a_message(qtbot, app, home: Path, tmp_path: Path):
    dialog = SettingsDialog(app)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tsa_edit.setText("ftp://tsa.example.cn")
    dialog.accept()
    assert dialog.isVisible() and "http://" in dialog.error_label.text() and dialog.focusWidget() is dialog.tsa_edit
    dialog.tsa_edit.setText("http://127.0.0.1:8080/tsr")
    dialog.folder_edit.setText(str(tmp_path / "missing"))
    dialog.accept()
    assert dialog.isVisible() and "does not exist" in dialog.error_label.text()
    out = tmp_path / "signed"
    out.mkdir()
    dialog.folder_edit.setText(str(out))
    dialog.suffix_edit.setText("/../x")
    dialog.accept()
    assert dialog.isVisible() and "suffix" in dialog.error_label.text()
    assert not dialog.add_module(str(tmp_path / "nothing.so")) and "nothing.so" in dialog.error_label.text()
    assert not (home / "settings.json").exists()  # nothing saved while anything is wrong

    module = tmp_path / "libvendor.so"
    module.write_bytes(b"\x7fELF")
    assert dialog.add_module(str(module))
    dialog.suffix_edit.setText("_盖章")
    dialog.approval_check.setChecked(False)
    dialog.accept()
    assert dialog.result() == QDialog.Accepted and dialog.error == ""
    saved = load_settings(home / "settings.json")
    assert saved.tsa_url == "http://127.0.0.1:8080/tsr" and saved.require_approval_for_official is False
    assert saved.output_folder == str(out) and saved.output_suffix == "_盖章"
    assert saved.extra_modules == (str(module),)
    assert app.settings == saved
    source = make_pdf(tmp_path / "合同.pdf", pages=1)
    assert app.output_path_for(source) == out / "合同_盖章.pdf"


def test_trust_roots_added_and_removed(qtbot, app, demo_key, tmp_path: Path):
    signed = stamped_pdf(app, tmp_path)
    assert app.verify(signed).status is VerificationStatus.WARNING  # nothing trusted yet
    dialog = SettingsDialog(app)
    qtbot.addWidget(dialog)
    garbage = tmp_path / "not-a-cert.pem"
    garbage.write_text("hello", encoding="utf-8")
    assert not dialog.add_root(garbage) and "not-a-cert.pem" in dialog.error_label.text()
    assert dialog.add_root(demo_key.root_cert_path)
    assert dialog.roots_list.count() == 1 and truststore.list_roots() == []  # staged until OK
    dialog.accept()
    assert [r.subject for r in truststore.list_roots()] and app.verify(signed).status is VerificationStatus.VALID

    again = SettingsDialog(app)
    qtbot.addWidget(again)
    assert again.roots_list.count() == 1
    again.roots_list.item(0).setSelected(True)
    again.remove_root_button.click()
    assert again.roots_list.count() == 0
    again.accept()
    assert truststore.list_roots() == [] and app.verify(signed).status is VerificationStatus.WARNING


def test_escape_cancels_without_saving(qtbot, app, home: Path):
    dialog = SettingsDialog(app)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tsa_edit.setText("https://tsa.example.cn")
    qtbot.keyClick(dialog, Qt.Key_Escape)
    assert dialog.result() == QDialog.Rejected and not (home / "settings.json").exists()
    assert app.settings.tsa_url == ""


def test_screenshot_in_chinese(qtbot, qapp, app, tmp_path: Path):
    from guiparts_qt import Language

    register_cjk_font(qapp)
    language = Language(qapp, tmp_path)
    language.apply("zh_CN")
    try:
        dialog = SettingsDialog(app)
        qtbot.addWidget(dialog)
        dialog.tsa_edit.setText("ftp://tsa")
        dialog.show()
        dialog.accept()  # shows the validation message
        assert dialog.windowTitle() == "设置" and "时间戳服务地址" in dialog.error_label.text()
        assert dialog.grab().save(str(tmp_path / "settings.png"))  # a grab in Chinese renders (docs: app.gui.screenshots)
    finally:
        language.reset()
