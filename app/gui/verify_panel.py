"""验章 panel: a dock that stays, listing every signature of the open PDF with a status icon and a sentence
(valid / modified after signing / untrusted / seal invalid / picture does not match …), the details of the
selected one, marks for the PageView and an exportable report (HTML or PDF).

Verification runs on a worker thread (pyHanko and the seal checks take a while on big files); results come
back through queued signals so the window stays responsive. The panel talks to the PageView only through
signals (`scrollRequested`, `marksChanged`) and `bind()`, so it works with any view that follows the
contract in docs/architecture.md.
"""

from __future__ import annotations

import html
import threading
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.core.application import Application, VerificationStatus
from app.core.errors import SealDeskError
from app.core.report import (
    FINDING_TEXT,
    STATUS_COLOUR,
    STATUS_SYMBOL,
    STATUS_TEXT,
    VerificationReport,
    build_report,
    document_warnings,
    row_details,
    write_report_html,
    write_report_pdf,
)
from app.i18n import translate

from .background import emit, start


def status_icon(status: VerificationStatus | str, size: int = 20) -> QIcon:
    """A round badge: green ✔, amber !, red ✘ (drawn, so no icon files and the same on every platform)."""
    if isinstance(status, str) and not isinstance(status, VerificationStatus):
        status = {"valid": VerificationStatus.VALID, "warning": VerificationStatus.WARNING}.get(
            status, VerificationStatus.INVALID
        )
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(Qt.NoPen)
    painter.setBrush(QColor(STATUS_COLOUR[status]))
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    painter.setPen(QColor("white"))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 0.7))
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignCenter, STATUS_SYMBOL[status])
    painter.end()
    return QIcon(pixmap)


class VerifyWorker(QObject):
    """Runs Application.verify and builds the report off the GUI thread."""

    finished = Signal(object, object)
    """(VerificationReport | None, SealDeskError | None)"""

    def __init__(self, app: Application, path: Path) -> None:
        super().__init__()
        self._app = app
        self._path = path

    def run(self) -> None:
        try:
            report = build_report(self._app.verify(self._path), clock=self._app.clock)
        except SealDeskError as exc:
            emit(self.finished, None, exc)
            return
        except OSError as exc:  # the file vanished between opening and verifying
            from app.core.errors import DocumentNotFound

            emit(self.finished, None, DocumentNotFound(str(exc), name=self._path.name))
            return
        emit(self.finished, report, None)


class VerifyPanel(QWidget):
    """The 验章 dock's content. `verify(path)` starts; `verificationFinished` reports."""

    scrollRequested = Signal(int, object)
    """page, rect_mm (x, y, w, h): connect to PageView.scroll_to."""
    marksChanged = Signal(object)
    """list of (page, rect_mm, "valid"|"warning"|"invalid"): connect to PageView.set_marks."""
    verificationStarted = Signal(str)
    verificationFinished = Signal(object)
    """VerificationReport, or None when the file could not be verified."""

    def __init__(self, app: Application, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verifyPanel")
        self.app = app
        self.path: Path | None = None
        self.error: SealDeskError | None = None
        self._report: VerificationReport | None = None
        self._thread: threading.Thread | None = None
        self._worker: VerifyWorker | None = None
        self._pending: Path | None = None
        self._mark_rows: list[int] = []

        self.file_label = QLabel()
        self.file_label.setObjectName("verifyFile")
        self.file_label.setTextFormat(Qt.PlainText)
        self.file_label.setStyleSheet("font-weight: bold;")
        self.header = QLabel()
        self.header.setObjectName("verifyHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.RichText)
        self.list = QListWidget()
        self.list.setObjectName("signatureList")
        self.list.setIconSize(QSize(20, 20))
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(self._row_selected)
        self.list.itemActivated.connect(lambda item: self._row_selected(self.list.row(item)))
        self.list.itemClicked.connect(lambda item: self._row_selected(self.list.row(item)))
        self._list_label = QLabel()
        self._list_label.setBuddy(self.list)
        self.details = QTextBrowser()
        self.details.setObjectName("signatureDetails")
        self.details.setOpenLinks(False)
        self.verify_button = QPushButton()
        self.verify_button.setObjectName("verifyAgain")
        self.verify_button.clicked.connect(self.verify_again)
        self.export_button = QPushButton()
        self.export_button.setObjectName("exportReport")
        self.export_button.clicked.connect(self.export_dialog)
        buttons = QHBoxLayout()
        buttons.addWidget(self.verify_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.file_label)
        layout.addWidget(self.header)
        layout.addWidget(self._list_label)
        layout.addWidget(self.list, 2)
        layout.addWidget(self.details, 3)
        layout.addLayout(buttons)
        self.setTabOrder(self.list, self.details)
        self.setTabOrder(self.details, self.verify_button)
        self.setTabOrder(self.verify_button, self.export_button)
        self.setMinimumWidth(300)
        self.retranslate()
        self._update_buttons()

    # -- wiring
    def bind(self, page_view) -> None:
        """Connect to a PageView (contract: scroll_to, set_marks, markClicked)."""
        self.scrollRequested.connect(page_view.scroll_to)
        self.marksChanged.connect(page_view.set_marks)
        page_view.markClicked.connect(self.select_mark)

    # -- verification
    def verify(self, path: str | Path) -> None:
        """Verify `path` on the worker thread (a newer request waits for the running one, then replaces it)."""
        path = Path(path)
        if self._worker is not None:
            self._pending = path
            return
        self.path = path
        self.error = None
        self._report = None
        self.list.clear()
        self.details.clear()
        self.marksChanged.emit([])
        self.file_label.setText(path.name)
        self.header.setText(self.tr("Verifying “{name}”…").format(name=html.escape(path.name)))
        self._worker = VerifyWorker(self.app, path)
        self._worker.finished.connect(self._finished, Qt.QueuedConnection)
        self._update_buttons()
        self.verificationStarted.emit(str(path))
        self._thread = start(self._worker.run, "verify-worker")

    def verify_again(self) -> None:
        if self.path is not None:
            self.verify(self.path)

    def clear(self) -> None:
        """No document: empty panel, no marks."""
        self._pending = None
        if self._worker is None:
            self.path = None
        self._report = None
        self.error = None
        self.list.clear()
        self.details.clear()
        self.marksChanged.emit([])
        self.retranslate()
        self._update_buttons()

    def is_busy(self) -> bool:
        return self._worker is not None

    def wait(self, ms: int = 30000) -> None:
        """Block until the running verification ends (closing the window; tests use qtbot.waitSignal)."""
        if self._thread is not None:
            self._thread.join(ms / 1000)

    def report(self) -> VerificationReport | None:
        return self._report

    def _finished(self, report: VerificationReport | None, error: SealDeskError | None) -> None:
        if self._thread is not None:
            self._thread.join()  # it ends right after emitting
        self._thread = None
        self._worker = None
        pending, self._pending = self._pending, None
        if pending is not None and pending != self.path:
            self.verify(pending)
            return
        self._report = report
        self.error = error
        self._show()
        self._update_buttons()
        self.marksChanged.emit(report.marks() if report is not None else [])
        self.verificationFinished.emit(report)

    # -- display
    def _show(self) -> None:
        self.list.clear()
        self._mark_rows = []
        report = self._report
        if self.error is not None:
            name = self.path.name if self.path else ""
            self.header.setText(
                "<span style='color: #c62828;'><b>✘ {}</b></span><br>{}".format(
                    html.escape(self.tr("“{name}” could not be verified.").format(name=name)),
                    html.escape(self.error.user_message(translate)),
                )
            )
            self.details.clear()
            return
        if report is None:
            self.retranslate_header()
            return
        colour = STATUS_COLOUR[report.status]
        self.file_label.setText(report.path.name)
        header = "<span style='color: {};'><b>{} {}</b></span>".format(
            colour, STATUS_SYMBOL[report.status], html.escape(translate("report", STATUS_TEXT[report.status]))
        )
        if report.rows:  # "No signatures — 0 signature(s)" said the same thing twice
            header += " — " + html.escape(self.tr("{count} signature(s)").format(count=len(report.rows)))
        header += "".join(
            f"<br><span style='color: #b26b00;'>! {html.escape(text)}</span>" for text in document_warnings(report, translate)
        )
        self.header.setText(header)
        for row in report.rows:
            title = row.seal_name or row.signer or row.field_name
            text = f"{title}\n{translate('report', FINDING_TEXT[row.finding])}"
            item = QListWidgetItem(status_icon(row.mark_status), text)
            item.setData(Qt.UserRole, row.index)
            item.setToolTip(row.signer)
            self.list.addItem(item)
            self._mark_rows.extend(row.index for _ in row.locations)
        if report.rows:
            self.list.setCurrentRow(0)
        else:
            self.details.setPlainText(self.tr("This document has no signatures."))

    def _row_selected(self, index: int) -> None:
        report = self._report
        if report is None or not 0 <= index < len(report.rows):
            return
        row = report.rows[index]
        lines = ["<table>"]
        for label, value in row_details(row, translate):
            lines.append(f"<tr><td style='padding-right: 6px;'><b>{html.escape(label)}</b></td><td>{html.escape(str(value))}</td></tr>")
        lines.append("</table>")
        self.details.setHtml("".join(lines))
        if row.locations:
            location = row.locations[0]
            self.scrollRequested.emit(location.page, location.rect_mm)

    def select_mark(self, mark_index: int) -> None:
        """A mark on the page was clicked (PageView.markClicked): select its signature."""
        if 0 <= mark_index < len(self._mark_rows):
            self.list.setCurrentRow(self._mark_rows[mark_index])

    def selected_row(self) -> int:
        return self.list.currentRow()

    # -- export
    def export_dialog(self) -> None:
        if self._report is None:
            return
        pdf_filter, html_filter = self.tr("PDF report (*.pdf)"), self.tr("HTML report (*.html)")
        suggested = self._report.path.with_name(
            self.tr("{stem} verification report").format(stem=self._report.path.stem) + ".pdf"
        )
        name, chosen = QFileDialog.getSaveFileName(
            self, self.tr("Export the verification report"), str(suggested), f"{pdf_filter};;{html_filter}"
        )
        if not name:
            return
        target = Path(name)
        if chosen == html_filter and target.suffix.lower() not in (".html", ".htm"):
            target = target.with_suffix(".html")
        elif chosen == pdf_filter and target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")
        self.export_to(target, replace=True)  # the dialog already asked before replacing a file

    def export_to(self, target: str | Path, *, replace: bool = False) -> Path | None:
        """Write the report as PDF (.pdf) or HTML (anything else); a clear message on failure."""
        if self._report is None:
            return None
        target = Path(target)
        writer = write_report_pdf if target.suffix.lower() == ".pdf" else write_report_html
        try:
            return writer(self._report, target, translate, replace=replace)
        except SealDeskError as exc:
            box = QMessageBox(QMessageBox.Warning, self.tr("Export the verification report"),
                              exc.user_message(translate), QMessageBox.Ok, self)
            box.setObjectName("exportError")
            box.open()
            return None
        except OSError as exc:
            box = QMessageBox(QMessageBox.Warning, self.tr("Export the verification report"),
                              self.tr("The report could not be written: {reason}").format(reason=exc.strerror or exc),
                              QMessageBox.Ok, self)
            box.setObjectName("exportError")
            box.open()
            return None

    # -- texts
    def _update_buttons(self) -> None:
        self.verify_button.setEnabled(self.path is not None and self._worker is None)
        self.export_button.setEnabled(self._report is not None and self._worker is None)

    def retranslate_header(self) -> None:
        if self._worker is not None and self.path is not None:
            self.header.setText(self.tr("Verifying “{name}”…").format(name=html.escape(self.path.name)))
        elif self._report is None and self.error is None:
            self.file_label.setText("")
            self.header.setText(self.tr("Open a PDF to see its signatures and seals."))

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Verification"))
        self._list_label.setText(self.tr("&Signatures:"))
        self.verify_button.setText(self.tr("&Verify again"))
        self.verify_button.setShortcut(QKeySequence("F5"))
        self.export_button.setText(self.tr("&Export report…"))
        current = self.list.currentRow()
        if self._report is not None or self.error is not None:
            self._show()
            if current >= 0:
                self.list.setCurrentRow(current)
        else:
            self.retranslate_header()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

