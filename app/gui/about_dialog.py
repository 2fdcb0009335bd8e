"""About SealDesk (Help → About): the version, its components' versions and the PKCS#11 modules in use.

The text is the same as `sealdesk --version` (app/core/about.py) plus the Qt version the window runs on and
the modules this window actually loaded, so a holder can copy one block into a support request.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import qVersion
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.core.about import ModuleLine, about_text
from app.core.paths import resources_dir
from app.i18n import translate

log = logging.getLogger(__name__)


def loaded_modules(application) -> list[ModuleLine] | None:
    """The modules the running Application tried (loaded or not); None when it cannot say (then the
    About text lists the modules found on disk instead)."""
    try:
        return [ModuleLine(info.name, info.path, info.loaded) for info in application.modules()]
    except Exception as exc:  # noqa: BLE001 - the About box must open even when the key layer is broken
        log.debug("modules for About: %s", exc)
        return None


class AboutDialog(QDialog):
    """Icon, name and version, then the details as selectable text with a Copy button."""

    def __init__(self, application, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About SealDesk"))
        icon = QLabel()
        pixmap = QPixmap(str(resources_dir() / "icons" / "sealdesk-64.png"))
        if not pixmap.isNull():
            icon.setPixmap(pixmap)
        title = QLabel(f"<b>SealDesk {__version__}</b><br>"
                       + self.tr("Electronic seals (电子印章) on your USB key: stamp, sign and verify PDFs."))
        title.setWordWrap(True)
        header = QHBoxLayout()
        header.addWidget(icon)
        header.addWidget(title, 1)

        self.details = QPlainTextEdit()
        self.details.setObjectName("aboutDetails")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.NoWrap)
        fixed = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        fixed.setFamilies([fixed.family(), *QFont(self.font()).families()])  # keeps the CJK fallback
        self.details.setFont(fixed)
        self.details.setPlainText(
            about_text(translate, loaded_modules(application), extra=[("Qt (runtime)", qVersion())])
        )
        self.details.setMinimumSize(560, 260)

        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        copy = QPushButton(self.tr("Copy"))
        copy.setObjectName("aboutCopy")
        copy.clicked.connect(self.copy)
        buttons.addButton(copy, QDialogButtonBox.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def copy(self) -> None:
        """Put the details on the clipboard (for a support request)."""
        QGuiApplication.clipboard().setText(self.details.toPlainText())
