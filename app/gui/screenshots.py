"""Screenshots for docs/screenshots/ from the real widgets: `python -m app.gui.screenshots [folder]`.

The pictures of the README and the user guide are made here, not by tests (tests must not change tracked
files). Uses the demo key of the data folder (created when missing; PIN 123456), a private usage log and
contracts generated in a scratch folder, so the user's own log and files are untouched. The documents shown
as stamped are signed for real by the demo key; the demo root is trusted for these pictures only.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

MAIN_SIZE = (1280, 860)
BATCH_SIZE = (900, 560)
LOG_SIZE = (1100, 360)
SETTINGS_SIZE = (600, 420)
CITY_STRIP_HEIGHT = 400
"""The city picture: the bottom of the main window (usage log dock with the sync column, status bar)."""

# file name → (language, fixed size or None for the widget's own size)
PICTURES: dict[str, tuple[str, tuple[int, int] | None]] = {
    "main-window.png": ("zh_CN", MAIN_SIZE),
    "main-window.en.png": ("en", MAIN_SIZE),
    "pin-dialog.png": ("zh_CN", None),
    "verify_panel.png": ("zh_CN", MAIN_SIZE),
    "verify_panel.en.png": ("en", MAIN_SIZE),
    "batch_window.png": ("zh_CN", BATCH_SIZE),
    "usage_log.png": ("zh_CN", LOG_SIZE),
    "settings.png": ("zh_CN", SETTINGS_SIZE),
    "city_status.png": ("zh_CN", (MAIN_SIZE[0], CITY_STRIP_HEIGHT)),
    "register_dialog.png": ("zh_CN", None),
}

CONTRACT_SEAL_AT = (45.0, 210.0)  # mm from the top-left: over 甲方（盖章）
DUTY_SEAL_AT = (82.0, 226.0)  # over 法定代表人
APPROVAL = "审批-2026-018"
PURPOSE = "采购合同签订"


def _sample_pdf(path: Path, title: str = "采购合同") -> Path:
    """A one-page A4 contract in Chinese, with the usual places for the seals."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=595.28, height=841.89)
    page.insert_text((250, 90), title, fontname="china-s", fontsize=22)
    lines = [
        "甲方：示例科技有限公司",
        "乙方：某某贸易有限公司",
        "",
        "第一条  乙方向甲方供应办公设备一批，明细见附件。",
        "第二条  合同总价人民币壹拾贰万元整。",
        "第三条  乙方应于合同签订后三十日内交货。",
        "第四条  本合同一式两份，双方各执一份，自双方盖章之日起生效。",
    ]
    for number, line in enumerate(lines):
        page.insert_text((72, 150 + number * 24), line, fontname="china-s", fontsize=12)
    page.insert_text((72, 600), "甲方（盖章）：", fontname="china-s", fontsize=12)
    page.insert_text((340, 600), "乙方（盖章）：", fontname="china-s", fontsize=12)
    page.insert_text((72, 644), "法定代表人：", fontname="china-s", fontsize=12)
    page.insert_text((340, 644), "法定代表人：", fontname="china-s", fontsize=12)
    page.insert_text((72, 688), "日期：二〇二六年十一月三十日", fontname="china-s", fontsize=12)
    doc.save(path)
    doc.close()
    return path


def _wait(qt_app, done: Callable[[], bool], timeout: float = 120.0) -> None:
    """Run the event loop until `done()` (a worker reported back); a picture of a half state is useless."""
    limit = time.monotonic() + timeout
    while not done():
        if time.monotonic() > limit:
            raise TimeoutError("the window did not finish in time")
        qt_app.processEvents()
        time.sleep(0.01)
    for _ in range(5):
        qt_app.processEvents()


def _recent_file() -> Path:
    from app.core.paths import data_dir

    from .main_window import RECENT_FILE

    return data_dir() / RECENT_FILE


def _save(widget, path: Path) -> Path:
    if not widget.grab().save(str(path)):
        raise OSError(f"cannot write {path}")
    return path


class _Shots:
    """The state shared by the pictures: one Application over the demo key, a scratch folder."""

    def __init__(self, qt_app, folder: Path) -> None:
        from app.core import demo
        from app.core.application import Application
        from app.core.settings import Settings
        from app.core.usage.log import UsageLog

        from .resources import Languages

        self.qt_app = qt_app
        self.folder = folder
        self.scratch = Path(tempfile.mkdtemp(prefix="sealdesk-shots-"))
        self.log = UsageLog(self.scratch / "usage.sqlite3")
        self.app = Application(Settings(trust_roots=(str(demo.root_cert_path()),)), usage_log=self.log)
        self.languages = Languages(qt_app)
        self.key = next(k for k in self.app.keys() if k.label == demo.DEMO_LABEL)
        self.contents = self.app.key_contents(self.key)
        self.pin = demo.DEMO_PIN
        self._recent = _recent_file()
        self._recent_before = self._recent.read_bytes() if self._recent.exists() else None

    def close(self) -> None:
        self.app.close()
        self.log.close()
        self.languages.clear()
        shutil.rmtree(self.scratch, ignore_errors=True)
        # opening the scratch contracts put them in the user's 最近打开 list: put it back as it was
        if self._recent_before is None:
            self._recent.unlink(missing_ok=True)
        else:
            self._recent.write_bytes(self._recent_before)

    def language(self, language: str) -> None:
        self.app.set_language(language)
        self.languages.apply(language)

    def seal(self, kind: str):
        return next(s for s in self.contents.seals if s.kind == kind)

    def stamp(self, source: Path, kind: str, at: tuple[float, float], output: Path | None = None) -> Path:
        from app.core.application import StampStatus
        from app.core.stamping import SpotPlacement

        seal = self.seal(kind)
        plan = self.app.plan(source, seal.ref, SpotPlacement(at), APPROVAL if seal.is_official else None,
                             PURPOSE if seal.is_official else None,
                             key=self.key, contents=self.contents, output_path=output)
        if not plan.ok:
            raise RuntimeError(f"cannot stamp {source.name}: {plan.problems}")
        outcome = self.app.stamp(plan, self.pin)
        if outcome.status is not StampStatus.SIGNED:
            raise RuntimeError(f"stamping {source.name} failed: {outcome.error}")
        return outcome.result.output_path

    def main_window(self):
        from .main_window import MainWindow

        window = MainWindow(self.app, self.languages, watch=False)
        window.resize(*MAIN_SIZE)
        window.show()
        window._show_key(self.key)
        return window

    # -- pictures
    def placing(self, language: str, name: str, *, with_pin: bool) -> list[Path]:
        """The main window: a contract open, the contract seal following the mouse over 甲方（盖章）."""
        from .dialogs import PinDialog

        self.language(language)
        window = self.main_window()
        try:
            window.open_path(_sample_pdf(self.scratch / ("采购合同.pdf" if language == "zh_CN" else "contract.pdf")))
            _wait(self.qt_app, lambda: not window.verify_panel.is_busy())
            seal = self.seal("official")
            window.key_panel.seal_list.setCurrentItem(window.key_panel.seal_item(seal.ref))
            window.choose_seal(seal)
            window.page_view.set_zoom(70)
            window.page_view.set_placement(0, CONTRACT_SEAL_AT)
            window.page_view.scroll_to(0, (30.0, 150.0, 50.0, 90.0))
            _wait(self.qt_app, lambda: True)
            paths = [_save(window, self.folder / name)]
            if with_pin:
                dialog = PinDialog(self.app.refresh_key(self.key), window)
                dialog.show()
                _wait(self.qt_app, lambda: True)
                paths.append(_save(dialog, self.folder / "pin-dialog.png"))
                dialog.close()
            return paths
        finally:
            window.close()

    def verifying(self, signed: Path, language: str, name: str) -> Path:
        """The main window on a stamped contract: the 验章 panel's rows and the marks beside the seals."""
        self.language(language)
        window = self.main_window()
        try:
            window.open_path(signed)
            _wait(self.qt_app, lambda: window.verify_panel.report() is not None)
            window.verify_panel.list.setCurrentRow(0)
            window.page_view.set_zoom(70)
            window.page_view.scroll_to(0, (30.0, 150.0, 50.0, 90.0))
            _wait(self.qt_app, lambda: True)
            return _save(window, self.folder / name)
        finally:
            window.close()

    def batch(self) -> Path:
        """After a run: two stamped, one skipped (already stamped), one failed (damaged file)."""
        from .batch_window import BatchWindow

        self.language("zh_CN")
        inputs = self.scratch / "batch"
        inputs.mkdir()
        first = _sample_pdf(inputs / "采购合同-01.pdf")
        old = self.stamp(_sample_pdf(inputs / "旧合同.pdf"), "personal", (120.0, 250.0))
        (inputs / "旧合同.pdf").unlink()
        broken = inputs / "扫描件.pdf"
        broken.write_bytes(b"%PDF-1.7\nnot really a PDF\n")
        second = _sample_pdf(inputs / "租赁协议.pdf", "租赁协议")
        window = BatchWindow(self.app, pin_provider=lambda _key, _parent: self.pin)
        try:
            window.resize(*BATCH_SIZE)
            window.select_seal(self.seal("personal").ref)
            window.x_spin.setValue(120.0)
            window.y_spin.setValue(250.0)
            window.show()
            window.add_paths([first, old, broken, second])
            finished: list = []
            window.batchFinished.connect(finished.append)
            window.start()
            _wait(self.qt_app, lambda: bool(finished))
            return _save(window, self.folder / "batch_window.png")
        finally:
            window.close()

    def usage_log(self) -> Path:
        from .log_view import UsageLogView

        self.language("zh_CN")
        view = UsageLogView(self.app)
        try:
            view.resize(*LOG_SIZE)
            view.show()
            checked: list = []
            view.checkFinished.connect(checked.append)
            view.check_button.click()
            _wait(self.qt_app, lambda: bool(checked))
            return _save(view, self.folder / "usage_log.png")
        finally:
            view.close()

    def settings(self) -> Path:
        from .settings_dialog import SettingsDialog

        self.language("zh_CN")
        dialog = SettingsDialog(self.app)
        try:
            dialog.resize(*SETTINGS_SIZE)
            dialog.tsa_edit.setText("http://tsa.example.cn/tsr")
            dialog.show()
            _wait(self.qt_app, lambda: True)
            return _save(dialog, self.folder / "settings.png")
        finally:
            dialog.reject()

    def city(self) -> list[Path]:
        """A city system set up (a local address nobody answers: nothing is sent) with the records stamped so
        far waiting: the status bar indicator with its tooltip text, the usage log's sync column, and the
        registration dialog filled in for the demo key."""
        import dataclasses

        from .register_dialog import RegisterDialog

        self.language("zh_CN")
        self.app.settings = dataclasses.replace(self.app.settings, city_url="http://127.0.0.1:9")
        window = self.main_window()
        try:
            window.open_usage_log()
            window.log_dock.setMinimumHeight(300)
            _wait(self.qt_app, lambda: window.city.status is not None and window.city.status.pending > 0)
            _wait(self.qt_app, lambda: True)
            strip = window.grab(window.rect().adjusted(0, window.height() - CITY_STRIP_HEIGHT, 0, 0))
            _overlay_popups(self.qt_app, window.city_indicator, strip)
            paths = [self.folder / "city_status.png"]
            if not strip.save(str(paths[0])):
                raise OSError(f"cannot write {paths[0]}")
            dialog = RegisterDialog(self.app, [self.key], self.key, window)
            dialog.name_edit.setText("张三")
            dialog.organisation_edit.setText("示例科技有限公司")
            dialog.show()
            _wait(self.qt_app, lambda: True)
            paths.append(_save(dialog, self.folder / "register_dialog.png"))
            dialog.close()
            return paths
        finally:
            window.close()
            self.app.settings = dataclasses.replace(self.app.settings, city_url="")


def _overlay_popups(qt_app, indicator, strip) -> None:
    """Paint the indicator's menu and tooltip (top-level popups, not part of the window's grab) over the
    picture of the window's bottom, where they would open: above the indicator at the right."""
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QToolTip

    indicator.menu.popup(indicator.mapToGlobal(indicator.rect().topLeft()))
    _wait(qt_app, lambda: True)
    menu = indicator.menu.grab()
    indicator.menu.hide()
    QToolTip.showText(indicator.mapToGlobal(indicator.rect().topLeft()), indicator.toolTip(), indicator)
    _wait(qt_app, lambda: True)
    tips = [w for w in qt_app.topLevelWidgets() if w.inherits("QLabel") and w.isVisible()]
    painter = QPainter(strip)
    bottom = strip.height() - indicator.height() - 4
    right = strip.width() - 8
    painter.drawPixmap(right - menu.width(), bottom - menu.height(), menu)
    if tips:
        tip = tips[0].grab()
        painter.drawPixmap(right - menu.width() - tip.width() - 12, bottom - tip.height(), tip)
    painter.end()
    QToolTip.hideText()


def generate(folder: Path = DEFAULT_FOLDER) -> list[Path]:
    """Write every picture of PICTURES to `folder` (zh_CN, and English versions of the main window)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.core import demo

    from .resources import register_cjk_font

    folder.mkdir(parents=True, exist_ok=True)
    qt_app = QApplication.instance() or QApplication([sys.argv[0]])
    register_cjk_font(qt_app)
    if not demo.demo_key_exists():
        demo.create_demo_key()
    shots = _Shots(qt_app, folder)
    try:
        paths = shots.placing("zh_CN", "main-window.png", with_pin=True)
        paths += shots.placing("en", "main-window.en.png", with_pin=False)
        contract = _sample_pdf(shots.scratch / "合同.pdf")
        once = shots.stamp(contract, "official", CONTRACT_SEAL_AT, shots.scratch / "合同-公章.pdf")
        signed = shots.stamp(once, "duty", DUTY_SEAL_AT, shots.scratch / "采购合同（已盖章）.pdf")
        paths.append(shots.verifying(signed, "zh_CN", "verify_panel.png"))
        paths.append(shots.verifying(signed, "en", "verify_panel.en.png"))
        paths.append(shots.batch())
        paths.append(shots.usage_log())
        paths.append(shots.settings())
        paths += shots.city()
        return paths
    finally:
        shots.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER
    for written in generate(target):
        print(written)
