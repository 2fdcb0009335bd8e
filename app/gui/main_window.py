"""The main window: open a PDF, choose a seal in the key panel, place it, see the plan's warnings, enter the
PIN last, stamp in a worker, and open the signed copy with its verification.

Docking points for later work (verification panel, batch window, usage log, settings): `add_panel()` adds a
dock, `menus` holds the File / Stamp / View / Key / Language menus by name.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.core.application import (
    VERIFICATION_STATUS_TEXT,
    Application,
    KeyEvent,
    KeyEventKind,
    KeySummary,
    SealSummary,
    StampOutcome,
    StampPlan,
    StampStatus,
    VerificationStatus,
    VerificationSummary,
)
from app.core.document import open_document
from app.core.errors import SealDeskError
from app.core.keys.pin import pin_state_error
from app.core.paths import data_dir
from app.core.stamping import (
    CrossPagePlacement,
    FieldPlacement,
    KeywordPlacement,
    PlacementRequest,
    SpotPlacement,
    StampPhase,
)
from app.gui.page_view import PageView
from app.gui.thumbnails import ThumbnailList
from app.i18n import translate

from .dialogs import ApprovalDialog, PinChangeDialog, PinDialog
from .key_panel import KeyPanel
from .resources import LANGUAGES, Languages
from .worker import StampWorker, start_in_thread

log = logging.getLogger(__name__)
RECENT_FILE = "recent.json"
RECENT_MAX = 10
DOCUMENT_SUFFIXES = (".pdf", ".ofd")
"""What the window opens (by drop and in the open dialog); the content decides the format."""


class Mode:
    SPOT = "spot"
    PAGES = "pages"
    KEYWORD = "keyword"
    CROSS = "cross"
    FIELD = "field"


class _KeyEvents(QObject):
    """Carries watcher callbacks (another thread) to the GUI thread through a queued signal."""

    event = Signal(object)


class MainWindow(QMainWindow):
    workerStarted = Signal()
    """The PIN was given and the worker runs (signing starts)."""
    workerFinished = Signal()
    """The worker is done (before the signed copy is opened)."""
    stampFinished = Signal(object)
    """StampOutcome, after the signed copy is shown (tests and later panels listen)."""

    def __init__(self, app: Application, languages: Languages | None = None, *, watch: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.app = app
        self.languages = languages
        self.document = None
        self.document_path: Path | None = None
        self.key: KeySummary | None = None
        self.seal: SealSummary | None = None
        self.mode = Mode.SPOT
        self.last_outcome: StampOutcome | None = None
        self.last_verification: VerificationSummary | None = None
        self.message_box: QMessageBox | None = None
        self._worker: StampWorker | None = None
        self._thread = None
        self._progress: QProgressDialog | None = None
        self.menus: dict[str, QMenu] = {}
        self.setAcceptDrops(True)

        self.page_view = PageView()
        self.page_view.setObjectName("pageView")
        self.setCentralWidget(self._central())
        self.key_panel = KeyPanel()
        self.key_dock = self.add_panel(self.key_panel, "keyDock", Qt.LeftDockWidgetArea)
        self.thumbnails = ThumbnailList()
        self.thumbnails.setObjectName("thumbnails")
        self.thumbnails.bind(self.page_view)
        self.thumbnail_dock = self.add_panel(self.thumbnails, "thumbnailDock", Qt.LeftDockWidgetArea)
        self.tabifyDockWidget(self.key_dock, self.thumbnail_dock)
        self.key_dock.raise_()
        self._build_actions()
        self._status = QLabel()
        self._status.setObjectName("verificationStatus")
        self.statusBar().addPermanentWidget(self._status, 1)
        self._page_label = QLabel()
        self._page_label.setObjectName("pageIndicator")
        self.statusBar().addPermanentWidget(self._page_label)
        self.page_view.pageChanged.connect(lambda _page: self._show_page_and_zoom())
        self.page_view.zoomChanged.connect(lambda _zoom: self._show_page_and_zoom())
        self.page_view.documentChanged.connect(self._show_page_and_zoom)

        self.page_view.placementConfirmed.connect(self._placement_confirmed)
        self.page_view.placementCancelled.connect(lambda: self.statusBar().showMessage(self.tr("Placement cancelled.")))
        self.page_view.fieldClicked.connect(self._field_clicked)
        self.key_panel.sealChosen.connect(self.choose_seal)
        self.key_panel.keyChosen.connect(self._key_chosen)
        self.key_panel.changePinRequested.connect(self.change_pin)
        self._key_events = _KeyEvents()
        self._key_events.event.connect(self._on_key_event, Qt.QueuedConnection)

        self._install_parts()
        self._install_city()
        self.retranslate()
        self.resize(1280, 860)
        # the 验章 details (signer, certificate serial …) need more room than the key panel's seal list
        self.resizeDocks([self.key_dock, self.verify_dock], [300, 340], Qt.Horizontal)
        self.refresh_keys()
        if watch:
            self.app.watch(self._key_events.event.emit)

    # -- layout
    def _central(self) -> QWidget:
        self.mode_bar = QStackedWidget()
        self.mode_bar.setObjectName("modeBar")
        self._spot_hint = QLabel()
        self._pages_edit = QLineEdit("1--1")
        self._pages_edit.setObjectName("pagesEdit")
        self._pages_label = QLabel()
        self._pages_label.setBuddy(self._pages_edit)
        pages_box = _row(self._pages_label, self._pages_edit, QLabel())
        self._pages_hint = pages_box.findChildren(QLabel)[-1]
        self.keyword_edit = QLineEdit()
        self.keyword_edit.setObjectName("keywordEdit")
        self.keyword_edit.textChanged.connect(self._search_keyword)
        self._keyword_label = QLabel()
        self._keyword_label.setBuddy(self.keyword_edit)
        self.keyword_every = QComboBox()
        self.keyword_every.setObjectName("keywordEvery")
        self.keyword_every.addItems(["", ""])
        self._keyword_matches = QLabel()
        self.keyword_stamp = QPushButton()
        self.keyword_stamp.setObjectName("keywordStamp")
        self.keyword_stamp.clicked.connect(self._stamp_keyword)
        keyword_box = _row(self._keyword_label, self.keyword_edit, self.keyword_every, self._keyword_matches,
                           self.keyword_stamp)
        self.cross_side = QComboBox()
        self.cross_side.setObjectName("crossSide")
        self.cross_side.addItems(["", ""])
        self.cross_pages = QLineEdit("all")
        self.cross_pages.setObjectName("crossPages")
        self.cross_y = QDoubleSpinBox()
        self.cross_y.setObjectName("crossY")
        self.cross_y.setRange(0, 2000)
        self.cross_y.setDecimals(1)
        self.cross_y.setSpecialValueText("—")
        self.cross_stamp = QPushButton()
        self.cross_stamp.setObjectName("crossStamp")
        self.cross_stamp.clicked.connect(self._stamp_cross)
        self._cross_labels = [QLabel(), QLabel(), QLabel()]
        for label, widget in zip(self._cross_labels, (self.cross_side, self.cross_pages, self.cross_y), strict=True):
            label.setBuddy(widget)
        for signal in (self.cross_side.currentIndexChanged, self.cross_pages.textChanged, self.cross_y.valueChanged):
            signal.connect(self._preview_cross)
        cross_box = _row(self._cross_labels[0], self.cross_side, self._cross_labels[1], self.cross_pages,
                         self._cross_labels[2], self.cross_y, self.cross_stamp)
        self._field_hint = QLabel()
        for widget in (self._spot_hint, pages_box, keyword_box, cross_box, self._field_hint):
            self.mode_bar.addWidget(widget)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.mode_bar)
        layout.addWidget(self.page_view, 1)
        return central

    def _show_page_and_zoom(self) -> None:
        """"Page 3 / 12 · 100 %" in the status bar (empty without a document)."""
        document = self.page_view.document()
        if document is None:
            self._page_label.setText("")
            return
        self._page_label.setText(
            self.tr("Page {page} / {count} · {zoom} %").format(
                page=self.page_view.current_page() + 1, count=document.page_count, zoom=round(self.page_view.zoom())
            )
        )

    def add_panel(self, widget: QWidget, name: str, area: Qt.DockWidgetArea = Qt.RightDockWidgetArea) -> QDockWidget:
        """Dock a panel (the verification panel, usage log … plug in here)."""
        dock = QDockWidget(self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_actions(self) -> None:
        self.act_open = QAction(self)
        self.act_open.setShortcut(QKeySequence.Open)
        self.act_open.triggered.connect(self._open_dialog)
        self.act_quit = QAction(self)
        self.act_quit.setShortcut(QKeySequence.Quit)
        self.act_quit.triggered.connect(self.close)
        self.act_stamp = QAction(self)
        self.act_stamp.setObjectName("actStamp")
        self.act_verify = QAction(self)
        self.act_verify.setObjectName("actVerify")
        self.act_verify.triggered.connect(self.verify_current)
        self.act_pages = QAction(self)
        self.act_cross = QAction(self)
        self.act_keyword = QAction(self)
        self.act_keyword.setShortcut(QKeySequence.Find)
        self.act_field = QAction(self)
        self.mode_actions = {
            Mode.SPOT: self.act_stamp,
            Mode.PAGES: self.act_pages,
            Mode.KEYWORD: self.act_keyword,
            Mode.CROSS: self.act_cross,
            Mode.FIELD: self.act_field,
        }
        group = QActionGroup(self)
        for mode, action in self.mode_actions.items():
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda _checked=False, m=mode: self.set_mode(m))
        self.act_stamp.setChecked(True)
        self.act_fit_width = QAction(self)
        self.act_fit_width.triggered.connect(self.page_view.fit_width)
        self.act_fit_page = QAction(self)
        self.act_fit_page.triggered.connect(self.page_view.fit_page)
        self.act_zoom_in = QAction(self)
        self.act_zoom_in.setShortcut(QKeySequence.ZoomIn)
        self.act_zoom_in.triggered.connect(lambda: self.page_view.set_zoom(self.page_view.zoom() * 1.25))
        self.act_zoom_out = QAction(self)
        self.act_zoom_out.setShortcut(QKeySequence.ZoomOut)
        self.act_zoom_out.triggered.connect(lambda: self.page_view.set_zoom(self.page_view.zoom() / 1.25))
        self.act_change_pin = QAction(self)
        self.act_change_pin.triggered.connect(lambda: self.key and self.change_pin(self.key))
        self.act_refresh_keys = QAction(self)
        self.act_refresh_keys.setShortcut(QKeySequence.Refresh)
        self.act_refresh_keys.triggered.connect(self.refresh_keys)

        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.toolbar.addAction(self.act_stamp)
        self.toolbar.addAction(self.act_verify)
        self.toolbar.addSeparator()
        for action in (self.act_pages, self.act_cross, self.act_keyword, self.act_field):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.act_open)
        self.toolbar.addAction(self.act_fit_width)
        self.toolbar.addAction(self.act_fit_page)
        self.addToolBar(self.toolbar)

        bar = self.menuBar()
        self.menus["file"] = bar.addMenu("")
        self.menus["file"].addAction(self.act_open)
        self.recent_menu = self.menus["file"].addMenu("")
        self.menus["file"].addSeparator()
        self.menus["file"].addAction(self.act_quit)
        self.menus["stamp"] = bar.addMenu("")
        for action in self.mode_actions.values():
            self.menus["stamp"].addAction(action)
        self.menus["stamp"].addSeparator()
        self.menus["stamp"].addAction(self.act_verify)
        self.menus["view"] = bar.addMenu("")
        for action in (self.act_fit_width, self.act_fit_page, self.act_zoom_in, self.act_zoom_out):
            self.menus["view"].addAction(action)
        self.menus["view"].addAction(self.key_dock.toggleViewAction())
        self.menus["view"].addAction(self.thumbnail_dock.toggleViewAction())
        self.menus["key"] = bar.addMenu("")
        self.menus["key"].addAction(self.act_change_pin)
        self.menus["key"].addAction(self.act_refresh_keys)
        self.menus["language"] = bar.addMenu("")
        self.language_actions: dict[str, QAction] = {}
        lang_group = QActionGroup(self)
        for code, name in LANGUAGES:
            action = QAction(name, self, checkable=True)
            action.triggered.connect(lambda _c=False, c=code: self.set_language(c))
            lang_group.addAction(action)
            self.menus["language"].addAction(action)
            self.language_actions[code] = action
        self._fill_recent()

    # -- texts
    def retranslate(self) -> None:
        self.setWindowTitle(self._title())
        self._retranslate_parts()
        texts = {
            self.act_open: self.tr("&Open…"),
            self.act_quit: self.tr("&Quit"),
            self.act_stamp: self.tr("Stamp"),
            self.act_verify: self.tr("Verify"),
            self.act_pages: self.tr("Multi-page stamp"),
            self.act_cross: self.tr("Cross-page seal"),
            self.act_keyword: self.tr("Keyword stamp"),
            self.act_field: self.tr("Signature field"),
            self.act_fit_width: self.tr("Fit width"),
            self.act_fit_page: self.tr("Fit page"),
            self.act_zoom_in: self.tr("Zoom in"),
            self.act_zoom_out: self.tr("Zoom out"),
            self.act_change_pin: self.tr("Change PIN…"),
            self.act_refresh_keys: self.tr("Look for keys again"),
        }
        for action, text in texts.items():
            action.setText(text)
        self.act_stamp.setToolTip(self.tr("Choose a seal, then click on the page to place it"))
        self.act_verify.setToolTip(self.tr("Verify every signature and seal of this document"))
        self.menus["file"].setTitle(self.tr("&File"))
        self.recent_menu.setTitle(self.tr("Open &recent"))
        self.menus["stamp"].setTitle(self.tr("&Stamp"))
        self.menus["view"].setTitle(self.tr("&View"))
        self.menus["key"].setTitle(self.tr("&Key"))
        self.menus["language"].setTitle(self.tr("&Language"))
        if hasattr(self, "city_indicator"):
            self.city_indicator.retranslate()
        self.key_dock.setWindowTitle(self.tr("Key and seals"))
        self.thumbnail_dock.setWindowTitle(self.tr("Pages"))
        self._show_page_and_zoom()
        self._spot_hint.setText(
            self.tr("Choose a seal on the left, click on the page to place it. Arrows nudge, Esc cancels.")
        )
        self._pages_label.setText(self.tr("&Pages:"))
        self._pages_hint.setText(self.tr("e.g. 1-3,5,-1 (-1 = last page); then click the spot on any page"))
        self._keyword_label.setText(self.tr("&Text:"))
        self.keyword_every.setItemText(0, self.tr("first match"))
        self.keyword_every.setItemText(1, self.tr("every match"))
        self.keyword_stamp.setText(self.tr("Stamp at the text"))
        self._cross_labels[0].setText(self.tr("S&ide:"))
        self.cross_side.setItemText(0, self.tr("right edge"))
        self.cross_side.setItemText(1, self.tr("left edge"))
        self._cross_labels[1].setText(self.tr("P&ages:"))
        self._cross_labels[2].setText(self.tr("&Vertical centre (mm):"))
        self.cross_y.setSpecialValueText(self.tr("middle"))
        self.cross_stamp.setText(self.tr("Stamp the cross-page seal"))
        self._field_hint.setText(self.tr("Click an empty signature field (dashed frame) to stamp into it."))
        self._update_keyword_count()
        if self.last_verification is not None:
            self._show_verification(self.last_verification)
        for code, action in self.language_actions.items():
            action.setChecked(code == (self.languages.language if self.languages else self.app.language))

    def _title(self) -> str:
        name = self.document_path.name if self.document_path else ""
        return f"{name} — SealDesk" if name else "SealDesk"

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_language(self, language: str) -> None:
        """Switch the language now: Qt's translators and the core's messages."""
        self.app.set_language(language)
        if self.languages is not None:
            self.languages.apply(language)
        self.retranslate()
        self.key_panel.retranslate()

    # -- documents
    def _open_dialog(self) -> None:
        start = str(self.document_path.parent) if self.document_path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a document"), start,
            ";;".join((self.tr("Documents (*.pdf *.ofd)"), self.tr("PDF documents (*.pdf)"),
                       self.tr("OFD documents (*.ofd)"))),
        )
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            document = open_document(path)
        except SealDeskError as exc:
            self.show_message(QMessageBox.Warning, self.tr("Cannot open"), exc.user_message(translate))
            return False
        except Exception as exc:  # noqa: BLE001 - PyMuPDF raises its own types for unreadable files
            log.debug("open failed: %s", exc)
            self.show_message(QMessageBox.Warning, self.tr("Cannot open"),
                              self.tr("{name} is damaged or not a PDF.").format(name=path.name))
            return False
        if self.document is not None:
            self.document.close()
        self.document = document
        self.document_path = path
        self.page_view.set_document(document)
        self.last_verification = None
        self._status.setText("")
        self._remember(path)
        self.verify_panel.verify(path)  # 验章 of every opened PDF or OFD, on the panel's worker thread
        self.setWindowTitle(self._title())
        self._enter_mode()
        return True

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if any(url.toLocalFile().lower().endswith(DOCUMENT_SUFFIXES) for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.toLocalFile().lower().endswith(DOCUMENT_SUFFIXES):
                self.open_path(url.toLocalFile())
                event.acceptProposedAction()
                return

    def _recent(self) -> list[str]:
        try:
            items = json.loads((data_dir() / RECENT_FILE).read_text(encoding="utf-8"))
            return [str(i) for i in items if isinstance(i, str)][:RECENT_MAX]
        except (OSError, ValueError):
            return []

    def _remember(self, path: Path) -> None:
        items = [str(path.resolve())] + [p for p in self._recent() if p != str(path.resolve())]
        try:
            (data_dir() / RECENT_FILE).write_text(json.dumps(items[:RECENT_MAX], ensure_ascii=False), "utf-8")
        except OSError as exc:
            log.debug("recent files not saved: %s", exc)
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for item in self._recent():
            action = self.recent_menu.addAction(item)
            action.triggered.connect(lambda _c=False, p=item: self.open_path(p))
        self.recent_menu.setEnabled(bool(self._recent()))

    # -- keys
    def refresh_keys(self) -> None:
        try:
            keys = self.app.keys()
        except SealDeskError as exc:
            log.debug("listing keys failed: %s", exc)
            keys = []
        current = next((k for k in keys if self.key and k.ref == self.key.ref), keys[0] if keys else None)
        self.key_panel.set_keys(keys, current)
        self._show_key(current)

    def _show_key(self, key: KeySummary | None) -> None:
        self.key = key
        contents = None
        if key is not None:
            try:
                contents = self.app.key_contents(key)
            except SealDeskError as exc:
                log.debug("reading the key failed: %s", exc)
                self.key = None
        self.key_panel.set_contents(contents)
        if self.seal is not None and (contents is None or self.seal.ref not in [s.ref for s in contents.seals]):
            self.seal = None
            self.page_view.end_placement()

    def _key_chosen(self, key: KeySummary) -> None:
        self._show_key(key)

    def _on_key_event(self, event: KeyEvent) -> None:
        if event.session_closed:
            self.statusBar().showMessage(self.tr("The key was removed: stamping stopped."), 8000)
        if event.kind is KeyEventKind.INSERTED and any(
            k.ref == event.key.ref and k == event.key for k in self.key_panel.keys()
        ):
            return  # the watcher's first poll reports the keys already listed: re-reading them took ~0.1 s at start
        self.refresh_keys()

    def _key_for_pin(self, key: KeySummary, title: str) -> KeySummary | None:
        """The key with its PIN state right now (for the dialog), or None after saying why no PIN can be asked:
        a locked key is refused before any PIN is asked."""
        try:
            key = self.app.refresh_key(key)
        except SealDeskError as exc:
            self.show_message(QMessageBox.Warning, title, exc.user_message(translate))
            return None
        blocked = pin_state_error(key.pin_state)
        if blocked is not None:
            self.show_message(QMessageBox.Warning, title, blocked.user_message(translate))
            return None
        return key

    def change_pin(self, key: KeySummary) -> None:
        key = self._key_for_pin(key, self.tr("Change PIN"))
        if key is None:
            return
        dialog = PinChangeDialog(key, self)
        if dialog.exec() != QDialog.Accepted:
            return
        old, new = dialog.take_pins()
        try:
            self.app.change_pin(key, old, new)
        except SealDeskError as exc:
            self.show_message(QMessageBox.Warning, self.tr("Change PIN"), exc.user_message(translate))
            return
        finally:
            del old, new
        self.show_message(QMessageBox.Information, self.tr("Change PIN"), self.tr("The PIN was changed."))
        self.refresh_keys()

    # -- modes and placement
    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.mode_actions[mode].setChecked(True)
        self.mode_bar.setCurrentIndex([Mode.SPOT, Mode.PAGES, Mode.KEYWORD, Mode.CROSS, Mode.FIELD].index(mode))
        self._enter_mode()
        if mode == Mode.KEYWORD:
            self.keyword_edit.setFocus()

    def choose_seal(self, seal: SealSummary) -> None:
        self.seal = seal
        self.statusBar().showMessage(self.tr("Seal: {name}").format(name=seal.name), 5000)
        self._enter_mode()

    def _enter_mode(self) -> None:
        self.page_view.end_placement()
        self.page_view.set_highlights([])
        self.page_view.set_slice_preview([])
        self.page_view.set_field_targets([])
        if self.document is None:
            return
        if self.mode in (Mode.SPOT, Mode.PAGES) and self.seal is not None:
            self.page_view.begin_placement(self.seal.picture_png, self.seal.size_mm)
        elif self.mode == Mode.KEYWORD:
            self._search_keyword()
        elif self.mode == Mode.CROSS:
            self._preview_cross()
        elif self.mode == Mode.FIELD:
            self.page_view.set_field_targets(self.document.empty_signature_fields())

    def _search_keyword(self) -> None:
        self._hits = []
        text = self.keyword_edit.text().strip()
        if self.document is not None and text and self.mode == Mode.KEYWORD:
            try:
                self._hits = self.document.search(text)
            except SealDeskError:
                self._hits = []
        self.page_view.set_highlights(self._hits)
        if self._hits:
            self.page_view.scroll_to(self._hits[0].page, self._hits[0].rect_mm)
        self._update_keyword_count()

    def _update_keyword_count(self) -> None:
        count = len(getattr(self, "_hits", []))
        self._keyword_matches.setText(self.tr("{count} match(es)").format(count=count))
        self.keyword_stamp.setEnabled(count > 0)

    def _cross_request(self) -> CrossPagePlacement:
        return CrossPagePlacement(
            pages=self.cross_pages.text().strip() or "all",
            edge="left" if self.cross_side.currentIndex() == 1 else "right",
            y_mm=self.cross_y.value() or None,
        )

    def _preview_cross(self) -> None:
        if self.mode != Mode.CROSS or self.document is None or self.seal is None or self.key is None:
            return
        plan = self._plan(self._cross_request(), None, None, quiet=True)
        slices = [(s.page, s.rect_mm, s.picture_png) for s in plan.spots] if plan and plan.ok else []
        self.page_view.set_slice_preview(slices)
        self.cross_stamp.setEnabled(bool(slices))

    def _placement_confirmed(self, page: int, x_mm: float, y_mm: float) -> None:
        if self.mode == Mode.PAGES:
            self.request_stamp(SpotPlacement((x_mm, y_mm), pages=self._pages_edit.text().strip() or "1"))
        elif self.mode == Mode.SPOT:
            self.request_stamp(SpotPlacement((x_mm, y_mm), pages=str(page + 1)))

    def _stamp_keyword(self) -> None:
        text = self.keyword_edit.text().strip()
        if text:
            self.request_stamp(KeywordPlacement(keyword=text, every=self.keyword_every.currentIndex() == 1))

    def _stamp_cross(self) -> None:
        self.request_stamp(self._cross_request())

    def _field_clicked(self, name: str) -> None:
        if self.mode == Mode.FIELD:
            self.request_stamp(FieldPlacement(name))

    # -- the flow: plan → warnings → PIN → worker
    def _plan(self, placement: PlacementRequest, approval: str | None, purpose: str | None, *, quiet=False):
        try:
            return self.app.plan(
                self.document_path, self.seal.ref, placement, approval, purpose, key=self.key,
                contents=self.key_panel.contents(),
            )
        except SealDeskError as exc:
            if not quiet:
                self.show_message(QMessageBox.Warning, self.tr("Cannot stamp"), exc.user_message(translate))
            return None

    def request_stamp(self, placement: PlacementRequest) -> None:
        """Plan the stamping and show what matters before the PIN; then ask the PIN and start the worker."""
        if self._worker is not None:
            return
        if self.document_path is None or self.key is None or self.seal is None:
            self.show_message(QMessageBox.Information, self.tr("Stamp"),
                              self.tr("Open a PDF and choose a seal on the key first."))
            return
        approval = purpose = None
        if self.seal.is_official and self.app.settings.require_approval_for_official:
            dialog = ApprovalDialog(self.seal.name, self)
            if dialog.exec() != QDialog.Accepted:
                return
            approval, purpose = dialog.approval.text().strip(), dialog.purpose.text().strip() or None
        plan = self._plan(placement, approval, purpose)
        if plan is None:
            return
        if not plan.ok:
            text = "\n".join(p.user_message(translate) for p in plan.problems)
            self.show_message(QMessageBox.Warning, self.tr("Cannot stamp"), text)
            return
        if plan.warnings and not self._confirm_warnings(plan):
            return
        key = self._key_for_pin(plan.key, self.tr("Cannot stamp"))
        if key is None:
            return
        dialog = PinDialog(key, self)
        if dialog.exec() != QDialog.Accepted:
            self.statusBar().showMessage(self.tr("Stamping cancelled."), 5000)
            return
        self._start_worker(plan, dialog.take_pin())

    def _confirm_warnings(self, plan: StampPlan) -> bool:
        box = QMessageBox(QMessageBox.Warning, self.tr("Before stamping"),
                          "\n".join("• " + w.text(translate) for w in plan.warnings), parent=self)
        box.setObjectName("planWarnings")
        box.setInformativeText(self.tr("Stamp anyway?"))
        box.setStandardButtons(QMessageBox.Yes | QMessageBox.No)
        box.setDefaultButton(QMessageBox.No)
        return box.exec() == QMessageBox.Yes

    def _start_worker(self, plan: StampPlan, pin: str) -> None:
        self._worker = StampWorker(self.app, plan, pin)
        del pin
        self._progress = QProgressDialog(self.tr("Stamping…"), self.tr("Cancel"), 0, 6, self)
        self._progress.setObjectName("stampProgress")
        self._progress.setWindowModality(Qt.WindowModal)
        self._progress.setMinimumDuration(0)
        # the worker object lives in its busy thread: a queued slot would run only after the stamping
        self._progress.canceled.connect(self._worker.cancel_token.cancel, Qt.DirectConnection)
        self._worker.progress.connect(self._on_progress, Qt.QueuedConnection)
        self._worker.finished.connect(self._on_finished, Qt.QueuedConnection)
        self._thread = start_in_thread(self._worker)
        self.workerStarted.emit()

    def _on_progress(self, event) -> None:
        phases = list(StampPhase)
        labels = {
            StampPhase.OPEN: self.tr("Opening the document…"),
            StampPhase.CHECKS: self.tr("Checking the seal and the document…"),
            StampPhase.SIGN: self.tr("Signing with the key…"),
            StampPhase.TIMESTAMP: self.tr("Waiting for the time-stamping service…"),
            StampPhase.WRITE: self.tr("Writing the signed copy…"),
            StampPhase.RECORD: self.tr("Recording the use in the usage log…"),
        }
        if self._progress is not None:
            self._progress.setLabelText(labels[event.phase])
            self._progress.setValue(phases.index(event.phase))

    def is_busy(self) -> bool:
        return self._worker is not None

    def _on_finished(self, outcome: StampOutcome, verification: VerificationSummary | None) -> None:
        self.workerFinished.emit()
        if self._thread is not None:
            self._thread.wait()
        self._thread = None
        self._worker = None
        if self._progress is not None:
            self._progress.reset()
            self._progress.deleteLater()
            self._progress = None
        self.last_outcome = outcome
        if outcome.status is StampStatus.SIGNED:
            self.open_path(outcome.result.output_path)
            if verification is not None:
                self.last_verification = verification
                self._show_verification(verification)
                marks = [(s.page, s.rect_mm, _mark_status(verification.status)) for s in outcome.plan.spots]
                self.page_view.set_marks(marks)
        elif outcome.status is StampStatus.CANCELLED:
            self.statusBar().showMessage(self.tr("Stamping cancelled: nothing was written."), 8000)
        else:
            self.show_message(
                QMessageBox.Critical,
                self.tr("Stamping failed"),
                self.tr("{error}\n\nNothing was written.").format(error=outcome.error.user_message(translate)),
            )
            self.refresh_keys()  # the PIN state may have changed
        self.stampFinished.emit(outcome)

    # -- verification
    def verify_current(self) -> None:
        if self.document_path is None:
            return
        self.verify_dock.show()
        self.verify_dock.raise_()
        self.verify_panel.verify(self.document_path)  # worker thread; _panel_verified shows the result

    def _show_verification(self, summary: VerificationSummary) -> None:
        status = translate("app", VERIFICATION_STATUS_TEXT[summary.status])
        if summary.signatures:
            names = ", ".join(s.seal_name or s.signer for s in summary.signatures)
            text = self.tr("Verification: {status} — {count} signature(s): {names}").format(
                status=status, count=len(summary.signatures), names=names
            )
        else:
            text = self.tr("Verification: {status}").format(status=status)
        colour = {VerificationStatus.VALID: "#2e7d32", VerificationStatus.WARNING: "#b26a00",
                  VerificationStatus.INVALID: "#c62828"}.get(summary.status, "")
        self._status.setStyleSheet(f"color: {colour};" if colour else "")
        self._status.setText(text)

    # -- messages
    def show_message(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        """A window-modal message that does not block the event loop (the worker's signals keep flowing)."""
        if self.message_box is not None:
            self.message_box.close()
        self.message_box = QMessageBox(icon, title, text, QMessageBox.Ok, self)
        self.message_box.setObjectName("message")
        self.message_box.open()

    def closeEvent(self, event) -> None:  # noqa: N802
        self._close_parts()
        self.city.stop()
        if self._worker is not None:
            self._worker.cancel()
        if self._thread is not None:
            self._thread.wait(10000)
        self.app.stop_watching()
        if self.document is not None:
            self.document.close()
            self.document = None
        super().closeEvent(event)

    # -- guiparts: verification panel, batch window, usage log, settings (kept together for the merge)
    def _install_parts(self) -> None:
        """The 验章 dock (bound to the page view), and the actions that open the batch window, the usage log
        and the settings dialog."""
        from .verify_panel import VerifyPanel

        self.verify_panel = VerifyPanel(self.app)
        self.verify_panel.bind(self.page_view)
        self.verify_panel.verificationFinished.connect(self._panel_verified)
        self.verify_dock = self.add_panel(self.verify_panel, "verifyDock", Qt.RightDockWidgetArea)
        self.batch_window = None
        self.log_dock = None
        self.settings_dialog = None
        self.act_batch = QAction(self)
        self.act_batch.setObjectName("actBatch")
        self.act_batch.triggered.connect(self.open_batch)
        self.act_log = QAction(self)
        self.act_log.setObjectName("actUsageLog")
        self.act_log.triggered.connect(self.open_usage_log)
        self.act_settings = QAction(self)
        self.act_settings.setObjectName("actSettings")
        self.act_settings.setShortcut(QKeySequence.Preferences)
        self.act_settings.triggered.connect(self.open_settings)
        self.menus["stamp"].addAction(self.act_batch)
        self.menus["stamp"].addAction(self.act_log)
        self.menus["file"].insertAction(self.act_quit, self.act_settings)
        self.menus["view"].addAction(self.verify_dock.toggleViewAction())
        self.toolbar.insertAction(self.act_pages, self.act_batch)
        self.act_about = QAction(self)  # Help → About (app/gui/about_dialog.py)
        self.act_about.setObjectName("actAbout")
        self.act_about.triggered.connect(self.open_about)
        self.menus["help"] = self.menuBar().addMenu("")
        self.menus["help"].addAction(self.act_about)

    def _retranslate_parts(self) -> None:
        self.verify_dock.setWindowTitle(self.tr("Verification (验章)"))
        self.act_batch.setText(self.tr("&Batch stamping…"))
        self.act_log.setText(self.tr("&Usage log"))
        self.act_settings.setText(self.tr("&Settings…"))
        self.menus["help"].setTitle(self.tr("&Help"))
        self.act_about.setText(self.tr("&About SealDesk…"))
        if self.log_dock is not None:
            self.log_dock.setWindowTitle(self.tr("Usage log"))
        # at once, not only on the LanguageChange events Qt posts when the translators change
        for part in (self.verify_panel, self.batch_window, getattr(self, "log_view", None)):
            if part is not None:
                part.retranslate()

    def _panel_verified(self, report) -> None:
        if report is not None and report.summary is not None and report.path == self.document_path:
            self.last_verification = report.summary
            self._show_verification(report.summary)

    def open_batch(self) -> None:
        from .batch_window import BatchWindow

        if self.batch_window is None:
            self.batch_window = BatchWindow(self.app, self)
            self.batch_window.batchFinished.connect(self.city.after_stamping)
            if self.seal is not None:
                self.batch_window.select_seal(self.seal.ref)
        self.batch_window.show()
        self.batch_window.raise_()
        self.batch_window.activateWindow()

    def open_usage_log(self) -> None:
        from .log_view import UsageLogView

        if self.log_dock is None:
            self.log_view = UsageLogView(self.app)
            self.log_dock = self.add_panel(self.log_view, "logDock", Qt.BottomDockWidgetArea)
            self.menus["view"].addAction(self.log_dock.toggleViewAction())
            self._retranslate_parts()
        else:
            self.log_view.refresh()
        self.log_dock.show()
        self.log_dock.raise_()

    def open_about(self) -> None:
        """Window-modal like the settings: the versions and the PKCS#11 modules in use."""
        from .about_dialog import AboutDialog

        self.about_dialog = AboutDialog(self.app, self)
        self.about_dialog.open()

    def open_settings(self) -> None:
        """Window-modal, not blocking the event loop (workers keep reporting)."""
        from .settings_dialog import SettingsDialog

        self.settings_dialog = SettingsDialog(self.app, self, apply_language=self.set_language)
        self.settings_dialog.accepted.connect(self.city.apply_settings)
        self.settings_dialog.open()

    def _close_parts(self) -> None:
        if self.batch_window is not None:
            self.batch_window.close()
        self.verify_panel.wait()


    # -- the city e-seal system (用印登记): status bar indicator, sync, registration (app/gui/city.py)
    def _install_city(self) -> None:
        """The status bar's city indicator and the sync controller: a sync after each stamping and batch, and
        every few minutes; the usage log view is refreshed after each sync."""
        from .city import CityIndicator, CitySync

        self.city = CitySync(self.app, self)
        self.city_indicator = CityIndicator(self)
        self.statusBar().addPermanentWidget(self.city_indicator)
        self.city.statusChanged.connect(self.city_indicator.show_status)
        self.city.syncStarted.connect(self._city_sync_started)
        self.city.syncProgress.connect(self._city_sync_progress)
        self.city.syncFinished.connect(self._city_synced)
        self.city_indicator.syncRequested.connect(self.sync_now)
        self.city_indicator.errorRequested.connect(self.show_city_error)
        self.city_indicator.registerRequested.connect(self.open_registration)
        self.city_indicator.settingsRequested.connect(self.open_city_settings)
        self.stampFinished.connect(self._city_after_stamping)
        self._sync_progress: QProgressDialog | None = None
        self.register_dialog = None

    def _city_after_stamping(self, outcome: StampOutcome) -> None:
        if outcome.status is StampStatus.SIGNED:
            self.city.after_stamping()

    def sync_now(self) -> bool:
        """"Sync now": on the worker, with a progress dialog that can cancel it."""
        return self.city.sync(interactive=True)

    def _city_sync_started(self, interactive: bool) -> None:
        self.city_indicator.set_busy(True)
        if not interactive:
            return
        self._sync_progress = QProgressDialog(self.tr("Sending the usage records to the city system…"),
                                              self.tr("Cancel"), 0, 0, self)
        self._sync_progress.setObjectName("syncProgress")
        self._sync_progress.setWindowModality(Qt.WindowModal)
        self._sync_progress.setMinimumDuration(300)
        self._sync_progress.canceled.connect(self.city.cancel)

    def _city_sync_progress(self, progress) -> None:
        if self._sync_progress is not None and progress.total:
            self._sync_progress.setMaximum(progress.total)
            self._sync_progress.setValue(progress.sent)
            self._sync_progress.setLabelText(self.tr("Sending the usage records to the city system… {sent} / "
                                                     "{total}").format(sent=progress.sent, total=progress.total))

    def _city_synced(self, result, error, interactive: bool) -> None:
        self.city_indicator.set_busy(False)
        if self._sync_progress is not None:
            self._sync_progress.canceled.disconnect()
            self._sync_progress.reset()
            self._sync_progress.deleteLater()
            self._sync_progress = None
        if getattr(self, "log_view", None) is not None:
            self.log_view.refresh()
        if not interactive:
            return
        problem = error if error is not None else (result.error if result is not None else None)
        if problem is not None:
            self.show_message(QMessageBox.Warning, self.tr("City system"), problem.user_message(translate))
        elif result is not None and result.cancelled:
            self.statusBar().showMessage(self.tr("Sync cancelled: the records not sent keep waiting."), 8000)
        elif result is not None:
            self.statusBar().showMessage(
                self.tr("Sync done: {synced} record(s) sent, {rejected} refused, {pending} waiting.").format(
                    synced=result.synced, rejected=len(result.rejected), pending=result.pending), 8000)

    def show_city_error(self) -> None:
        status = self.city_indicator.status
        if status is not None and status.last_error is not None:
            self.show_message(QMessageBox.Warning, self.tr("City system"), status.last_error.user_message(translate))

    def open_registration(self, name: str = "") -> None:
        """The registration dialog for the key panel's current key (window-modal, not blocking)."""
        from app.core.demo import DEMO_ORG

        from .register_dialog import RegisterDialog

        self.register_dialog = RegisterDialog(self.app, self.key_panel.keys(), self.key, self)
        if name:  # the demo city: the demo key's holder
            self.register_dialog.name_edit.setText(name)
            self.register_dialog.organisation_edit.setText(DEMO_ORG)
        self.register_dialog.registrationFinished.connect(self.city.after_stamping)  # now the waiting ones go
        self.register_dialog.open()

    def open_city_settings(self) -> None:
        self.open_settings()
        self.settings_dialog.tabs.setCurrentWidget(self.settings_dialog.city_page)


def _mark_status(status: VerificationStatus) -> str:
    return {VerificationStatus.VALID: "valid", VerificationStatus.WARNING: "warning"}.get(status, "invalid")


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(8, 4, 8, 4)
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch(1)
    return box
