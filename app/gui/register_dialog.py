"""Register a key with the city e-seal system (登记印章持有人): the key, the holder's name and organisation,
optionally an earlier holder id (to add this key to it). The PIN is asked through the PIN dialog when
"Register" is pressed, handed to the worker once and never kept; a wrong PIN ends that attempt with the
key's message (no automatic retry — the user decides whether to try again). The result shows the holder id
and the registered seals, or the translated error.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.application import Application, KeySummary, Registration
from app.core.errors import SealDeskError
from app.core.keys.pin import pin_state_error
from app.i18n import translate

from .background import emit, start
from .dialogs import PinDialog


class RegisterDialog(QDialog):
    """Registration runs on a worker thread; `registrationFinished` carries (Registration | None, error)."""

    registrationFinished = Signal(object, object)
    _done = Signal(object, object)

    def __init__(self, app: Application, keys: list[KeySummary], current: KeySummary | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("registerDialog")
        self.app = app
        self.keys = list(keys)
        self.registration: Registration | None = None
        self.error: SealDeskError | None = None
        self._thread: threading.Thread | None = None
        self._done.connect(self._finished, Qt.QueuedConnection)

        self._intro = QLabel()
        self._intro.setWordWrap(True)
        self.key_combo = QComboBox()
        self.key_combo.setObjectName("registerKey")
        for key in self.keys:
            self.key_combo.addItem(f"{key.label} ({key.serial})", key.serial)
        if current is not None:
            self.key_combo.setCurrentIndex(max(0, self.key_combo.findData(current.serial)))
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("registerName")
        self.organisation_edit = QLineEdit()
        self.organisation_edit.setObjectName("registerOrganisation")
        self.holder_edit = QLineEdit()
        self.holder_edit.setObjectName("registerHolderId")
        known = sorted(set(app.settings.city_holders.values()))
        if known:
            self.holder_edit.setText(known[0])
        self._labels = [QLabel() for _ in range(4)]
        form = QFormLayout()
        for label, field in zip(self._labels, (self.key_combo, self.name_edit, self.organisation_edit,
                                               self.holder_edit), strict=True):
            label.setBuddy(field)
            form.addRow(label, field)
        self.result_label = QLabel()
        self.result_label.setObjectName("registerResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.result_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.register_button = QPushButton()
        self.register_button.setObjectName("registerButton")
        self.register_button.setDefault(True)
        self.buttons.addButton(self.register_button, QDialogButtonBox.ActionRole)
        self.register_button.clicked.connect(self.start_registration)
        self.buttons.rejected.connect(self.reject)
        for edit in (self.name_edit, self.organisation_edit):
            edit.textChanged.connect(self._update_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self._intro)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.retranslate()
        self._update_button()

    def current_key(self) -> KeySummary | None:
        index = self.key_combo.currentIndex()
        return self.keys[index] if 0 <= index < len(self.keys) else None

    def _update_button(self) -> None:
        ready = bool(self.name_edit.text().strip() and self.organisation_edit.text().strip())
        self.register_button.setEnabled(ready and self.current_key() is not None and self._thread is None)

    def is_busy(self) -> bool:
        return self._thread is not None

    # -- the flow: PIN → worker → result
    def start_registration(self) -> bool:
        """Ask the PIN (a locked key is refused first) and register on the worker thread."""
        key = self.current_key()
        if key is None or self._thread is not None:
            return False
        try:
            key = self.app.refresh_key(key)
        except SealDeskError as exc:
            self._show_error(exc)
            return False
        blocked = pin_state_error(key.pin_state)
        if blocked is not None:
            self._show_error(blocked)
            return False
        dialog = PinDialog(key, self)
        if dialog.exec() != QDialog.Accepted:
            return False
        pin = dialog.take_pin()
        name, organisation = self.name_edit.text().strip(), self.organisation_edit.text().strip()
        holder_id = self.holder_edit.text().strip() or None
        box = [pin]
        del pin

        def job() -> None:
            secret = box.pop()
            try:
                registration = self.app.register_holder(secret, key, name, organisation, holder_id)
            except SealDeskError as exc:
                del secret
                emit(self._done, None, exc)
                return
            del secret
            emit(self._done, registration, None)

        self.result_label.setStyleSheet("")
        self.result_label.setText(self.tr("Registering with the city system…"))
        self.result_label.show()
        self._thread = start(job, "city-register")
        self._update_button()
        return True

    def _finished(self, registration: Registration | None, error: SealDeskError | None) -> None:
        if self._thread is not None:
            self._thread.join()
        self._thread = None
        self.registration, self.error = registration, error
        if error is not None:
            self._show_error(error)
        else:
            self._show_registration()
        self._update_button()
        self.registrationFinished.emit(registration, error)

    def _show_error(self, error: SealDeskError) -> None:
        self.error = error
        self.result_label.setStyleSheet("color: #c62828;")
        self.result_label.setText(self.tr("Not registered: {error}").format(error=error.user_message(translate)))
        self.result_label.show()

    def _show_registration(self) -> None:
        names = self._seal_names()
        seals = [names.get(seal_id, seal_id) for _chain, ids in self.registration.chains for seal_id in ids]
        self.result_label.setStyleSheet("color: #2e7d32;")
        self.result_label.setText(
            self.tr("Registered. Holder id: {holder}\nSeals registered ({count}): {seals}").format(
                holder=self.registration.holder_id, count=len(seals), seals="、".join(seals))
        )
        self.result_label.show()

    def _seal_names(self) -> dict[str, str]:
        try:
            return {s.ref: s.name for s in self.app.key_contents(self.current_key()).seals}
        except SealDeskError:
            return {}

    def wait(self, timeout_s: float = 60.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def reject(self) -> None:
        if self._thread is not None:
            return  # the key is signing: closing now would hide the answer
        super().reject()

    # -- texts
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Register with the city e-seal system"))
        self._intro.setText(self.tr(
            "The key proves it holds its certificates by signing a challenge of the city system; the seals on "
            "it are then registered to the holder. To add this key to an earlier registration, give that "
            "holder id."))
        for label, text in zip(self._labels, (self.tr("&Key:"), self.tr("Holder &name:"),
                                              self.tr("&Organisation:"), self.tr("Existing &holder id:")),
                               strict=True):
            label.setText(text)
        self.holder_edit.setPlaceholderText(self.tr("optional"))
        self.register_button.setText(self.tr("&Register…"))
        if self.registration is not None:
            self._show_registration()
        elif self.error is not None:
            self._show_error(self.error)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
