"""The window with SM2 keys on SealDesk's SM2 test module (tests/p11sm2, built by `make setup`), driven like a
user (pytest-qt, offscreen): the key panel shows the SM2 certificate, the SM2 official seal is placed and
stamped with the PIN typed into the real PIN dialog, the 验章 panel shows the SM2 signature valid, and OpenSSL
checks the output independently. The batch window refuses a locked key before any PIN dialog.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from asn1crypto import cms, pem  # noqa: E402
from pdf_helpers import extract_contents, make_pdf, pdfsig, qpdf_check  # noqa: E402
from PySide6.QtWidgets import QApplication, QComboBox, QLabel  # noqa: E402
from test_gui_main import DialogAnswerer, _click_seal, _place_and_confirm  # noqa: E402
from test_pdf_sm2_token import _byte_ranges  # noqa: E402
from test_pin_lockout import WRONG, gui_token  # noqa: E402,F401 - the fixture
from test_sm2_token import openssl_verifies  # noqa: E402
from test_sm2_token_module import MODULE, Sm2Token, sm2_token  # noqa: E402,F401 - the fixture
from testdata import USER_PIN  # noqa: E402

from app.core import demo, gm  # noqa: E402
from app.core.application import Application, StampStatus, VerificationStatus  # noqa: E402
from app.core.errors import PinIncorrect, PinLocked  # noqa: E402
from app.core.keys import PinState, TokenManager  # noqa: E402
from app.core.pdf.sm2_cms import signed_attrs_der  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.usage.log import UsageLog  # noqa: E402
from app.gui.batch_window import BatchWindow, FileState  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402
from app.gui.resources import Languages, register_cjk_font  # noqa: E402
from app.i18n import translate  # noqa: E402

pytestmark = pytest.mark.skipif(MODULE is None, reason="the SM2 test module is not built (make setup)")


def test_the_window_stamps_with_the_sm2_token_and_shows_the_sm2_signature_valid(
    qtbot, sm2_token: Sm2Token, demo_key, softhsm_module: str, tmp_path: Path  # noqa: F811
) -> None:
    identity = sm2_token.identity
    sm2_token.session.close()  # the fixture's provisioning login: the window logs in with its own PIN entry
    root = tmp_path / "sm2-root.pem"
    root.write_bytes(pem.armor("CERTIFICATE", identity.root))
    log = UsageLog(tmp_path / "usage.sqlite3")
    # both families plugged in: the SoftHSM demo key (RSA/ECDSA) and the SM2 test module's key
    manager = TokenManager(extra_modules=[softhsm_module, MODULE], use_catalog=False)
    application = Application(Settings(trust_roots=(str(root),)), usage_log=log, manager=manager)
    register_cjk_font(QApplication.instance())
    languages = Languages(QApplication.instance())
    languages.apply("en")
    win = MainWindow(application, languages, watch=False)
    qtbot.addWidget(win)
    try:
        win.resize(1400, 900)
        win.show()
        qtbot.waitExposed(win)

        # the key panel: choose the SM2 key in the key selector (the demo key shown first), see its
        # certificate's algorithm, click the SM2 official seal
        labels = [k.label for k in win.key_panel.keys()]  # the selector's order
        assert sorted(labels) == sorted([demo.DEMO_LABEL, "SM2 test"])
        selector = win.key_panel.findChild(QComboBox, "keySelector")
        assert selector.isVisible() and selector.count() == 2
        selector.setCurrentIndex(labels.index(demo.DEMO_LABEL))
        assert win.key_panel.contents().key.label == demo.DEMO_LABEL
        assert "SM2" not in win.key_panel.findChild(QLabel, "certificates").text()  # RSA-2048, EC P-256
        selector.setCurrentIndex(labels.index("SM2 test"))
        contents = win.key_panel.contents()
        assert contents is not None and contents.key.label == "SM2 test"
        (cert,) = contents.certificates
        assert cert.algorithm == "SM2"
        assert "SM2" in win.key_panel.findChild(QLabel, "certificates").text()
        seal = _click_seal(qtbot, win, "official")
        assert seal.name == identity_seal_name(identity)
        win.key_panel.grab().save(str(tmp_path / "key-panel-sm2.png"))

        source = make_pdf(tmp_path / "合同.pdf", pages=2)
        assert win.open_path(source)
        answers = DialogAnswerer(qtbot, approval="审批-SM2-1", purpose="采购合同", pin=demo.DEMO_PIN)
        with qtbot.waitSignal(win.stampFinished, timeout=120000) as finished:
            _place_and_confirm(qtbot, win, 1, (130.0, 220.0))
        answers.stop()
        outcome = finished.args[0]
        assert outcome.status is StampStatus.SIGNED, outcome.error
        names = [s.split(":")[0] for s in answers.seen]  # plan warnings (e.g. seal expiry) may come between
        assert names[0] == "approvalDialog" and names[-1] == "pinDialog" and names.count("pinDialog") == 1, answers.seen
        target = outcome.result.output_path
        assert target.name == "合同.signed.pdf" and source.exists()
        assert not application.session_open  # logged out after stamping

        # the 验章 panel verifies the signed copy (it opens in the window): the SM2 signature is valid
        panel = win.verify_panel
        qtbot.waitUntil(lambda: panel.report() is not None and panel.path == target, timeout=60000)
        report = panel.report()
        assert report.status is VerificationStatus.VALID
        (row,) = report.rows
        assert row.seal_name == seal.name and row.seal_status == "valid" and row.trusted
        assert panel.list.count() == 1 and seal.name in panel.list.item(0).text()
        assert "Valid" in panel.header.text() or "valid" in panel.header.text()
        assert win.last_verification is not None and win.last_verification.status is VerificationStatus.VALID
        details = panel.details.toPlainText()
        assert identity.es_id in details
        win.verify_dock.grab().save(str(tmp_path / "verify-panel-sm2.png"))
        assert len(log.records()) == 1 and log.verify().ok
    finally:
        win.close()
        languages.clear()
        application.close()
        log.close()
        manager.close()

    # independently of SealDesk: SM2 over the DER signed attributes and SM3 over the byte ranges (OpenSSL)
    gm.register_oids()
    info = cms.ContentInfo.load(extract_contents(target))["content"]["signer_infos"][0]
    assert info["signature_algorithm"]["algorithm"].dotted == gm.SM2_WITH_SM3_OID
    assert openssl_verifies(identity.holder, signed_attrs_der(info), info["signature"].native, tmp_path)
    digest = next(a["values"][0].native for a in info["signed_attrs"] if a["type"].native == "message_digest")
    (tmp_path / "ranges.bin").write_bytes(_byte_ranges(target))
    import subprocess

    sm3 = subprocess.run(["openssl", "dgst", "-sm3", "-binary", str(tmp_path / "ranges.bin")], capture_output=True)
    assert sm3.returncode == 0 and sm3.stdout == digest
    assert "ETSI.CAdES.detached" in pdfsig(target) and qpdf_check(target).returncode == 0


def identity_seal_name(identity) -> str:
    from app.core.ses import parse_seal

    return parse_seal(identity.seal_der).name


class PinEntries:
    """The batch window's PIN provider: counts how often a PIN is asked (it must never be for a locked key)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, key, parent) -> str | None:
        self.asked.append(key.serial)
        return USER_PIN


def test_the_batch_window_refuses_a_locked_key_before_any_pin_dialog(qtbot, gui_token, tmp_path: Path) -> None:  # noqa: F811
    tok, application = gui_token
    key = next(k for k in application.keys() if k.serial == tok.serial)
    for _ in range(3):  # three wrong PINs through SealDesk's own login: the module's max_pin_tries
        with pytest.raises((PinIncorrect, PinLocked)), application.session(key, WRONG):
            pass
    assert application.refresh_key(key).pin_state is PinState.LOCKED
    before = tok.store_bytes()

    files = [make_pdf(tmp_path / f"{name}.pdf", pages=1) for name in ("a", "b")]
    pins = PinEntries()
    window = BatchWindow(application, pin_provider=pins)
    qtbot.addWidget(window)
    window.select_seal("李四")
    window.show()
    assert window.key() is not None and window.key().serial == tok.serial
    assert window.add_paths(files) == 2
    with qtbot.waitSignal(window.batchFinished, timeout=120000) as finished:
        window.start_button.click()
    summary = finished.args[0]
    assert pins.asked == []  # no PIN dialog: a locked key refuses every PIN
    assert (summary.stamped, summary.failed) == (0, 2)
    assert [f.state for f in window.files] == [FileState.FAILED, FileState.FAILED]
    locked = PinLocked().user_message(translate)
    assert all(locked in window.state_text(row) for row in range(2))
    assert tok.store_bytes() == before  # nothing tried on the token
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["a.pdf", "b.pdf"]
    window.close()
