"""Screenshots for docs/screenshots/ from the real widgets: `python -m app.gui.screenshots [folder]`.

Uses the demo key (created when missing) and a generated contract; nothing is signed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _sample_pdf(path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=595.28, height=841.89)
    page.insert_text((200, 90), "采购合同", fontname="china-s", fontsize=22)
    lines = [
        "甲方：示例科技有限公司",
        "乙方：某某贸易有限公司",
        "",
        "第一条  乙方向甲方供应办公设备一批，明细见附件。",
        "第二条  合同总价人民币壹拾贰万元整（¥120,000.00）。",
        "第三条  本合同一式两份，双方各执一份，自双方盖章之日起生效。",
    ]
    for number, line in enumerate(lines):
        page.insert_text((72, 150 + number * 24), line, fontname="china-s", fontsize=12)
    page.insert_text((72, 620), "甲方（盖章）：", fontname="china-s", fontsize=12)
    page.insert_text((340, 620), "乙方（盖章）：", fontname="china-s", fontsize=12)
    page.insert_text((72, 650), "日期：2026 年 11 月 30 日", fontname="china-s", fontsize=12)
    doc.save(path)
    doc.close()
    return path


def generate(folder: Path = DEFAULT_FOLDER, *, language: str = "zh_CN") -> list[Path]:
    """Render the main window (a seal placed on a contract) and the PIN dialog to PNG files in `folder`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.core.application import Application
    from app.core.usage.log import UsageLog

    from .app import ensure_a_key
    from .dialogs import PinDialog
    from .main_window import MainWindow
    from .resources import Languages, register_cjk_font

    folder.mkdir(parents=True, exist_ok=True)
    qt_app = QApplication.instance() or QApplication([sys.argv[0]])
    register_cjk_font(qt_app)
    ensure_a_key()
    scratch = Path(tempfile.mkdtemp(prefix="sealdesk-shots-"))
    log = UsageLog(scratch / "usage.sqlite3")
    app = Application(usage_log=log)
    languages = Languages(qt_app)
    window = None
    try:
        app.set_language(language)
        languages.apply(language)
        window = MainWindow(app, languages, watch=False)
        window.resize(1280, 860)
        window.show()
        window.open_path(_sample_pdf(scratch / "采购合同.pdf"))
        keys = app.keys()
        window._show_key(next((k for k in keys if k.is_demo), keys[0]))
        contents = window.key_panel.contents()
        seal = next((s for s in contents.seals if s.is_official), contents.seals[0])
        window.choose_seal(seal)
        window.page_view.set_zoom(75)
        window.page_view.set_placement(0, (55.0, 212.0))
        window.page_view.scroll_to(0, (30.0, 150.0, 50.0, 90.0))
        item = window.key_panel.seal_item(seal.ref)
        window.key_panel.seal_list.setCurrentItem(item)
        for _ in range(5):
            qt_app.processEvents()
        main_png = folder / "main-window.png"
        window.grab().save(str(main_png))
        dialog = PinDialog(app.refresh_key(window.key), window)
        dialog.show()
        for _ in range(5):
            qt_app.processEvents()
        pin_png = folder / "pin-dialog.png"
        dialog.grab().save(str(pin_png))
        dialog.close()
        return [main_png, pin_png]
    finally:
        if window is not None:
            window.close()
        app.close()
        log.close()
        languages.clear()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER
    for path in generate(target):
        print(path)
