"""The small dialogs of the stamping flow: PIN (masked, never pre-filled, never retried), PIN change,
approval reference for official seals."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.application import KeySummary
from app.core.demo import DEMO_PIN
from app.core.keys import PinState


def _caps_lock_guess(event: QKeyEvent) -> bool | None:
    """Qt cannot read Caps Lock; a letter whose case disagrees with Shift tells us. None: no clue."""
    text = event.text()
    if len(text) != 1 or not text.isalpha() or text.lower() == text.upper():
        return None
    shift = bool(event.modifiers() & Qt.ShiftModifier)
    return text.isupper() != shift


class _PinField(QLineEdit):
    """A masked PIN field that never shows or keeps more than the user typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEchoMode(QLineEdit.Password)
        self.setInputMethodHints(Qt.ImhHiddenText | Qt.ImhSensitiveData | Qt.ImhNoPredictiveText)
        self.setContextMenuPolicy(Qt.NoContextMenu)
        self.setMaxLength(64)


class _CapsWatcher(QObject):
    def __init__(self, hint: QLabel) -> None:
        super().__init__(hint)
        self._hint = hint

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.KeyPress:
            guess = _caps_lock_guess(event)
            if guess is not None:
                self._hint.setVisible(guess)
        return False


class PinDialog(QDialog):
    """Asks the PIN for one key, showing its label and PIN state before the user types."""

    def __init__(self, key: KeySummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self._key = key
        self._title = QLabel()
        self._title.setWordWrap(True)
        self._state = QLabel()
        self._state.setObjectName("pinState")
        self._state.setWordWrap(True)
        self._edit = _PinField()
        self._edit.setObjectName("pinEdit")
        self._caps = QLabel()
        self._caps.setObjectName("capsHint")
        self._caps.setStyleSheet("color: #b26a00;")
        self._caps.hide()
        self._edit.installEventFilter(_CapsWatcher(self._caps))
        self._buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        self._edit.textChanged.connect(self._update_ok)
        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._state)
        self._label = QLabel()
        self._label.setBuddy(self._edit)
        layout.addWidget(self._label)
        layout.addWidget(self._edit)
        layout.addWidget(self._caps)
        layout.addWidget(self._buttons)
        self.retranslate()
        self._update_ok()
        if key.pin_state in (PinState.LOCKED, PinState.NOT_INITIALISED):
            self._edit.setEnabled(False)
        self.setMinimumWidth(420)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Enter the PIN"))
        self._title.setText(
            self.tr("Key “{label}” (serial {serial})").format(label=self._key.label, serial=self._key.serial)
        )
        self._label.setText(self.tr("&PIN:"))
        self._caps.setText(self.tr("Caps Lock appears to be on."))
        state = self._key.pin_state
        texts = {
            PinState.OK: "",
            PinState.COUNT_LOW: self.tr("A wrong PIN was entered before: only a few tries are left."),
            PinState.FINAL_TRY: self.tr(
                "Final try: if this PIN is wrong, the key locks and only the issuer can unlock it."
            ),
            PinState.LOCKED: self.tr(
                "The PIN is locked after too many wrong tries. The key cannot sign until its issuer unlocks it."
            ),
            PinState.MUST_CHANGE: self.tr("The PIN must be changed before the key can sign: use “Change PIN”."),
            PinState.NOT_INITIALISED: self.tr(
                "This key has no user PIN yet: it must be initialised by its issuer before it can sign."
            ),
        }
        text = texts.get(state, "")
        if self._key.is_demo and state is PinState.OK:
            text = self.tr("This is the demo key: its factory PIN is {pin} unless you changed it.").format(
                pin=DEMO_PIN
            )
        self._state.setText(text)
        self._state.setVisible(bool(text))
        severe = state in (PinState.FINAL_TRY, PinState.LOCKED)
        self._state.setStyleSheet("color: #c62828; font-weight: bold;" if severe else "color: #b26a00;")

    def _update_ok(self) -> None:
        ok = self._buttons.button(QDialogButtonBox.Ok)
        ok.setEnabled(
            bool(self._edit.text()) and self._key.pin_state not in (PinState.LOCKED, PinState.NOT_INITIALISED)
        )

    def take_pin(self) -> str:
        """The typed PIN; the field is cleared so the text does not stay in the widget."""
        pin = self._edit.text()
        self._edit.clear()
        return pin

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class PinChangeDialog(QDialog):
    """Current PIN, new PIN, new PIN again; OK only when the two new ones match."""

    def __init__(self, key: KeySummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinChangeDialog")
        self._key = key
        self._title = QLabel()
        self._old, self._new, self._again = _PinField(), _PinField(), _PinField()
        self._old.setObjectName("oldPin")
        self._new.setObjectName("newPin")
        self._again.setObjectName("newPinAgain")
        self._mismatch = QLabel()
        self._mismatch.setStyleSheet("color: #c62828;")
        self._buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        self._form = QFormLayout()
        self._labels = [QLabel(), QLabel(), QLabel()]
        for label, edit in zip(self._labels, (self._old, self._new, self._again), strict=True):
            label.setBuddy(edit)
            self._form.addRow(label, edit)
            edit.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addLayout(self._form)
        layout.addWidget(self._mismatch)
        layout.addWidget(self._buttons)
        self.retranslate()
        self._check()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Change PIN"))
        self._title.setText(self.tr("Key “{label}” (serial {serial})").format(label=self._key.label,
                                                                          serial=self._key.serial))
        for label, text in zip(
            self._labels, (self.tr("&Current PIN:"), self.tr("&New PIN:"), self.tr("New PIN &again:")), strict=True
        ):
            label.setText(text)
        self._check()

    def _check(self) -> None:
        mismatch = bool(self._again.text()) and self._new.text() != self._again.text()
        self._mismatch.setText(self.tr("The new PINs do not match.") if mismatch else "")
        ok = bool(self._old.text() and self._new.text()) and self._new.text() == self._again.text()
        self._buttons.button(QDialogButtonBox.Ok).setEnabled(ok)

    def take_pins(self) -> tuple[str, str]:
        pins = (self._old.text(), self._new.text())
        for edit in (self._old, self._new, self._again):
            edit.clear()
        return pins

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class ApprovalDialog(QDialog):
    """An official seal: the approval reference (用印审批号, required) and the purpose (optional)."""

    def __init__(self, seal_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approvalDialog")
        self._seal_name = seal_name
        self._intro = QLabel()
        self._intro.setWordWrap(True)
        self.approval = QLineEdit()
        self.approval.setObjectName("approvalEdit")
        self.purpose = QLineEdit()
        self.purpose.setObjectName("purposeEdit")
        self._labels = [QLabel(), QLabel()]
        form = QFormLayout()
        form.addRow(self._labels[0], self.approval)
        form.addRow(self._labels[1], self.purpose)
        self._labels[0].setBuddy(self.approval)
        self._labels[1].setBuddy(self.purpose)
        self._buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        self.approval.textChanged.connect(
            lambda text: self._buttons.button(QDialogButtonBox.Ok).setEnabled(bool(text.strip()))
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self._intro)
        layout.addLayout(form)
        layout.addWidget(self._buttons)
        self._buttons.button(QDialogButtonBox.Ok).setEnabled(False)
        self.retranslate()
        self.setMinimumWidth(420)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Official seal"))
        self._intro.setText(
            self.tr("“{seal}” is an official seal: give the approval reference of this use.").format(
                seal=self._seal_name
            )
        )
        self._labels[0].setText(self.tr("&Approval reference:"))
        self._labels[1].setText(self.tr("&Purpose:"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
