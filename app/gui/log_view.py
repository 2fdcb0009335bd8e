"""用印记录: the local usage log as a table, filterable by seal and date range, with the chain check (the
same check as `sealdesk log verify`) said plainly, and a column for each record's sync state with the city
e-seal system (UsageEntry.sync_text: waiting / sent / refused with the reason, "seal status unchecked"; the
city's own words about a refusal in the tooltip). The main window refreshes the view after each sync.

The chain check verifies every record's hash and signature, which takes a while on a long log, so it runs
on a worker thread.
"""

from __future__ import annotations

import html
import threading
from datetime import UTC, datetime, time

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.application import Application, SyncState, UsageEntry
from app.core.errors import SealDeskError
from app.i18n import translate

from .background import emit, start


class LogCheckWorker(QObject):
    finished = Signal(object, object)
    """(LogVerification | None, SealDeskError | None)"""

    def __init__(self, app: Application) -> None:
        super().__init__()
        self._app = app

    def run(self) -> None:
        try:
            result = self._app.check_usage_log()
        except SealDeskError as exc:
            emit(self.finished, None, exc)
            return
        emit(self.finished, result, None)


class UsageLogView(QWidget):
    """The 用印记录 panel/window."""

    checkFinished = Signal(object)
    """LogVerification, or None when the log could not be read."""

    COLUMNS = ("time", "seal", "kind", "document", "pages", "approval", "purpose", "outcome", "seq", "sync")

    def __init__(self, app: Application, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageLogView")
        self.app = app
        self.entries: list[UsageEntry] = []
        self.check_result = None
        self.check_error: SealDeskError | None = None
        self._thread: threading.Thread | None = None
        self._worker: LogCheckWorker | None = None
        self._seal_ids: list[str] = []

        self.seal_combo = QComboBox()
        self.seal_combo.setObjectName("logSeal")
        self.seal_combo.setMinimumContentsLength(14)
        self._seal_label = QLabel()
        self._seal_label.setBuddy(self.seal_combo)
        today = QDate.currentDate()
        self.from_check, self.to_check = QCheckBox(), QCheckBox()
        self.from_check.setObjectName("logFromEnabled")
        self.to_check.setObjectName("logToEnabled")
        self.from_date, self.to_date = QDateEdit(today.addMonths(-1)), QDateEdit(today)
        for check, edit, name in ((self.from_check, self.from_date, "logFrom"), (self.to_check, self.to_date, "logTo")):
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(self.reload)
            edit.dateChanged.connect(self.reload)
        self.seal_combo.currentIndexChanged.connect(self.reload)
        self.refresh_button = QPushButton()
        self.refresh_button.setObjectName("logRefresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.check_button = QPushButton()
        self.check_button.setObjectName("logCheck")
        self.check_button.clicked.connect(self.check_chain)
        filters = QHBoxLayout()
        for widget in (self._seal_label, self.seal_combo, self.from_check, self.from_date, self.to_check,
                       self.to_date):
            filters.addWidget(widget)
        filters.addStretch(1)
        filters.addWidget(self.refresh_button)
        filters.addWidget(self.check_button)

        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("logTable")
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("logCount")
        self.chain_label = QLabel()
        self.chain_label.setObjectName("logChain")
        self.chain_label.setWordWrap(True)
        self.chain_label.setTextFormat(Qt.RichText)
        self.problems = QPlainTextEdit()
        self.problems.setObjectName("logProblems")
        self.problems.setReadOnly(True)
        self.problems.setMaximumHeight(110)
        self.problems.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.chain_label)
        layout.addWidget(self.problems)
        order = [self.seal_combo, self.from_check, self.from_date, self.to_check, self.to_date, self.refresh_button,
                 self.check_button, self.table]
        for first, second in zip(order, order[1:], strict=False):
            self.setTabOrder(first, second)
        self.retranslate()
        self.refresh()

    # -- data
    def refresh(self) -> None:
        """Re-read the seals offered in the filter and the records."""
        try:
            every = self.app.usage_entries()
        except SealDeskError as exc:
            every = []
            self.check_error = exc
            self._show_check()
        current = self.seal_filter()
        names: dict[str, str] = {}
        for entry in every:
            names.setdefault(entry.record.seal_id, entry.record.seal_name)
        self._seal_ids = sorted(names, key=lambda sid: (names[sid], sid))
        self.seal_combo.blockSignals(True)
        self.seal_combo.clear()
        self.seal_combo.addItem(self.tr("All seals"))
        for seal_id in self._seal_ids:
            self.seal_combo.addItem(names[seal_id], seal_id)
        if current in self._seal_ids:
            self.seal_combo.setCurrentIndex(self._seal_ids.index(current) + 1)
        self.seal_combo.blockSignals(False)
        self.reload()

    def seal_filter(self) -> str | None:
        index = self.seal_combo.currentIndex()
        return self._seal_ids[index - 1] if 1 <= index <= len(self._seal_ids) else None

    def set_seal_filter(self, seal_id: str | None) -> None:
        self.seal_combo.setCurrentIndex(self._seal_ids.index(seal_id) + 1 if seal_id in self._seal_ids else 0)

    def set_date_range(self, since: QDate | None, until: QDate | None) -> None:
        for check, edit, value in ((self.from_check, self.from_date, since), (self.to_check, self.to_date, until)):
            check.blockSignals(True)
            check.setChecked(value is not None)
            edit.setEnabled(value is not None)
            if value is not None:
                edit.blockSignals(True)
                edit.setDate(value)
                edit.blockSignals(False)
            check.blockSignals(False)
        self.reload()

    def _bounds(self) -> tuple[datetime | None, datetime | None]:
        """The chosen days as local-time bounds (inclusive), in UTC."""
        since = until = None
        if self.from_check.isChecked():
            since = datetime.combine(self.from_date.date().toPython(), time.min).astimezone().astimezone(UTC)
        if self.to_check.isChecked():
            until = datetime.combine(self.to_date.date().toPython(), time.max).astimezone().astimezone(UTC)
        return since, until

    def reload(self) -> None:
        since, until = self._bounds()
        try:
            self.entries = self.app.usage_entries(seal_id=self.seal_filter(), since=since, until=until)
        except SealDeskError as exc:
            self.entries = []
            self.check_error = exc
            self._show_check()
        self._fill()

    def _fill(self) -> None:
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            for column, text in enumerate(self._cells(entry)):
                item = QTableWidgetItem(text)
                if column == self.COLUMNS.index("outcome") and (entry.voided_by or entry.record.outcome == "void"):
                    item.setForeground(QBrush(QColor("#b26a00")))
                if column == self.COLUMNS.index("sync"):
                    self._decorate_sync(item, entry)
                self.table.setItem(row, column, item)
        self.count_label.setText(self.tr("{count} record(s) shown").format(count=len(self.entries)))

    def _cells(self, entry: UsageEntry) -> list[str]:
        r = entry.record
        moment = entry.stamped_at.astimezone().strftime("%Y-%m-%d %H:%M:%S") if entry.stamped_at else r.stamped_at
        pages = sorted({p.page for p in r.placements})
        if r.outcome == "void":
            outcome = self.tr("void (voids an earlier record)")
        elif entry.voided_by:
            outcome = self.tr("voided: the file was not written")
        else:
            outcome = self.tr("stamped")
        return [
            moment,
            r.seal_name,
            self._kind_text(r.seal_kind),
            r.document_name,
            ", ".join(str(p) for p in pages) + f" / {r.page_count}",
            r.approval_ref or "—",
            r.purpose or "—",
            outcome,
            str(r.seq),
            entry.sync_text(translate),
        ]

    def _decorate_sync(self, item: QTableWidgetItem, entry: UsageEntry) -> None:
        """Refused in red, status unchecked in amber; the tooltip explains both (with the city's detail)."""
        lines = [entry.sync_text(translate)]
        if entry.sync_reason:
            detail = self._city_detail(entry)
            if detail:
                lines.append(self.tr("The city system said: {detail}").format(detail=detail))
        if entry.sync_state is SyncState.REJECTED:
            item.setForeground(QBrush(QColor("#c62828")))
        elif entry.status_unchecked:
            item.setForeground(QBrush(QColor("#b26a00")))
        if entry.status_unchecked:
            lines.append(self.tr("Stamped while the city system could not be asked whether the seal is valid."))
        item.setToolTip("\n".join(lines))

    def _city_detail(self, entry: UsageEntry) -> str:
        """The city's explanation of a refusal (English text from the server, kept in the sync table)."""
        try:
            return self.app.sync_store.state_of(entry.record.record_id).detail or ""
        except Exception:  # noqa: BLE001 - only a tooltip: an unreadable sync table must not break the view
            return ""

    def _kind_text(self, category: str) -> str:
        texts = {
            "official": self.tr("official seal"),
            "duty": self.tr("duty seal"),
            "personal": self.tr("personal seal"),
            "other": self.tr("other seal"),
        }
        return texts.get(category, category)

    def column_texts(self, column: str) -> list[str]:
        index = self.COLUMNS.index(column)
        return [self.table.item(row, index).text() for row in range(self.table.rowCount())]

    def column_tooltips(self, column: str) -> list[str]:
        index = self.COLUMNS.index(column)
        return [self.table.item(row, index).toolTip() for row in range(self.table.rowCount())]

    # -- chain check
    def check_chain(self) -> None:
        if self._worker is not None:
            return
        self.check_result = None
        self.check_error = None
        self.chain_label.setText(self.tr("Checking the chain and the signatures of every record…"))
        self.problems.hide()
        self._worker = LogCheckWorker(self.app)
        self._worker.finished.connect(self._checked, Qt.QueuedConnection)
        self.check_button.setEnabled(False)
        self._thread = start(self._worker.run, "log-check")

    def _checked(self, result, error: SealDeskError | None) -> None:
        if self._thread is not None:
            self._thread.join()  # it ends right after emitting
        self._thread = None
        self._worker = None
        self.check_button.setEnabled(True)
        self.check_result = result
        self.check_error = error
        self._show_check()
        self.checkFinished.emit(result)

    def _show_check(self) -> None:
        result, error = self.check_result, self.check_error
        if error is not None:
            self.chain_label.setText(
                f"<span style='color: #c62828;'><b>✘ {html.escape(error.user_message(translate))}</b></span>"
            )
            self.problems.hide()
        elif result is None:
            self.chain_label.setText(self.tr("The chain has not been checked yet."))
            self.problems.hide()
        elif result.ok:
            self.chain_label.setText(
                "<span style='color: #2e7d32;'><b>✔ {}</b></span>".format(
                    html.escape(self.tr("The usage log is intact: {count} record(s) checked, every link and signature "
                                    "is valid.").format(count=result.checked))
                )
            )
            self.problems.hide()
        else:
            self.chain_label.setText(
                "<span style='color: #c62828;'><b>✘ {}</b></span>".format(
                    html.escape(self.tr("The usage log has been changed or damaged: {count} problem(s) found.").format(
                        count=len(result.problems)))
                )
            )
            self.problems.setPlainText("\n".join(result.problems))
            self.problems.show()

    def wait(self, ms: int = 30000) -> None:
        if self._thread is not None:
            self._thread.join(ms / 1000)

    # -- texts
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Usage log"))
        self._seal_label.setText(self.tr("&Seal:"))
        if self.seal_combo.count():
            self.seal_combo.setItemText(0, self.tr("All seals"))
        self.from_check.setText(self.tr("&From"))
        self.to_check.setText(self.tr("&To"))
        self.refresh_button.setText(self.tr("&Refresh"))
        self.check_button.setText(self.tr("&Check the chain"))
        headers = [self.tr("Time"), self.tr("Seal"), self.tr("Kind"), self.tr("Document"), self.tr("Pages"),
                   self.tr("Approval"), self.tr("Purpose"), self.tr("Outcome"), self.tr("No."), self.tr("Sync")]
        self.table.setHorizontalHeaderLabels(headers)
        self._fill()
        self._show_check()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

