"""The key panel (dock): the key's label, serial, maker, PIN state, certificates and seals, updated live.

Seals that may not be used are listed disabled with the reason next to them (expired on …, not bound …).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.application import KeyContents, KeySummary, SealSummary
from app.core.keys import PinState
from app.i18n import translate

SEAL_ROLE = Qt.UserRole + 1


class KeyPanel(QWidget):
    sealChosen = Signal(object)
    """SealSummary of the seal the user picked (only usable seals can be picked)."""
    keyChosen = Signal(object)
    """KeySummary picked in the key selector."""
    changePinRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keyPanel")
        self._contents: KeyContents | None = None
        self._keys: list[KeySummary] = []
        self._selector = QComboBox()
        self._selector.setObjectName("keySelector")
        self._selector.currentIndexChanged.connect(self._selected)
        self._info = QLabel()
        self._info.setObjectName("keyInfo")
        self._info.setWordWrap(True)
        self._info.setTextFormat(Qt.RichText)
        self._pin_state = QLabel()
        self._pin_state.setObjectName("pinStateLabel")
        self._pin_state.setWordWrap(True)
        self._certs_box = QGroupBox()
        self._certs = QLabel()
        self._certs.setObjectName("certificates")
        self._certs.setWordWrap(True)
        self._certs.setTextFormat(Qt.RichText)
        certs_layout = QVBoxLayout(self._certs_box)
        certs_layout.addWidget(self._certs)
        self._seals_box = QGroupBox()
        self.seal_list = QListWidget()
        self.seal_list.setObjectName("sealList")
        self.seal_list.setIconSize(QSize(56, 56))
        self.seal_list.setWordWrap(True)
        self.seal_list.setSpacing(2)
        self.seal_list.itemActivated.connect(self._activated)
        self.seal_list.itemClicked.connect(self._activated)
        seals_layout = QVBoxLayout(self._seals_box)
        seals_layout.addWidget(self.seal_list)
        self._change_pin = QPushButton()
        self._change_pin.setObjectName("changePinButton")
        self._change_pin.clicked.connect(self._change_pin_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self._selector)
        layout.addWidget(self._info)
        layout.addWidget(self._pin_state)
        layout.addWidget(self._certs_box)
        layout.addWidget(self._seals_box, 1)
        layout.addWidget(self._change_pin)
        self.setMinimumWidth(280)
        self.retranslate()

    # -- data
    def set_keys(self, keys: list[KeySummary], current: KeySummary | None) -> None:
        self._keys = list(keys)
        self._selector.blockSignals(True)
        self._selector.clear()
        for key in self._keys:
            self._selector.addItem(f"{key.label} ({key.serial})")
        if current is not None:
            refs = [k.ref for k in self._keys]
            if current.ref in refs:
                self._selector.setCurrentIndex(refs.index(current.ref))
        self._selector.blockSignals(False)
        self._selector.setVisible(len(self._keys) > 1)

    def keys(self) -> list[KeySummary]:
        """The keys listed now (the main window skips a watcher event that changes nothing)."""
        return list(self._keys)

    def set_contents(self, contents: KeyContents | None) -> None:
        self._contents = contents
        self._render()

    def contents(self) -> KeyContents | None:
        return self._contents

    def _selected(self, index: int) -> None:
        if 0 <= index < len(self._keys):
            self.keyChosen.emit(self._keys[index])

    def _activated(self, item: QListWidgetItem) -> None:
        seal = item.data(SEAL_ROLE)
        if seal is not None and seal.usable:
            self.sealChosen.emit(seal)

    def _change_pin_clicked(self) -> None:
        if self._contents is not None:
            self.changePinRequested.emit(self._contents.key)

    def seal_item(self, ref: str) -> QListWidgetItem | None:
        for row in range(self.seal_list.count()):
            item = self.seal_list.item(row)
            if item.data(SEAL_ROLE).ref == ref:
                return item
        return None

    # -- text
    def _pin_state_text(self, state: PinState) -> str:
        return {
            PinState.OK: self.tr("PIN: set"),
            PinState.COUNT_LOW: self.tr("PIN: a wrong PIN was entered — few tries left"),
            PinState.FINAL_TRY: self.tr("PIN: final try — one more wrong PIN locks the key"),
            PinState.LOCKED: self.tr("PIN: locked — ask the issuer to unlock the key"),
            PinState.MUST_CHANGE: self.tr("PIN: must be changed before use"),
            PinState.NOT_INITIALISED: self.tr("PIN: not set up — the issuer must initialise the key"),
        }[state]

    def _seal_text(self, seal: SealSummary) -> str:
        lines = [seal.name]
        kind = translate("seal-kinds", seal.kind_name) if seal.kind_name else ""
        size = self.tr("{w:g} × {h:g} mm").format(w=round(seal.size_mm[0], 1), h=round(seal.size_mm[1], 1))
        lines.append(" · ".join(part for part in (kind, size) if part))
        if seal.valid_to is not None:
            lines.append(self.tr("valid until {date}").format(date=seal.valid_to.date().isoformat()))
        if seal.problem is not None:
            lines.append(self.tr("Cannot be used: {reason}").format(reason=seal.problem.user_message(translate)))
        elif seal.expiring_soon:
            lines.append(self.tr("Expires in {days} days").format(days=seal.days_to_expiry))
        return "\n".join(lines)

    def _render(self) -> None:
        contents = self._contents
        self.seal_list.clear()
        self._change_pin.setEnabled(contents is not None)
        if contents is None:
            self._info.setText(self.tr("No USB key found. Insert your key; it appears here."))
            self._pin_state.setText("")
            self._certs.setText("")
            return
        key = contents.key
        rows = [
            (self.tr("Key"), key.label + (self.tr(" (demo)") if key.is_demo else "")),
            (self.tr("Serial"), key.serial),
            (self.tr("Manufacturer"), f"{key.manufacturer} {key.model}".strip()),
        ]
        self._info.setText("<br>".join(f"<b>{_esc(k)}:</b> {_esc(v)}" for k, v in rows))
        self._pin_state.setText(self._pin_state_text(key.pin_state))
        severe = key.pin_state in (
            PinState.FINAL_TRY, PinState.LOCKED, PinState.MUST_CHANGE, PinState.NOT_INITIALISED
        )
        self._pin_state.setStyleSheet("color: #c62828; font-weight: bold;" if severe else "")
        cert_lines = []
        for cert in contents.certificates:
            if cert.expired:
                status = self.tr("expired on {date}").format(date=cert.not_after.date().isoformat())
                colour = "#c62828"
            elif cert.expiring_soon:
                status = self.tr("expires in {days} days").format(days=cert.days_to_expiry)
                colour = "#b26a00"
            else:
                status = self.tr("{days} days to expiry").format(days=cert.days_to_expiry)
                colour = "#2e7d32"
            name = cert.subject_cn or cert.subject
            # the algorithm tells SM2 keys from RSA/ECDSA ones at a glance (city e-seal keys must be SM2)
            cert_lines.append(
                f"{_esc(name)} · {_esc(cert.algorithm)} — <span style='color:{colour}'>{_esc(status)}</span>"
            )
        self._certs.setText("<br>".join(cert_lines) or _esc(self.tr("no certificates")))
        for seal in contents.seals:
            item = QListWidgetItem(self._seal_text(seal))
            item.setData(SEAL_ROLE, seal)
            if seal.picture_png:
                item.setIcon(QIcon(QPixmap.fromImage(QImage.fromData(seal.picture_png, "PNG"))))
            item.setToolTip(item.text())
            if not seal.usable:
                item.setFlags(item.flags() & ~Qt.ItemIsEnabled & ~Qt.ItemIsSelectable)
            self.seal_list.addItem(item)

    def retranslate(self) -> None:
        self._certs_box.setTitle(self.tr("Certificates"))
        self._seals_box.setTitle(self.tr("Seals"))
        self._change_pin.setText(self.tr("Change PIN…"))
        self._render()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
