"""PIN lockout end to end on the SM2 test token (SoftHSM never locks): through the CLI and the GUI's PIN
dialog, a wrong PIN says how the key stands (tries low, last try, locked), every user action tries the PIN
at most once, and a locked key is refused before any PIN is asked."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from p11sm2_helpers import (
    CKF_USER_PIN_COUNT_LOW,
    CKF_USER_PIN_FINAL_TRY,
    CKF_USER_PIN_LOCKED,
    KEY_ID,
    PIN_FLAGS,
    module_copy,
    provision,
)
from testdata import SO_PIN, USER_PIN

from app.core import sm2_test_module
from app.core.errors import PinLocked
from app.core.keys.model import SEAL_APPLICATION
from app.core.keys.pin import PinState, pin_incorrect, pin_state_text
from app.i18n import translate

ROOT = Path(__file__).resolve().parents[1]
WRONG = "000000"


@dataclass
class LockoutToken:
    """A provisioned SM2 test token (3 tries) and the files a SealDesk process needs to reach it."""

    conf: Path
    module: Path
    serial: str
    home: Path

    def pin_flags(self) -> int:
        """The token's PIN flags, read by a separate instance of the module."""
        with provision.loaded(self.conf, module_copy(self.conf.parent)) as lib:
            return int(lib.getTokenInfo(0).flags) & PIN_FLAGS

    def store_bytes(self) -> bytes:
        return (Path(str(provision.read_conf(self.conf)["store"])) / "token0.bin").read_bytes()

    def unlock(self, new_pin: str) -> None:
        """The issuer's unlock: SO login and C_InitPIN."""
        import PyKCS11

        with provision.loaded(self.conf, module_copy(self.conf.parent)) as lib:
            session = lib.openSession(0, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
            session.login(SO_PIN, PyKCS11.CKU_SO)
            session.initPin(new_pin)
            session.logout()
            session.closeSession()


def _provision(
    directory: Path, data: list[dict[str, object]] | None = None, cert: bytes = b""
) -> LockoutToken:
    """Token objects SealDesk can read whatever it makes of SM2 keys: a certificate and seals, no key pair
    (every login fails or succeeds before a key is looked at)."""
    conf = provision.write_conf(directory / "token", max_pin_tries=3, slots=1)
    certs = [{"id": KEY_ID.hex(), "label": "holder", "der": cert.hex()}] if cert else []
    spec = {
        "label": "SM2 lockout",
        "so_pin": SO_PIN,
        "user_pin": USER_PIN,
        "certificates": certs,
        "data": data or [],
    }
    serial = provision.provision_in_subprocess(conf, spec)
    home = directory / "home"
    home.mkdir()
    return LockoutToken(conf, module_copy(directory), serial, home)


@pytest.fixture
def token(tmp_path: Path) -> LockoutToken:
    return _provision(tmp_path)


def run_cli(token: LockoutToken, args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    """`sealdesk …` in its own process, seeing only the SM2 test token."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SEALDESK_HOME": str(token.home),
        # the built module itself, as the catalog (sealdesk-sm2-test) loads it: a copy named here would be a
        # second instance on the same store, and every token would be listed twice
        "SEALDESK_PKCS11_MODULE": str(sm2_test_module.module_path() or token.module),
        provision.CONF_ENV: str(token.conf),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def warning_line(state: PinState) -> str:
    return translate("cli", "Warning: {state}").format(state=translate("errors", pin_state_text(state)))


def test_cli_wrong_pins_warn_then_lock_and_a_locked_key_is_refused_before_the_pin(
    token: LockoutToken,
) -> None:
    seals = ["seals", "--token", token.serial, "--pin-stdin"]
    steps = [  # (state before, flags after one wrong PIN)
        (PinState.OK, CKF_USER_PIN_COUNT_LOW),
        (PinState.COUNT_LOW, CKF_USER_PIN_FINAL_TRY),
        (PinState.FINAL_TRY, CKF_USER_PIN_LOCKED),
    ]
    after_states = {CKF_USER_PIN_COUNT_LOW: PinState.COUNT_LOW, CKF_USER_PIN_FINAL_TRY: PinState.FINAL_TRY}
    for before, flags_after in steps:
        done = run_cli(token, seals, WRONG + "\n")
        assert done.returncode == 3, done.stderr
        # before the prompt: the key's state as the holder must know it
        if before is PinState.OK:
            assert translate("cli", "Warning: {state}").split("{")[0] not in done.stderr
        else:
            assert warning_line(before) in done.stderr
        # after the failure: what the wrong PIN did
        if flags_after == CKF_USER_PIN_LOCKED:
            assert PinLocked().user_message(translate) in done.stderr
        else:
            assert pin_incorrect(after_states[flags_after]).user_message(translate) in done.stderr
        assert WRONG not in done.stderr + done.stdout
        # exactly one try per command: the counter moved by one (no automatic retry)
        assert token.pin_flags() == flags_after

    # locked: refused before the PIN is read (an empty stdin would otherwise be "empty PIN"), nothing tried
    before = token.store_bytes()
    done = run_cli(token, seals, "")
    assert done.returncode == 3 and PinLocked().user_message(translate) in done.stderr
    assert translate("cli", "empty PIN") not in done.stderr
    done = run_cli(token, seals, USER_PIN + "\n")  # even the right PIN is not tried
    assert done.returncode == 3 and PinLocked().user_message(translate) in done.stderr
    assert token.store_bytes() == before and token.pin_flags() == CKF_USER_PIN_LOCKED
    done = run_cli(token, ["pin", "change", "--token", token.serial, "--pin-stdin"], "")
    assert done.returncode == 3 and PinLocked().user_message(translate) in done.stderr

    # the issuer unlocks: the new PIN works and the flags are clear
    token.unlock("246810")
    done = run_cli(token, seals, "246810\n")
    assert done.returncode == 0, done.stderr
    assert translate("cli", "No seals on this key.") in done.stdout
    assert token.pin_flags() == 0


def test_cli_tokens_reports_the_pin_state(token: LockoutToken) -> None:
    import json

    for _ in range(2):
        run_cli(token, ["seals", "--token", token.serial, "--pin-stdin"], WRONG + "\n")
    done = run_cli(token, ["tokens", "--json"], "")
    assert done.returncode == 0, done.stderr
    (listed,) = [t for t in json.loads(done.stdout)["tokens"] if t["serial"] == token.serial]
    assert listed["pin_state"] == str(PinState.FINAL_TRY)


# ---- GUI ----


@pytest.fixture
def gui_token(tmp_path: Path, ca, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LockoutToken, object]]:
    """A token holding a seal for an EC certificate: stamping plans and asks the PIN as usual; the login
    fails before any key is used, which is all these tests need."""
    from seal_helpers import make_seal

    from app.core.application import Application
    from app.core.keys import TokenManager
    from app.core.settings import Settings
    from app.core.usage.log import UsageLog

    holder = ca.issue("李四")
    maker = ca.issue("测试制章机构")
    seal = make_seal(maker, [holder.cert_der], name="李四")
    data = [{"application": SEAL_APPLICATION, "label": "李四", "value": seal.hex(), "id": KEY_ID.hex()}]
    tok = _provision(tmp_path, data, cert=holder.cert_der)
    root = tmp_path / "root.pem"
    from cryptography.hazmat.primitives import serialization

    root.write_bytes(ca.root.cert.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setenv(provision.CONF_ENV, str(tok.conf))
    manager = TokenManager(extra_modules=[str(tok.module)], use_catalog=False)
    log = UsageLog(tmp_path / "usage.sqlite3")
    application = Application(Settings(trust_roots=(str(root),)), usage_log=log, manager=manager)
    yield tok, application
    application.close()
    log.close()
    manager.close()


def test_gui_pin_dialog_states_then_a_locked_key_gets_no_dialog(qtbot, gui_token, tmp_path: Path) -> None:
    from pdf_helpers import make_pdf
    from test_gui_main import DialogAnswerer, _click_seal, _place_and_confirm

    from app.core.application import StampStatus
    from app.gui.main_window import MainWindow

    tok, application = gui_token
    win = MainWindow(application, None, watch=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    source = make_pdf(tmp_path / "contract.pdf", pages=1)
    assert win.open_path(source)
    win._show_key(next(k for k in application.keys() if k.serial == tok.serial))
    _click_seal(qtbot, win, "personal")

    expected_dialog_text = {
        PinState.OK: "",
        PinState.COUNT_LOW: "A wrong PIN was entered before: only a few tries are left.",
        PinState.FINAL_TRY: "Final try: if this PIN is wrong, the key locks and only the issuer can unlock it.",
    }
    results = [PinState.COUNT_LOW, PinState.FINAL_TRY, PinState.LOCKED]
    for attempt, before in enumerate([PinState.OK, PinState.COUNT_LOW, PinState.FINAL_TRY]):
        answers = DialogAnswerer(qtbot, pin=WRONG, approval="", purpose="")
        shown: list[str] = []

        def capture(shown: list[str] = shown) -> None:
            from PySide6.QtWidgets import QApplication, QLabel

            from app.gui.dialogs import PinDialog

            dialog = QApplication.activeModalWidget()
            if isinstance(dialog, PinDialog) and not dialog.property("answered"):
                label = dialog.findChild(QLabel, "pinState")
                shown.append(label.text() if label.isVisible() else "")

        answers.timer.timeout.disconnect()
        answers.timer.timeout.connect(capture)
        answers.timer.timeout.connect(answers._poll)
        with qtbot.waitSignal(win.stampFinished, timeout=60000) as finished:
            _place_and_confirm(qtbot, win, 0, (100.0, 120.0 + 30 * attempt))
        qtbot.wait(300)  # a retry would open a second PIN dialog here
        answers.stop()
        outcome = finished.args[0]
        assert outcome.status is StampStatus.FAILED
        assert [s for s in answers.seen if s == "pinDialog"] == ["pinDialog"]  # asked once, never retried
        assert shown == [_dialog_tr(expected_dialog_text[before])]  # the state, before the PIN is typed
        if results[attempt] is PinState.LOCKED:
            assert isinstance(outcome.error, PinLocked)
        else:
            assert outcome.error.pin_state is results[attempt]
        assert win.message_box is not None and WRONG not in win.message_box.text()
        assert (
            tok.pin_flags()
            == {
                PinState.COUNT_LOW: CKF_USER_PIN_COUNT_LOW,
                PinState.FINAL_TRY: CKF_USER_PIN_FINAL_TRY,
                PinState.LOCKED: CKF_USER_PIN_LOCKED,
            }[results[attempt]]
        )
        win.message_box.close()

    # locked: stamping says so at once; no PIN dialog opens and the token is not touched
    before = tok.store_bytes()
    locked = PinLocked().user_message(translate)
    answers = DialogAnswerer(qtbot, pin=USER_PIN, approval="", purpose="")
    _place_and_confirm(qtbot, win, 0, (150.0, 200.0))
    qtbot.waitUntil(lambda: any(locked in seen for seen in answers.seen), timeout=10000)
    qtbot.wait(300)
    answers.stop()
    assert "pinDialog" not in answers.seen
    assert tok.store_bytes() == before
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["contract.pdf"]

    # changing the PIN of a locked key: refused before the PIN-change dialog
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    answers = DialogAnswerer(qtbot, old=USER_PIN, new="246810")
    qtbot.mouseClick(win.key_panel.findChild(QPushButton, "changePinButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(answers.seen), timeout=10000)
    answers.stop()
    assert "pinChangeDialog" not in answers.seen
    assert locked in answers.seen[0]
    assert tok.store_bytes() == before
    win.close()


def _dialog_tr(text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("PinDialog", text) if text else ""


def test_cli_a_key_without_user_pin_is_described_and_refused_before_the_pin(tmp_path: Path) -> None:
    import PyKCS11

    from app.core.application import pin_state_text as app_pin_state_text
    from app.core.errors import PinNotInitialised

    conf = provision.write_conf(tmp_path / "token", slots=1)
    with provision.loaded(conf, module_copy(tmp_path)) as lib:
        lib.initToken(0, SO_PIN, "no user PIN")  # the issuer never ran C_InitPIN
        serial = lib.getTokenInfo(0).serialNumber.strip()
        assert not int(lib.getTokenInfo(0).flags) & PyKCS11.CKF_USER_PIN_INITIALIZED
    (tmp_path / "home").mkdir()
    tok = LockoutToken(conf, module_copy(tmp_path), serial, tmp_path / "home")
    done = run_cli(tok, ["tokens"], "")
    assert done.returncode == 0, done.stderr
    assert app_pin_state_text(PinState.NOT_INITIALISED, translate) in done.stdout
    assert str(PinState.NOT_INITIALISED) not in done.stdout  # not the raw enum value
    done = run_cli(tok, ["seals", "--token", serial, "--pin-stdin"], "")
    assert done.returncode != 0 and PinNotInitialised().user_message(translate) in done.stderr
    assert translate("cli", "empty PIN") not in done.stderr
