"""批量盖章: stamp many PDFs with one seal and ONE PIN entry.

Files and folders come in by button or drag & drop. "Start" first plans every file on a worker thread (no
PIN yet: where the seal lands, what blocks, which files are already stamped and are skipped), then asks the
PIN once and stamps the plans on a worker thread through Application.stamp_batch. Each row shows its state
live (waiting / stamping / done → output name / skipped / failed: reason / cancelled). Cancel is honoured
between documents and at the safe points inside one, so nothing partial is ever written. The window stays
responsive throughout; at the end a summary and "Open folder".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.application import (
    Application,
    KeySummary,
    ProgressEvent,
    SealSummary,
    StampOutcome,
    StampPlan,
    StampStatus,
    WarningKind,
)
from app.core.errors import SealDeskError
from app.core.keys.pin import pin_state_error
from app.core.stamping import (
    CancelToken,
    CrossPagePlacement,
    KeywordPlacement,
    PlacementRequest,
    SpotPlacement,
)
from app.i18n import translate

from .background import emit, start

PinProvider = Callable[[KeySummary, QWidget], "str | None"]


class FileState(StrEnum):
    WAITING = "waiting"
    PLANNING = "planning"
    STAMPING = "stamping"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class BatchFile:
    path: Path
    state: FileState = FileState.WAITING
    output: Path | None = None
    reason: str = ""
    plan: StampPlan | None = None


@dataclass(frozen=True)
class BatchSummary:
    stamped: int
    skipped: int
    failed: int
    cancelled: int
    folders: tuple[Path, ...]
    """Folders the signed copies went to ("Open folder" opens the first)."""


def default_pin_provider(key: KeySummary, parent: QWidget) -> str | None:
    """The main window's PIN dialog (masked, never pre-filled, shows the key's PIN state)."""
    from .dialogs import PinDialog

    dialog = PinDialog(key, parent)
    if dialog.exec() != QDialog.Accepted:
        return None
    return dialog.take_pin()


BATCH_SUFFIXES = (".pdf", ".ofd")


def pdfs_in(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given (PDF and OFD documents only) and those directly inside given folders, sorted by name."""
    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found.extend(sorted(p for p in entry.iterdir() if p.is_file() and p.suffix.lower() in BATCH_SUFFIXES))
        elif entry.suffix.lower() in BATCH_SUFFIXES:
            found.append(entry)
    return found


class PlanWorker(QObject):
    """Plans every file (no PIN) off the GUI thread."""

    planned = Signal(int, object, object)
    """row, StampPlan | None, SealDeskError | None"""
    finished = Signal()

    def __init__(self, app: Application, jobs: list[tuple[int, Path]], seal_ref: str, placement: PlacementRequest,
                 approval: str | None, purpose: str | None, key: KeySummary, contents, folder: str | None) -> None:
        super().__init__()
        self._app = app
        self._jobs = jobs
        self._args = (seal_ref, placement, approval, purpose)
        self._key = key
        self._contents = contents
        self._folder = folder
        self.cancel_token = CancelToken()

    def run(self) -> None:
        seal_ref, placement, approval, purpose = self._args
        taken: list[Path] = []
        for row, path in self._jobs:
            if self.cancel_token.cancelled:
                break
            try:
                output = self._app.output_path_for(path, folder=self._folder, taken=taken)
                plan = self._app.plan(path, seal_ref, placement, approval, purpose, key=self._key,
                                      output_path=output, contents=self._contents)
                taken.append(output)
                emit(self.planned, row, plan, None)
            except SealDeskError as exc:
                emit(self.planned, row, None, exc)
        emit(self.finished)


class BatchStampWorker(QObject):
    """Application.stamp_batch off the GUI thread; the PIN is dropped as soon as the key is logged in."""

    progress = Signal(object)
    """ProgressEvent"""
    outcome = Signal(object)
    """StampOutcome, as each document ends"""
    finished = Signal(object)
    """list[StampOutcome]"""

    def __init__(self, app: Application, plans: list[StampPlan], pin: str) -> None:
        super().__init__()
        self._app = app
        self._plans = plans
        self._pin: str | None = pin
        self.cancel_token = CancelToken()

    def run(self) -> None:
        pin, self._pin = self._pin or "", None
        outcomes = self._app.stamp_batch(
            self._plans,
            pin,
            progress=lambda event: emit(self.progress, event),
            cancel=self.cancel_token,
            on_outcome=lambda outcome: emit(self.outcome, outcome),
        )
        del pin
        emit(self.finished, outcomes)


class BatchWindow(QWidget):
    """The 批量盖章 window (a top-level window; the main window keeps working beside it)."""

    batchFinished = Signal(object)
    """BatchSummary"""
    stateChanged = Signal(int, str)
    """row, FileState value (tests and the status bar listen)."""
    stampingStarted = Signal(object)
    """BatchStampWorker, just before its thread starts (its signals can still be connected)."""

    COL_FILE, COL_STATE = 0, 1

    def __init__(self, app: Application, parent: QWidget | None = None, *,
                 pin_provider: PinProvider | None = None) -> None:
        super().__init__(parent, Qt.Window)
        self.setObjectName("batchWindow")
        self.setAcceptDrops(True)
        self.app = app
        self.files: list[BatchFile] = []
        self.summary: BatchSummary | None = None
        self._pin_provider = pin_provider or default_pin_provider
        self._planner: PlanWorker | None = None
        self._stamper: BatchStampWorker | None = None
        self._thread: threading.Thread | None = None
        self._keys: list[KeySummary] = []
        self._seals: list[SealSummary] = []
        self._contents = None
        self._plan_rows: list[int] = []
        self._build()
        self.retranslate()
        self.refresh_keys()
        self._update_buttons()
        self.resize(860, 620)

    # -- layout
    def _build(self) -> None:
        self.table = QTableWidget(0, 2)
        self.table.setObjectName("batchFiles")
        # file names are short, the state may carry a reason: the state column gets the rest of the width
        self.table.horizontalHeader().setSectionResizeMode(self.COL_FILE, QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(self.COL_STATE, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.add_files_button = QPushButton()
        self.add_files_button.setObjectName("addFiles")
        self.add_files_button.clicked.connect(self._add_files_dialog)
        self.add_folder_button = QPushButton()
        self.add_folder_button.setObjectName("addFolder")
        self.add_folder_button.clicked.connect(self._add_folder_dialog)
        self.remove_button = QPushButton()
        self.remove_button.setObjectName("removeFiles")
        self.remove_button.clicked.connect(self._remove_selected)
        file_buttons = QHBoxLayout()
        for button in (self.add_files_button, self.add_folder_button, self.remove_button):
            file_buttons.addWidget(button)
        file_buttons.addStretch(1)
        self._drop_hint = QLabel()
        self._drop_hint.setStyleSheet("color: #555555;")

        # seal and key
        self.key_combo = QComboBox()
        self.key_combo.setObjectName("batchKey")
        self.key_combo.currentIndexChanged.connect(self._key_changed)
        self.seal_combo = QComboBox()
        self.seal_combo.setObjectName("batchSeal")
        self.seal_combo.setIconSize(QSize(28, 28))
        self.seal_combo.currentIndexChanged.connect(self._seal_changed)
        self.approval_edit = QLineEdit()
        self.approval_edit.setObjectName("batchApproval")
        self.purpose_edit = QLineEdit()
        self.purpose_edit.setObjectName("batchPurpose")
        self.approval_edit.textChanged.connect(self._update_buttons)

        # mode
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("batchMode")
        self.mode_combo.addItems(["", "", ""])
        self.mode_stack = QStackedWidget()
        self.pages_edit = QLineEdit("1")
        self.pages_edit.setObjectName("batchPages")
        self.x_spin, self.y_spin = QDoubleSpinBox(), QDoubleSpinBox()
        for spin, value, name in ((self.x_spin, 150.0, "batchX"), (self.y_spin, 240.0, "batchY")):
            spin.setRange(0.0, 2000.0)
            spin.setDecimals(1)
            spin.setValue(value)
            spin.setSuffix(" mm")
            spin.setObjectName(name)
        spot = QWidget()
        spot_form = QFormLayout(spot)
        spot_form.setContentsMargins(0, 0, 0, 0)
        self._spot_labels = [QLabel(), QLabel(), QLabel()]
        for label, widget in zip(self._spot_labels, (self.pages_edit, self.x_spin, self.y_spin), strict=True):
            label.setBuddy(widget)
            spot_form.addRow(label, widget)
        self.keyword_edit = QLineEdit()
        self.keyword_edit.setObjectName("batchKeyword")
        self.keyword_every = QCheckBox()
        self.keyword_every.setObjectName("batchEvery")
        keyword = QWidget()
        keyword_form = QFormLayout(keyword)
        keyword_form.setContentsMargins(0, 0, 0, 0)
        self._keyword_label = QLabel()
        self._keyword_label.setBuddy(self.keyword_edit)
        keyword_form.addRow(self._keyword_label, self.keyword_edit)
        keyword_form.addRow("", self.keyword_every)
        self.cross_side = QComboBox()
        self.cross_side.setObjectName("batchCrossSide")
        self.cross_side.addItems(["", ""])
        self.cross_pages = QLineEdit("all")
        self.cross_pages.setObjectName("batchCrossPages")
        cross = QWidget()
        cross_form = QFormLayout(cross)
        cross_form.setContentsMargins(0, 0, 0, 0)
        self._cross_labels = [QLabel(), QLabel()]
        for label, widget in zip(self._cross_labels, (self.cross_side, self.cross_pages), strict=True):
            label.setBuddy(widget)
            cross_form.addRow(label, widget)
        for widget in (spot, keyword, cross):
            self.mode_stack.addWidget(widget)
        self.mode_combo.currentIndexChanged.connect(self.mode_stack.setCurrentIndex)
        self.keyword_edit.textChanged.connect(self._update_buttons)

        # output
        self.folder_edit = QLineEdit(self.app.settings.output_folder)
        self.folder_edit.setObjectName("batchOutputFolder")
        self.folder_button = QPushButton()
        self.folder_button.setObjectName("chooseOutputFolder")
        self.folder_button.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.folder_button)

        self.options = QGroupBox()
        form = QFormLayout(self.options)
        self._labels = {name: QLabel() for name in ("key", "seal", "approval", "purpose", "mode", "folder")}
        form.addRow(self._labels["key"], self.key_combo)
        form.addRow(self._labels["seal"], self.seal_combo)
        form.addRow(self._labels["approval"], self.approval_edit)
        form.addRow(self._labels["purpose"], self.purpose_edit)
        form.addRow(self._labels["mode"], self.mode_combo)
        form.addRow("", self.mode_stack)
        form.addRow(self._labels["folder"], folder_row)
        for name, widget in (("key", self.key_combo), ("seal", self.seal_combo), ("approval", self.approval_edit),
                             ("purpose", self.purpose_edit), ("mode", self.mode_combo),
                             ("folder", self.folder_edit)):
            self._labels[name].setBuddy(widget)

        # run
        self.progress = QProgressBar()
        self.progress.setObjectName("batchProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("batchSummary")
        self.summary_label.setWordWrap(True)
        self.start_button = QPushButton()
        self.start_button.setObjectName("batchStart")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("batchCancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.open_folder_button = QPushButton()
        self.open_folder_button.setObjectName("batchOpenFolder")
        self.open_folder_button.clicked.connect(self.open_folder)
        self.close_button = QPushButton()
        self.close_button.setObjectName("batchClose")
        self.close_button.clicked.connect(self.close)
        run_row = QHBoxLayout()
        run_row.addWidget(self.start_button)
        run_row.addWidget(self.cancel_button)
        run_row.addStretch(1)
        run_row.addWidget(self.open_folder_button)
        run_row.addWidget(self.close_button)
        escape = QShortcut(QKeySequence(Qt.Key_Escape), self)
        escape.activated.connect(lambda: self.cancel() if self.is_busy() else self.close())

        left = QVBoxLayout()
        left.addLayout(file_buttons)
        left.addWidget(self.table, 1)
        left.addWidget(self._drop_hint)
        top = QHBoxLayout()
        top.addLayout(left, 3)
        top.addWidget(self.options, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary_label)
        layout.addLayout(run_row)
        order = [self.add_files_button, self.add_folder_button, self.remove_button, self.table, self.key_combo,
                 self.seal_combo, self.approval_edit, self.purpose_edit, self.mode_combo, self.pages_edit,
                 self.x_spin, self.y_spin, self.keyword_edit, self.keyword_every, self.cross_side,
                 self.cross_pages, self.folder_edit, self.folder_button, self.start_button, self.cancel_button,
                 self.open_folder_button, self.close_button]
        for first, second in zip(order, order[1:], strict=False):
            self.setTabOrder(first, second)

    # -- keys and seals
    def refresh_keys(self) -> None:
        try:
            self._keys = self.app.keys()
        except SealDeskError:
            self._keys = []
        self.key_combo.blockSignals(True)
        self.key_combo.clear()
        for key in self._keys:
            self.key_combo.addItem(f"{key.label} ({key.serial})")
        self.key_combo.blockSignals(False)
        self._key_changed(0 if self._keys else -1)

    def _key_changed(self, index: int) -> None:
        self._contents = None
        self._seals = []
        if 0 <= index < len(self._keys):
            try:
                self._contents = self.app.key_contents(self._keys[index])
                self._seals = list(self._contents.seals)
            except SealDeskError:
                self._contents = None
        self.seal_combo.blockSignals(True)
        self.seal_combo.clear()
        first_usable = -1
        for row, seal in enumerate(self._seals):
            pixmap = QPixmap()
            pixmap.loadFromData(seal.picture_png)
            self.seal_combo.addItem(QIcon(pixmap), seal.name)
            item = self.seal_combo.model().item(row)
            if not seal.usable:
                item.setEnabled(False)
                reason = seal.problem.user_message(translate) if seal.problem else ""
                item.setToolTip(reason)
                self.seal_combo.setItemText(row, self.tr("{name} — cannot be used: {reason}").format(
                    name=seal.name, reason=reason))
            elif first_usable < 0:
                first_usable = row
        self.seal_combo.setCurrentIndex(first_usable)
        self.seal_combo.blockSignals(False)
        self._seal_changed(self.seal_combo.currentIndex())

    def key(self) -> KeySummary | None:
        index = self.key_combo.currentIndex()
        return self._keys[index] if 0 <= index < len(self._keys) else None

    def seal(self) -> SealSummary | None:
        index = self.seal_combo.currentIndex()
        return self._seals[index] if 0 <= index < len(self._seals) else None

    def select_seal(self, ref: str) -> None:
        for row, seal in enumerate(self._seals):
            if ref in (seal.ref, seal.name) and seal.usable:
                self.seal_combo.setCurrentIndex(row)
                return

    def _seal_changed(self, _index: int) -> None:
        seal = self.seal()
        needs = bool(seal and seal.is_official and self.app.settings.require_approval_for_official)
        self.approval_edit.setEnabled(needs)
        self.purpose_edit.setEnabled(needs)
        self._update_buttons()

    # -- files
    def add_paths(self, paths: Sequence[str | Path]) -> int:
        """Add PDFs and folders' PDFs (each file once); returns how many were added."""
        if self.is_busy():
            return 0
        known = {f.path.resolve() for f in self.files}
        added = 0
        for path in pdfs_in(paths):
            if path.resolve() in known:
                continue
            known.add(path.resolve())
            self.files.append(BatchFile(path))
            row = self.table.rowCount()
            self.table.insertRow(row)
            name = QTableWidgetItem(path.name)
            name.setToolTip(str(path))
            self.table.setItem(row, self.COL_FILE, name)
            self.table.setItem(row, self.COL_STATE, QTableWidgetItem())
            self._show_state(row)
            added += 1
        self.summary = None
        self._update_buttons()
        return added

    def _add_files_dialog(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, self.tr("Add documents"), "",
                                                self.tr("Documents (*.pdf *.ofd)"))
        self.add_paths(names)

    def _add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add the PDFs of a folder"))
        if folder:
            self.add_paths([folder])

    def _remove_selected(self) -> None:
        if self.is_busy():
            return
        for row in sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)
            del self.files[row]
        self._update_buttons()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder for the signed copies"),
                                                  self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if not self.is_busy() and pdfs_in([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if self.add_paths(paths):
            event.acceptProposedAction()

    # -- running
    def is_busy(self) -> bool:
        return self._thread is not None

    def placement(self) -> PlacementRequest | None:
        mode = self.mode_combo.currentIndex()
        if mode == 0:
            return SpotPlacement((self.x_spin.value(), self.y_spin.value()), pages=self.pages_edit.text().strip() or "1")
        if mode == 1:
            text = self.keyword_edit.text().strip()
            return KeywordPlacement(keyword=text, every=self.keyword_every.isChecked()) if text else None
        return CrossPagePlacement(pages=self.cross_pages.text().strip() or "all",
                                  edge="left" if self.cross_side.currentIndex() == 1 else "right")

    def start(self) -> None:
        """Plan every waiting file (worker), then ask the PIN once and stamp (worker)."""
        key, seal, placement = self.key(), self.seal(), self.placement()
        if self.is_busy() or key is None or seal is None or placement is None:
            return
        jobs = [(row, f.path) for row, f in enumerate(self.files) if f.state is FileState.WAITING]
        if not jobs:
            return
        approval = self.approval_edit.text().strip() or None if self.approval_edit.isEnabled() else None
        purpose = self.purpose_edit.text().strip() or None if self.purpose_edit.isEnabled() else None
        self.summary = None
        self.summary_label.setText(self.tr("Checking the documents…"))
        for row, _path in jobs:
            self._set_state(row, FileState.PLANNING)
        self.progress.setRange(0, len(jobs))
        self.progress.setValue(0)
        folder = self.folder_edit.text().strip() or None
        self._planner = PlanWorker(self.app, jobs, seal.ref, placement, approval, purpose, key, self._contents, folder)
        self._planner.planned.connect(self._planned, Qt.QueuedConnection)
        self._planner.finished.connect(self._planning_done, Qt.QueuedConnection)
        self._update_buttons()
        self._thread = start(self._planner.run, "batch-plan")

    def _planned(self, row: int, plan: StampPlan | None, error: SealDeskError | None) -> None:
        item = self.files[row]
        item.plan = plan
        self.progress.setValue(self.progress.value() + 1)
        if error is not None:
            self._set_state(row, FileState.FAILED, error.user_message(translate))
        elif not plan.ok:
            self._set_state(row, FileState.FAILED, plan.problems[0].user_message(translate))
        elif any(w.kind is WarningKind.ALREADY_SIGNED for w in plan.warnings):
            self._set_state(row, FileState.SKIPPED)
        else:
            item.output = plan.output
            self._set_state(row, FileState.WAITING)

    def _planning_done(self) -> None:
        cancelled = self._planner.cancel_token.cancelled if self._planner else False
        self._end_thread()
        self._planner = None
        for row, item in enumerate(self.files):
            if item.state is FileState.PLANNING:
                self._set_state(row, FileState.CANCELLED if cancelled else FileState.WAITING)
        ready = [row for row, f in enumerate(self.files) if f.state is FileState.WAITING and f.plan is not None]
        if cancelled or not ready:
            self._finish()
            return
        try:
            key = self.app.refresh_key(self.key())  # the PIN state right now, for the dialog
        except SealDeskError as exc:
            for row in ready:
                self._set_state(row, FileState.FAILED, exc.user_message(translate))
            self._finish()
            return
        blocked = pin_state_error(key.pin_state)  # a locked key: no dialog would help, nothing is tried
        if blocked is not None:
            for row in ready:
                self._set_state(row, FileState.FAILED, blocked.user_message(translate))
            self._finish()
            return
        pin = self._pin_provider(key, self)
        if not pin:
            for row in ready:
                self._set_state(row, FileState.CANCELLED)
            self._finish()
            return
        self._plan_rows = ready
        self.progress.setRange(0, len(ready))
        self.progress.setValue(0)
        self.summary_label.setText(self.tr("Stamping…"))
        self._stamper = BatchStampWorker(self.app, [self.files[row].plan for row in ready], pin)
        del pin
        self._stamper.progress.connect(self._on_progress, Qt.QueuedConnection)
        self._stamper.outcome.connect(self._on_outcome, Qt.QueuedConnection)
        self._stamper.finished.connect(self._stamping_done, Qt.QueuedConnection)
        self._update_buttons()
        self.stampingStarted.emit(self._stamper)
        self._thread = start(self._stamper.run, "batch-stamp")

    @property
    def stamp_worker(self) -> BatchStampWorker | None:
        return self._stamper

    def _on_progress(self, event: ProgressEvent) -> None:
        row = self._plan_rows[event.document_number - 1]
        if self.files[row].state is FileState.WAITING:
            self._set_state(row, FileState.STAMPING)

    def _on_outcome(self, outcome: StampOutcome) -> None:
        row = next(r for r in self._plan_rows if self.files[r].plan is outcome.plan)
        if outcome.status is StampStatus.SIGNED:
            self.files[row].output = outcome.result.output_path
            self._set_state(row, FileState.DONE)
        elif outcome.status is StampStatus.CANCELLED:
            self._set_state(row, FileState.CANCELLED)
        else:
            self._set_state(row, FileState.FAILED, outcome.error.user_message(translate))
        self.progress.setValue(self.progress.value() + 1)

    def _stamping_done(self, outcomes: list[StampOutcome]) -> None:
        self._end_thread()
        self._stamper = None
        for outcome in outcomes:  # in case a queued outcome signal is still behind
            row = next(r for r in self._plan_rows if self.files[r].plan is outcome.plan)
            if self.files[row].state in (FileState.WAITING, FileState.STAMPING):
                self._on_outcome(outcome)
        self._finish()

    def cancel(self) -> None:
        """Stop before the next document (or at the next safe point of the current one)."""
        for worker in (self._planner, self._stamper):
            if worker is not None:
                worker.cancel_token.cancel()
        if self.is_busy():
            self.summary_label.setText(self.tr("Cancelling…"))

    def _end_thread(self) -> None:
        if self._thread is not None:
            self._thread.join()  # it ends right after emitting "finished"
        self._thread = None

    def _finish(self) -> None:
        count = {state: 0 for state in FileState}
        for item in self.files:
            count[item.state] += 1
        folders = tuple(dict.fromkeys(f.output.parent for f in self.files if f.state is FileState.DONE and f.output))
        self.summary = BatchSummary(count[FileState.DONE], count[FileState.SKIPPED], count[FileState.FAILED],
                                    count[FileState.CANCELLED], folders)
        self._show_summary()
        self._update_buttons()
        self.batchFinished.emit(self.summary)

    def _show_summary(self) -> None:
        s = self.summary
        if s is None:
            self.summary_label.setText("")
            return
        self.summary_label.setText(
            self.tr("Finished: {stamped} stamped, {skipped} skipped, {failed} failed, {cancelled} cancelled.").format(
                stamped=s.stamped, skipped=s.skipped, failed=s.failed, cancelled=s.cancelled
            )
        )

    def output_folder_url(self) -> QUrl | None:
        if self.summary is None or not self.summary.folders:
            return None
        return QUrl.fromLocalFile(str(self.summary.folders[0]))

    def open_folder(self) -> None:
        url = self.output_folder_url()
        if url is not None:
            QDesktopServices.openUrl(url)

    # -- states
    def _set_state(self, row: int, state: FileState, reason: str = "") -> None:
        self.files[row].state = state
        self.files[row].reason = reason
        self._show_state(row)
        self.stateChanged.emit(row, state.value)

    def state_text(self, row: int) -> str:
        item = self.files[row]
        texts = {
            FileState.WAITING: self.tr("waiting"),
            FileState.PLANNING: self.tr("checking…"),
            FileState.STAMPING: self.tr("stamping…"),
            FileState.DONE: self.tr("done → {name}").format(name=item.output.name if item.output else ""),
            FileState.SKIPPED: self.tr("skipped: already stamped"),
            FileState.FAILED: self.tr("failed: {reason}").format(reason=item.reason),
            FileState.CANCELLED: self.tr("cancelled: nothing written"),
        }
        return texts[item.state]

    def _show_state(self, row: int) -> None:
        cell = self.table.item(row, self.COL_STATE)
        if cell is None:
            return
        marks = {FileState.DONE: "✔ ", FileState.FAILED: "✘ ", FileState.SKIPPED: "! "}  # not by colour alone
        cell.setText(marks.get(self.files[row].state, "") + self.state_text(row))
        cell.setToolTip(self.state_text(row))
        colours = {FileState.DONE: "#2e7d32", FileState.FAILED: "#c62828", FileState.SKIPPED: "#b26a00",
                   FileState.CANCELLED: "#555555"}
        colour = colours.get(self.files[row].state)
        cell.setForeground(QBrush(QColor(colour)) if colour else QBrush())

    def _update_buttons(self) -> None:
        busy = self.is_busy()
        seal = self.seal()
        needs_approval = self.approval_edit.isEnabled() and not self.approval_edit.text().strip()
        waiting = any(f.state is FileState.WAITING for f in self.files)
        self.start_button.setEnabled(not busy and seal is not None and waiting and not needs_approval
                                     and self.placement() is not None)
        self.cancel_button.setEnabled(busy)
        for widget in (self.add_files_button, self.add_folder_button, self.remove_button, self.options):
            widget.setEnabled(not busy)
        self.open_folder_button.setEnabled(not busy and self.output_folder_url() is not None)

    # -- texts
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Batch stamping"))
        self.table.setHorizontalHeaderLabels([self.tr("File"), self.tr("Status")])
        self.add_files_button.setText(self.tr("Add &files…"))
        self.add_folder_button.setText(self.tr("Add f&older…"))
        self.remove_button.setText(self.tr("&Remove"))
        self._drop_hint.setText(self.tr("You can also drop PDF files or folders here."))
        self.options.setTitle(self.tr("Seal and position"))
        self._labels["key"].setText(self.tr("&Key:"))
        self._labels["seal"].setText(self.tr("S&eal:"))
        self._labels["approval"].setText(self.tr("A&pproval reference:"))
        self._labels["purpose"].setText(self.tr("P&urpose:"))
        self._labels["mode"].setText(self.tr("&Mode:"))
        self._labels["folder"].setText(self.tr("Output fol&der:"))
        self.mode_combo.setItemText(0, self.tr("Same spot on chosen pages"))
        self.mode_combo.setItemText(1, self.tr("At a keyword"))
        self.mode_combo.setItemText(2, self.tr("Cross-page seal"))
        self._spot_labels[0].setText(self.tr("Pa&ges:"))
        self._spot_labels[1].setText(self.tr("Centre &X (from left):"))
        self._spot_labels[2].setText(self.tr("Centre &Y (from top):"))
        self.pages_edit.setToolTip(self.tr("e.g. 1-3,5,-1 (-1 = last page)"))
        self._keyword_label.setText(self.tr("&Text:"))
        self.keyword_every.setText(self.tr("Every match (else the first)"))
        self._cross_labels[0].setText(self.tr("S&ide:"))
        self._cross_labels[1].setText(self.tr("Pa&ges:"))
        self.cross_side.setItemText(0, self.tr("right edge"))
        self.cross_side.setItemText(1, self.tr("left edge"))
        self.folder_edit.setPlaceholderText(self.tr("beside each document"))
        self.folder_button.setText(self.tr("&Browse…"))
        self.start_button.setText(self.tr("&Start"))
        self.cancel_button.setText(self.tr("&Cancel"))
        self.open_folder_button.setText(self.tr("Ope&n folder"))
        self.close_button.setText(self.tr("Close"))
        for row in range(len(self.files)):
            self._show_state(row)
        self._show_summary()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        """Closing while busy cancels and waits for the current document to end cleanly."""
        self.cancel()
        if self._thread is not None:
            self._thread.join(60)
        super().closeEvent(event)
