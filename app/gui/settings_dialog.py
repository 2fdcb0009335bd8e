"""设置: language (applied at once), PKCS#11 driver paths, the trust store, the timestamp service, the approval
policy for official seals, and where signed copies go and how they are named.

Nothing is written until OK, and OK refuses (with a message naming the field) what would not work: a TSA
URL that is not http(s), a driver or output folder that does not exist, a name suffix with path characters,
a certificate file that holds no certificate. Settings are saved through Application.save_settings
(app/core/settings.py); trust roots through app/core/truststore.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import truststore
from app.core.application import Application, resolve_language
from app.core.errors import SealDeskError
from app.core.settings import Settings
from app.i18n import translate

LANGUAGE_CHOICES = (("", None), ("zh_CN", "中文"), ("en", "English"))
"""Offered languages: code and name in that language (never translated); "" = the default."""
BAD_SUFFIX_CHARACTERS = set('/\\:*?"<>|')


class SettingsDialog(QDialog):
    """Edits a copy of the settings; `accept()` validates, saves and applies them."""

    def __init__(self, app: Application, parent: QWidget | None = None, *,
                 apply_language: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.app = app
        self._apply_language = apply_language
        self.error: str = ""
        self._roots_to_add: list[tuple[Path, list[bytes]]] = []
        self._roots_to_remove: set[str] = set()
        settings = app.settings

        # general
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("settingsLanguage")
        for code, name in LANGUAGE_CHOICES:
            self.language_combo.addItem(name or "", code)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(settings.language)))
        self.tsa_edit = QLineEdit(settings.tsa_url)
        self.tsa_edit.setObjectName("settingsTsa")
        self.tsa_edit.setPlaceholderText("https://…")
        self.approval_check = QCheckBox()
        self.approval_check.setObjectName("settingsApproval")
        self.approval_check.setChecked(settings.require_approval_for_official)
        self.folder_edit = QLineEdit(settings.output_folder)
        self.folder_edit.setObjectName("settingsOutputFolder")
        self.folder_button = QPushButton()
        self.folder_button.setObjectName("settingsOutputBrowse")
        self.folder_button.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.folder_button)
        self.suffix_edit = QLineEdit(settings.output_suffix)
        self.suffix_edit.setObjectName("settingsOutputSuffix")
        self.example = QLabel()
        self.example.setObjectName("settingsExample")
        self.suffix_edit.textChanged.connect(self._show_example)
        self._general_labels = [QLabel() for _ in range(5)]
        general = QWidget()
        form = QFormLayout(general)
        for label, field in zip(self._general_labels,
                                (self.language_combo, self.tsa_edit, self.approval_check, self.folder_edit,
                                 self.suffix_edit), strict=True):
            label.setBuddy(field)
        form.addRow(self._general_labels[0], self.language_combo)
        form.addRow(self._general_labels[1], self.tsa_edit)
        form.addRow(self._general_labels[2], self.approval_check)
        form.addRow(self._general_labels[3], folder_row)
        form.addRow(self._general_labels[4], self.suffix_edit)
        form.addRow("", self.example)

        # drivers
        self.modules_list = QListWidget()
        self.modules_list.setObjectName("settingsModules")
        self.modules_list.addItems(list(settings.extra_modules))
        self.add_module_button, self.remove_module_button = QPushButton(), QPushButton()
        self.add_module_button.setObjectName("settingsAddModule")
        self.remove_module_button.setObjectName("settingsRemoveModule")
        self.add_module_button.clicked.connect(self._add_module_dialog)
        self.remove_module_button.clicked.connect(self._remove_module)
        self._modules_note = QLabel()
        self._modules_note.setWordWrap(True)
        drivers = QWidget()
        drivers_layout = QVBoxLayout(drivers)
        drivers_layout.addWidget(self._modules_note)
        drivers_layout.addWidget(self.modules_list, 1)
        drivers_layout.addLayout(_buttons(self.add_module_button, self.remove_module_button))

        # trust
        self.roots_list = QListWidget()
        self.roots_list.setObjectName("settingsRoots")
        self.add_root_button, self.remove_root_button = QPushButton(), QPushButton()
        self.add_root_button.setObjectName("settingsAddRoot")
        self.remove_root_button.setObjectName("settingsRemoveRoot")
        self.add_root_button.clicked.connect(self._add_root_dialog)
        self.remove_root_button.clicked.connect(self._remove_root)
        self._trust_note = QLabel()
        self._trust_note.setWordWrap(True)
        trust = QWidget()
        trust_layout = QVBoxLayout(trust)
        trust_layout.addWidget(self._trust_note)
        trust_layout.addWidget(self.roots_list, 1)
        trust_layout.addLayout(_buttons(self.add_root_button, self.remove_root_button))

        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        self.tabs.addTab(general, "")
        self.tabs.addTab(drivers, "")
        self.tabs.addTab(trust, "")
        self.city_page = self._city_page(settings)
        self.tabs.addTab(self.city_page, "")
        self.error_label = QLabel()
        self.error_label.setObjectName("settingsError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumSize(560, 420)
        self.retranslate()
        self._fill_roots()

    # -- drivers
    def _add_module_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a PKCS#11 driver"), "",
                                              self.tr("PKCS#11 drivers (*.so *.dll *.dylib);;All files (*)"))
        if name:
            self.add_module(name)

    def add_module(self, path: str) -> bool:
        """Add a driver path (checked: it must be an existing file)."""
        if not Path(path).is_file():
            self._show_error(self.tr("The driver file “{path}” does not exist.").format(path=path))
            return False
        if path not in self.modules():
            self.modules_list.addItem(path)
        self._show_error("")
        return True

    def _remove_module(self) -> None:
        for item in self.modules_list.selectedItems():
            self.modules_list.takeItem(self.modules_list.row(item))

    def modules(self) -> list[str]:
        return [self.modules_list.item(i).text() for i in range(self.modules_list.count())]

    # -- trust store
    def _fill_roots(self) -> None:
        self.roots_list.clear()
        try:
            roots = truststore.list_roots()
        except (SealDeskError, OSError) as exc:
            self._show_error(exc.user_message(translate) if isinstance(exc, SealDeskError) else str(exc))
            roots = []
        for root in roots:
            if root.sha256 in self._roots_to_remove:
                continue
            text = self.tr("{subject}\nSHA-256 {fingerprint}… — valid until {date}").format(
                subject=root.subject, fingerprint=root.sha256[:16], date=root.not_after.date().isoformat())
            item = QListWidgetItem(text)
            item.setData(Qt.UserRole, root.sha256)
            self.roots_list.addItem(item)
        from app.core.certs import summarize

        for path, ders in self._roots_to_add:
            for der in ders:
                summary = summarize(der)
                item = QListWidgetItem(self.tr("{subject}\n(added from {file} when you press OK)").format(
                    subject=summary.subject, file=path.name))
                item.setData(Qt.UserRole, "new:" + summary.sha256)
                self.roots_list.addItem(item)

    def _add_root_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a root certificate"), "",
                                              self.tr("Certificates (*.pem *.crt *.cer *.der);;All files (*)"))
        if name:
            self.add_root(name)

    def add_root(self, path: str | Path) -> bool:
        """Stage a root certificate file (read and checked now, copied into the trust store on OK)."""
        path = Path(path)
        try:
            ders = truststore.load_certificates(path.read_bytes())
        except OSError:
            self._show_error(self.tr("The file “{path}” cannot be read.").format(path=path))
            return False
        except SealDeskError:
            self._show_error(self.tr("“{name}” holds no certificate SealDesk can read.").format(name=path.name))
            return False
        self._roots_to_add.append((path, ders))
        self._show_error("")
        self._fill_roots()
        return True

    def _remove_root(self) -> None:
        for item in self.roots_list.selectedItems():
            key = item.data(Qt.UserRole)
            if key.startswith("new:"):
                self._roots_to_add = [(p, [d for d in ders if not _sha(d) == key[4:]]) for p, ders in self._roots_to_add]
                self._roots_to_add = [(p, ders) for p, ders in self._roots_to_add if ders]
            else:
                self._roots_to_remove.add(key)
        self._fill_roots()

    # -- city e-seal system
    def _city_page(self, settings: Settings) -> QWidget:
        """Address, CA bundle, what to do when the seal status cannot be checked, the background sync's
        interval, and the API token: typed here, stored in the keyring on OK, never shown back."""
        self.city_url_edit = QLineEdit(settings.city_url)
        self.city_url_edit.setObjectName("settingsCityUrl")
        self.city_url_edit.setPlaceholderText("https://…")
        self.city_url_edit.editingFinished.connect(self._show_token_state)
        self.city_ca_edit = QLineEdit(settings.city_ca_bundle)
        self.city_ca_edit.setObjectName("settingsCityCa")
        self.city_ca_button = QPushButton()
        self.city_ca_button.setObjectName("settingsCityCaBrowse")
        self.city_ca_button.clicked.connect(self._choose_city_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.city_ca_edit, 1)
        ca_row.addWidget(self.city_ca_button)
        self.city_policy_combo = QComboBox()
        self.city_policy_combo.setObjectName("settingsCityPolicy")
        self.city_policy_combo.addItem("", "allow")
        self.city_policy_combo.addItem("", "refuse")
        self.city_policy_combo.setCurrentIndex(max(0, self.city_policy_combo.findData(settings.city_unreachable_policy)))
        self.city_interval_spin = QSpinBox()
        self.city_interval_spin.setObjectName("settingsCityInterval")
        self.city_interval_spin.setRange(0, 24 * 60)
        self.city_interval_spin.setValue(settings.city_sync_interval_min)
        self.city_token_edit = QLineEdit()
        self.city_token_edit.setObjectName("settingsCityToken")
        self.city_token_edit.setEchoMode(QLineEdit.Password)
        self.city_token_edit.setContextMenuPolicy(Qt.NoContextMenu)
        self._city_token_state = QLabel()
        self._city_token_state.setObjectName("settingsCityTokenState")
        self._city_token_state.setWordWrap(True)
        self._city_note = QLabel()
        self._city_note.setWordWrap(True)
        self._city_labels = [QLabel() for _ in range(5)]
        page = QWidget()
        form = QFormLayout(page)
        form.addRow(self._city_note)
        for label, field, row in zip(
            self._city_labels,
            (self.city_url_edit, self.city_ca_edit, self.city_policy_combo, self.city_interval_spin,
             self.city_token_edit),
            (self.city_url_edit, ca_row, self.city_policy_combo, self.city_interval_spin, self.city_token_edit),
            strict=True,
        ):
            label.setBuddy(field)
            form.addRow(label, row)
        form.addRow("", self._city_token_state)
        return page

    def _choose_city_ca(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Choose the city system's CA bundle"), "",
                                              self.tr("Certificates (*.pem *.crt *.cer);;All files (*)"))
        if name:
            self.city_ca_edit.setText(name)

    def _show_token_state(self) -> None:
        """Whether a token is at hand for the address as typed (never the token itself)."""
        from app.core.usage.sync import normalized_base_url, read_token

        url = self.city_url_edit.text().strip()
        try:
            known = bool(url) and read_token(normalized_base_url(url)) is not None
        except SealDeskError:
            known = False
        self._city_token_state.setText(
            self.tr("A token is stored for this address; type a new one only to replace it.") if known else
            self.tr("No token is stored for this address yet.") if url else "")

    def _city_validated(self) -> dict | None:
        """The city fields as settings, or None after saying which one is wrong."""
        from app.core.usage.sync import normalized_base_url

        url = self.city_url_edit.text().strip()
        if url:
            try:
                url = normalized_base_url(url)
            except SealDeskError as exc:
                return self._fail(3, self.city_url_edit, exc.user_message(translate))
        elif self.city_token_edit.text().strip():
            return self._fail(3, self.city_url_edit, self.tr("Give the city system's address with its API token."))
        ca = self.city_ca_edit.text().strip()
        if ca and not Path(ca).expanduser().is_file():
            return self._fail(3, self.city_ca_edit, self.tr("The CA bundle “{path}” does not exist.").format(path=ca))
        return {"city_url": url, "city_ca_bundle": ca,
                "city_unreachable_policy": self.city_policy_combo.currentData(),
                "city_sync_interval_min": self.city_interval_spin.value()}

    def _store_city_token(self, url: str) -> bool:
        """Put a typed token into the keyring (the field is emptied either way: it never lingers)."""
        from app.core.usage.sync import store_token

        token = self.city_token_edit.text().strip()
        self.city_token_edit.clear()
        if not token or not url:
            return True
        try:
            store_token(url, token)
        except SealDeskError as exc:
            del token
            self.tabs.setCurrentIndex(3)
            self._show_error(exc.user_message(translate))
            return False
        del token
        return True

    # -- output
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder for the signed copies"), self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def _show_example(self) -> None:
        self.example.setText(self.tr("Example: contract.pdf → contract{suffix}.pdf").format(
            suffix=self.suffix_edit.text()))

    # -- validation and saving
    def validated(self) -> Settings | None:
        """The new settings, or None with `error` set (and shown) naming what is wrong."""
        tsa = self.tsa_edit.text().strip()
        if tsa:
            parsed = urlparse(tsa)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                return self._fail(0, self.tsa_edit,
                                  self.tr("The timestamp service address must start with http:// or https://, "
                                          "e.g. https://tsa.example.cn/tsr."))
        folder = self.folder_edit.text().strip()
        if folder and not Path(folder).expanduser().is_dir():
            return self._fail(0, self.folder_edit,
                              self.tr("The output folder “{path}” does not exist.").format(path=folder))
        suffix = self.suffix_edit.text().strip()
        if BAD_SUFFIX_CHARACTERS & set(suffix):
            return self._fail(0, self.suffix_edit,
                              self.tr("The name suffix may not contain any of / \\ : * ? \" < > |."))
        if not suffix and not folder:
            return self._fail(0, self.suffix_edit,
                              self.tr("Without an output folder, the name suffix may not be empty (the signed copy "
                                      "would take the original's name)."))
        missing = [m for m in self.modules() if not Path(m).is_file()]
        if missing:
            return self._fail(1, self.modules_list,
                              self.tr("The driver file “{path}” does not exist.").format(path=missing[0]))
        city = self._city_validated()
        if city is None:
            return None
        self._show_error("")
        return dataclasses.replace(
            self.app.settings,
            **city,
            language=self.language_combo.currentData() or "",
            tsa_url=tsa,
            require_approval_for_official=self.approval_check.isChecked(),
            output_folder=folder,
            output_suffix=suffix,
            extra_modules=tuple(self.modules()),
        )

    def _fail(self, tab: int, widget: QWidget, message: str) -> None:
        self.tabs.setCurrentIndex(tab)
        widget.setFocus()
        self._show_error(message)
        return None

    def _show_error(self, message: str) -> None:
        self.error = message
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def accept(self) -> None:  # OK / Enter
        settings = self.validated()
        if settings is None:
            return
        old = self.app.settings
        if not self._store_city_token(settings.city_url):
            return
        try:
            for fingerprint in sorted(self._roots_to_remove):
                truststore.remove_root(fingerprint)
            for path, _ders in self._roots_to_add:
                truststore.add_root(path)
            self.app.save_settings(settings)
        except SealDeskError as exc:
            self._show_error(exc.user_message(translate))
            return
        except OSError as exc:
            self._show_error(self.tr("The settings could not be saved: {reason}").format(reason=exc.strerror or exc))
            return
        self._roots_to_add, self._roots_to_remove = [], set()
        if settings.language != old.language:
            language = resolve_language(settings)
            if self._apply_language is not None:
                self._apply_language(language)
            else:
                self.app.set_language(language)
        super().accept()

    # -- texts
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Settings"))
        self.tabs.setTabText(0, self.tr("&General"))
        self.tabs.setTabText(1, self.tr("&Key drivers"))
        self.tabs.setTabText(2, self.tr("&Trusted roots"))
        self.tabs.setTabText(3, self.tr("&City system"))
        texts = (self.tr("City system &address:"), self.tr("&CA bundle:"), self.tr("When the seal status &cannot "
                 "be checked:"), self.tr("Send records &every:"), self.tr("API &token:"))
        for label, text in zip(self._city_labels, texts, strict=True):
            label.setText(text)
        self._city_note.setText(self.tr(
            "Usage records are reported to the city e-seal system (用印登记) and seals are checked there before "
            "stamping. Without an address, nothing leaves this computer."))
        self.city_ca_edit.setPlaceholderText(self.tr("the system's trusted certificates"))
        self.city_ca_button.setText(self.tr("B&rowse…"))
        self.city_policy_combo.setItemText(0, self.tr("stamp, and mark the record “status unchecked”"))
        self.city_policy_combo.setItemText(1, self.tr("refuse to stamp"))
        self.city_interval_spin.setSuffix(self.tr(" min"))
        self.city_interval_spin.setSpecialValueText(self.tr("only after stamping"))
        self.city_token_edit.setPlaceholderText(self.tr("kept in the system keyring, never shown"))
        self._show_token_state()
        texts = (self.tr("&Language:"), self.tr("Time&stamp service (TSA):"), self.tr("&Official seals:"),
                 self.tr("Output &folder:"), self.tr("Name s&uffix:"))
        for label, text in zip(self._general_labels, texts, strict=True):
            label.setText(text)
        self.language_combo.setItemText(0, self.tr("Default (Chinese unless SEALDESK_LANG says otherwise)"))
        self.approval_check.setText(self.tr("Require an &approval reference"))
        self.folder_edit.setPlaceholderText(self.tr("beside the original document"))
        self.folder_button.setText(self.tr("&Browse…"))
        self._show_example()
        self._modules_note.setText(self.tr(
            "PKCS#11 drivers to load besides the known ones (drivers/modules.toml). Changes take effect the next "
            "time SealDesk starts."))
        self.add_module_button.setText(self.tr("A&dd driver…"))
        self.remove_module_button.setText(self.tr("&Remove driver"))
        self._trust_note.setText(self.tr(
            "Root certificates trusted when verifying signed documents. Nothing is trusted by default, not even "
            "the demo key's root."))
        self.add_root_button.setText(self.tr("Add &certificate…"))
        self.remove_root_button.setText(self.tr("Re&move certificate"))
        self._fill_roots()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


def _sha(der: bytes) -> str:
    import hashlib

    return hashlib.sha256(der).hexdigest()
