"""用印记录 view (pytest-qt, offscreen) after real stampings with the SoftHSM demo key: rows, filter by seal
and by date range, the chain check said plainly (intact, then after a record was edited behind SealDesk's
back), and the sync column filled from the application layer's sync state."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from guiparts_helpers import seal_of_kind, stamped_pdf
from guiparts_qt import Language, register_cjk_font
from PySide6.QtCore import QDate

from app import i18n
from app.core.application import SyncState
from app.gui.log_view import UsageLogView


@pytest.fixture
def app(demo_app):
    """The demo Application (conftest `demo_app`)."""
    return demo_app


def _check(qtbot, view: UsageLogView):
    with qtbot.waitSignal(view.checkFinished, timeout=60000) as blocker:
        view.check_button.click()
    return blocker.args[0]


def test_log_view_after_stampings(qtbot, app, tmp_path: Path):
    stamped_pdf(app, tmp_path, name="a.pdf", kind="personal")
    stamped_pdf(app, tmp_path, name="b.pdf", kind="duty", page_spec="1-2")
    stamped_pdf(app, tmp_path, name="c.pdf", kind="personal")
    personal, duty = seal_of_kind(app, "personal"), seal_of_kind(app, "duty")
    view = UsageLogView(app)
    qtbot.addWidget(view)
    view.show()
    assert view.table.rowCount() == 3
    assert view.column_texts("document") == ["c.signed.pdf", "b.signed.pdf", "a.signed.pdf"]  # newest first
    assert view.column_texts("pages")[1] == "1, 2 / 2"
    assert view.column_texts("sync") == [i18n.translate("app", "local only")] * 3
    assert all(e.sync_state is SyncState.LOCAL for e in view.entries)  # from the application layer
    assert sorted(view.seal_combo.itemText(i) for i in range(view.seal_combo.count())) == sorted(
        ["All seals", personal.name, duty.name]
    )

    view.set_seal_filter(personal.ref)
    assert view.column_texts("document") == ["c.signed.pdf", "a.signed.pdf"]
    assert set(view.column_texts("seal")) == {personal.name} and "2 record(s) shown" in view.count_label.text()
    view.set_seal_filter(duty.ref)
    assert view.column_texts("document") == ["b.signed.pdf"]
    view.set_seal_filter(None)
    today = QDate.currentDate()
    view.set_date_range(today.addDays(-400), today.addDays(-1))
    assert view.table.rowCount() == 0
    view.set_date_range(today, today)
    assert view.table.rowCount() == 3
    view.set_date_range(None, None)

    result = _check(qtbot, view)
    assert result.ok and result.checked == 3
    assert "intact: 3 record(s) checked" in view.chain_label.text() and view.problems.isHidden()


def test_edited_record_is_reported(qtbot, app, tmp_path: Path):
    stamped_pdf(app, tmp_path, name="a.pdf")
    stamped_pdf(app, tmp_path, name="b.pdf")
    db = sqlite3.connect(app.usage_log.path)
    db.execute("DROP TRIGGER records_append_only_update")
    db.execute("UPDATE records SET purpose = 'edited later' WHERE seq = 1")
    db.commit()
    db.close()
    view = UsageLogView(app)
    qtbot.addWidget(view)
    result = _check(qtbot, view)
    assert not result.ok
    assert "changed or damaged" in view.chain_label.text() and not view.problems.isHidden()
    assert "seq 1" in view.problems.toPlainText() and "edited record" in view.problems.toPlainText()


def test_screenshot_in_chinese(qtbot, qapp, app, tmp_path: Path):
    register_cjk_font(qapp)
    stamped_pdf(app, tmp_path, name="采购合同.pdf", kind="official")
    stamped_pdf(app, tmp_path, name="租赁协议.pdf", kind="personal", page_spec="1-2")
    language = Language(qapp, tmp_path)
    language.apply("zh_CN")
    try:
        view = UsageLogView(app)
        qtbot.addWidget(view)
        view.resize(1100, 360)
        view.show()
        with qtbot.waitSignal(view.checkFinished, timeout=60000):
            view.check_button.click()
        assert "用印记录完整" in view.chain_label.text() and view.column_texts("sync") == ["仅本地"] * 2
        assert view.grab().save(str(tmp_path / "usage_log.png"))  # a grab in Chinese renders (docs: app.gui.screenshots)
    finally:
        language.reset()
