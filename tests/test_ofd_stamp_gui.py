"""The window stamps an OFD like a PDF (pytest-qt, offscreen): open it, choose the SM2 seal, drop the seal,
type the PIN once → `name.signed.ofd` is written, opened and verified valid; the seal shows on the page.
A seal on an RSA/ECDSA key is refused for an OFD before any PIN is asked."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from asn1crypto import pem  # noqa: E402
from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from test_gui_main import PinTyper, _place_and_confirm  # noqa: E402
from test_ofd_gui import _reds, _wait_rendered  # noqa: E402
from test_ofd_stamp import sm2_token_with_identity  # noqa: E402

from app.core import demo, demo_sm2, sm2_test_module  # noqa: E402
from app.core.application import Application, StampStatus, VerificationStatus  # noqa: E402
from app.core.errors import OfdNeedsSm2Key  # noqa: E402
from app.core.ofd.verify import verify_ofd  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.stamping import SpotPlacement  # noqa: E402
from app.core.usage.log import UsageLog  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402
from app.gui.resources import Languages, register_cjk_font  # noqa: E402

MODULE = sm2_test_module.module_path()
pytestmark = pytest.mark.skipif(MODULE is None, reason="the SM2 test module is not built (make setup)")
INTEROP = Path(__file__).parent / "data" / "interop"
LABEL = "SM2 OFD GUI"


@pytest.fixture
def sm2_app(tmp_path: Path) -> Iterator[tuple[Application, demo_sm2.Sm2Identity]]:
    """An Application whose key manager sees a fresh SM2 token holding the SM2 demo identity (logged out),
    trusting its root."""
    with sm2_token_with_identity(tmp_path, LABEL) as (manager, identity):
        root = tmp_path / "root.pem"
        root.write_bytes(pem.armor("CERTIFICATE", identity.root))
        log = UsageLog(tmp_path / "usage.sqlite3")
        settings = Settings(trust_roots=(str(root),), require_approval_for_official=False)  # no approval dialog
        application = Application(settings, manager=manager, usage_log=log)
        try:
            yield application, identity
        finally:
            application.close()
            log.close()


def test_open_place_and_stamp_an_ofd_in_the_window(qtbot, sm2_app, tmp_path: Path) -> None:
    application, identity = sm2_app
    register_cjk_font(QApplication.instance())
    languages = Languages(QApplication.instance())
    languages.apply("en")
    window = MainWindow(application, languages, watch=False)
    window.resize(1200, 900)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        source = Path(shutil.copy(INTEROP / "helloworld.ofd", tmp_path / "你好.ofd"))
        assert window.open_path(source)
        window._show_key(next(k for k in application.keys() if k.label == LABEL))
        seal = next(s for s in window.key_panel.contents().seals if s.ref == identity.es_id)
        seal_list = window.key_panel.seal_list
        item = window.key_panel.seal_item(seal.ref)
        qtbot.mouseClick(seal_list.viewport(), Qt.LeftButton, pos=seal_list.visualItemRect(item).center())
        assert window.seal is not None and window.seal.ref == identity.es_id
        typer = PinTyper(qtbot, demo.DEMO_PIN)
        with qtbot.waitSignal(window.stampFinished, timeout=60000) as finished:
            _place_and_confirm(qtbot, window, 0, (150.0, 200.0))
        typer.stop()
        outcome = finished.args[0]
        assert outcome.status is StampStatus.SIGNED, outcome.error
        assert len(typer.seen) == 1
        output = outcome.result.output_path
        assert output == tmp_path / "你好.signed.ofd" and window.document_path == output
        assert window.last_verification.status is VerificationStatus.VALID
        report = verify_ofd(output, trust_roots=[identity.root])
        (sig,) = report.signatures
        assert report.all_valid and sig.seal_status == "valid" and sig.picture_check == "match"
        # the opened output shows the seal where it was dropped
        window.page_view.fit_page()
        image = _wait_rendered(qtbot, window, 0)
        image.save(str(tmp_path / "stamped-ofd-view.png"))
        half = seal.size_mm[0] / 2
        top_left = window.page_view.mm_to_viewport(0, 150 - half, 200 - half)
        bottom_right = window.page_view.mm_to_viewport(0, 150 + half, 200 + half)
        assert _reds(image, QRectF(top_left, bottom_right)) > 50
    finally:
        window.close()
        languages.clear()


def test_a_seal_on_an_rsa_key_is_refused_for_ofd_before_the_pin(demo_app, demo_key, tmp_path: Path) -> None:
    source = Path(shutil.copy(INTEROP / "helloworld.ofd", tmp_path / "a.ofd"))
    key = next(k for k in demo_app.keys() if k.label == demo.DEMO_LABEL)
    seal = demo_app.key_contents(key).seals[0]
    plan = demo_app.plan(source, seal.ref, SpotPlacement((100.0, 100.0)), "A-1", key=key)
    assert any(isinstance(p, OfdNeedsSm2Key) for p in plan.problems)
    assert "SM2" in next(p for p in plan.problems if isinstance(p, OfdNeedsSm2Key)).user_message()


def test_batch_window_stamps_ofd_and_pdf_with_one_pin(qtbot, sm2_app, tmp_path: Path) -> None:
    """批量盖章 with the SM2 seal over a folder holding two OFDs and a PDF: one PIN entry, every output
    verifies valid (OFD: SES_Signature; PDF: SM2/SM3 CMS)."""
    from documents import make_pdf

    from app.gui.batch_window import BatchWindow

    application, identity = sm2_app
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(INTEROP / "helloworld.ofd", inputs / "a.ofd")
    shutil.copy(INTEROP / "Page5.ofd", inputs / "b.ofd")
    make_pdf(inputs / "c.pdf", pages=1)
    asked: list[str] = []

    def pins(key, parent) -> str:
        asked.append(key.serial)
        return demo.DEMO_PIN

    window = BatchWindow(application, pin_provider=pins)
    qtbot.addWidget(window)
    window.select_seal(identity.es_id)
    window.x_spin.setValue(100.0)
    window.y_spin.setValue(200.0)
    window.show()
    assert window.add_paths([inputs]) == 3
    with qtbot.waitSignal(window.batchFinished, timeout=120000) as blocker:
        qtbot.mouseClick(window.start_button, Qt.LeftButton)
    summary = blocker.args[0]
    assert (summary.stamped, summary.failed) == (3, 0), [window.state_text(i) for i in range(3)]
    assert len(asked) == 1
    for name in ("a.signed.ofd", "b.signed.ofd", "c.signed.pdf"):
        assert application.verify(inputs / name).status is VerificationStatus.VALID, name
