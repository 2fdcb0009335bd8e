"""Help → About SealDesk: the versions and the PKCS#11 modules the window really loaded, copyable."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import qVersion  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QPushButton  # noqa: E402

from app import __version__  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402
from app.gui.resources import Languages, register_cjk_font  # noqa: E402
from app.i18n import translate  # noqa: E402


@pytest.fixture
def window(qtbot, demo_app):
    register_cjk_font(QApplication.instance())
    languages = Languages(QApplication.instance())
    languages.apply("zh_CN")
    win = MainWindow(demo_app, languages, watch=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    languages.clear()


def test_about_from_the_help_menu_lists_versions_and_loaded_modules(qtbot, window, softhsm_module, tmp_path):
    help_menu = window.menus["help"]
    assert help_menu.title() == "帮助(&H)"
    assert window.act_about in help_menu.actions() and window.act_about.text() == "关于 SealDesk(&A)…"
    window.act_about.trigger()
    dialog = window.about_dialog
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "关于 SealDesk"
    text = dialog.details.toPlainText()
    lines = text.splitlines()
    assert lines[0] == f"SealDesk {__version__}"
    assert f"Qt (runtime) {qVersion()}" in lines
    assert any(line.startswith("pyHanko ") and line[8].isdigit() for line in lines)
    assert any(line.startswith("python-pkcs11 0.9.") for line in lines)
    assert translate("about", "PKCS#11 modules:") in lines  # what this window loaded, not only found
    assert f"  SoftHSM 2: {softhsm_module} ({translate('about', 'loaded')})" in lines

    copy = dialog.findChild(QPushButton, "aboutCopy")
    assert copy.text() == "复制"
    QGuiApplication.clipboard().clear()
    copy.click()
    assert QGuiApplication.clipboard().text() == text
    picture = tmp_path / "about.png"
    assert dialog.grab().save(str(picture)) and picture.stat().st_size > 10_000
    dialog.close()

