"""The city e-seal system in the window (pytest-qt, offscreen) against a real citysim on 127.0.0.1 and the
SoftHSM demo key: the status bar indicator (waiting → sent, offline, token refused), "sync now" on the
worker and the usage-log view after it, the background sync after a stamping in the window, the
registration dialog with the PIN typed into the real PIN dialog, the city settings page, and the worker
stopped and joined when the window closes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from city_helpers import TOKEN, FaultProxy, demo_key_city, free_port, use_own_home  # noqa: E402
from guiparts_helpers import demo_key_summary, stamped_pdf  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from testdata import USER_PIN  # noqa: E402

from app.core.application import Application, CityState, SyncState  # noqa: E402
from app.core.errors import CityTokenRefused, CityUnreachable  # noqa: E402
from app.core.settings import Settings, load_settings, settings_path  # noqa: E402
from app.core.usage.log import UsageLog  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402
from app.gui.resources import Languages, register_cjk_font  # noqa: E402
from app.i18n import translate  # noqa: E402


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    return use_own_home(tmp_path, monkeypatch)


@pytest.fixture
def citysim(tmp_path, demo_key):
    yield from demo_key_city(tmp_path, demo_key)


@pytest.fixture
def make_app(home, demo_key, tmp_path):
    """An Application over the demo key with its own usage log, talking to the city system at `url`."""
    made: list = []

    def make(url: str, **options) -> Application:
        log = UsageLog(tmp_path / "usage.sqlite3")
        application = Application(
            Settings(trust_roots=(str(demo_key.root_cert_path),), city_url=url, **options), usage_log=log
        )
        made.append((application, log))
        return application

    yield make
    for application, log in made:
        application.close()
        log.close()


@pytest.fixture
def open_window(qtbot):
    register_cjk_font(QApplication.instance())
    languages = Languages(QApplication.instance())
    languages.apply("en")

    def show(application: Application) -> MainWindow:
        window = MainWindow(application, languages, watch=False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield show
    languages.clear()


def _app_text(text: str, **values) -> str:
    """A core message (CITY_STATE_TEXT, SYNC_STATE_TEXT) in the language the core speaks in this run."""
    return translate("app", text).format(**values)


def _status(qtbot, window: MainWindow, state: CityState, timeout: int = 20000):
    """Refresh the indicator (worker thread) and wait until it shows `state`."""
    window.city.refresh()
    qtbot.waitUntil(lambda: window.city.status is not None and window.city.status.state is state, timeout=timeout)
    return window.city.status


def _sync_now(qtbot, window: MainWindow, timeout: int = 60000):
    with qtbot.waitSignal(window.city.syncFinished, timeout=timeout) as finished:
        assert window.sync_now()
    return finished.args


def test_pending_after_stamping_then_sync_now_updates_indicator_and_log(qtbot, citysim, make_app, open_window,
                                                                        tmp_path):
    app = make_app(citysim.url)
    app.register_holder(USER_PIN, demo_key_summary(app), "张三", "示例科技有限公司")
    stamped_pdf(app, tmp_path, name="a.pdf")
    stamped_pdf(app, tmp_path, name="b.pdf")
    window = open_window(app)
    indicator = window.city_indicator
    status = _status(qtbot, window, CityState.PENDING)
    assert status.pending == 2 and indicator.text() == _app_text("{pending} records waiting", pending=2)
    assert citysim.url in indicator.toolTip() and "Last sync: never" in indicator.toolTip()
    assert indicator.act_sync.isEnabled() and not indicator.act_error.isEnabled()
    assert window.city.timer.isActive() and window.city.timer.interval() == 5 * 60_000  # the default 5 minutes
    window.open_usage_log()
    assert window.log_view.column_texts("sync") == [_app_text("waiting to be sent")] * 2

    result, error, interactive = _sync_now(qtbot, window)
    assert error is None and interactive and result.accepted == 2 and result.ok
    status = _status(qtbot, window, CityState.SYNCED)
    assert indicator.text() == _app_text("all records sent") and "Last sync: 20" in indicator.toolTip()
    assert "2 record(s) sent" in window.statusBar().currentMessage()
    assert window.log_view.column_texts("sync") == [_app_text("sent to the city system")] * 2  # refreshed
    assert sorted(r["record_id"] for r in citysim.stored()) == sorted(r.record_id for r in app.usage_log.records())
    qtbot.waitUntil(lambda: window.city.threads() == [], timeout=10000)  # each worker ends after its answer


def test_a_stamping_in_the_window_is_sent_in_the_background(qtbot, citysim, make_app, open_window, tmp_path):
    from documents import make_pdf
    from test_gui_main import PinTyper, _click_seal, _place_and_confirm, _select_demo_key

    app = make_app(citysim.url)
    app.register_holder(USER_PIN, demo_key_summary(app), "张三", "示例科技有限公司")
    window = open_window(app)
    window.open_path(make_pdf(tmp_path / "contract.pdf", pages=1))
    _select_demo_key(window)
    _click_seal(qtbot, window, "personal")
    typer = PinTyper(qtbot, USER_PIN)
    with qtbot.waitSignal(window.city.syncFinished, timeout=90000) as synced:
        _place_and_confirm(qtbot, window, 0, (100.0, 120.0))
    typer.stop()
    result, error, interactive = synced.args
    assert not interactive and error is None and result.accepted == 1
    _status(qtbot, window, CityState.SYNCED)
    assert window.message_box is None or not window.message_box.isVisible()  # nothing said in the background
    assert [r["record_id"] for r in citysim.stored()] == [app.usage_log.records()[0].record_id]


def test_server_down_is_offline_with_the_error_in_the_tooltip(qtbot, make_app, open_window, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    app = make_app(dead)
    stamped_pdf(app, tmp_path)  # the seal status cannot be asked: policy "allow" marks the record
    window = open_window(app)
    window.open_usage_log()
    assert window.log_view.column_texts("sync") == [_app_text("waiting to be sent") + _app_text("; seal status unchecked")]
    assert "could not be asked" in window.log_view.column_tooltips("sync")[0]

    result, error, _ = _sync_now(qtbot, window, timeout=90000)  # connection refused, retried with backoff
    assert error is None and isinstance(result.error, CityUnreachable) and result.pending == 1
    status = _status(qtbot, window, CityState.OFFLINE)
    indicator = window.city_indicator
    assert indicator.text() == _app_text("city system offline, {pending} records waiting", pending=1)
    assert isinstance(status.last_error, CityUnreachable)
    said = status.last_error.user_message(translate)
    assert "Last error: " + said in indicator.toolTip() and dead in indicator.toolTip()
    assert indicator.act_error.isEnabled()
    assert window.message_box.isVisible() and window.message_box.text() == said
    window.message_box.close()
    window.show_city_error()  # the menu's "show the last error"
    assert window.message_box.text() == said


def test_wrong_token_is_an_error_naming_the_token(qtbot, citysim, make_app, open_window, tmp_path, monkeypatch):
    monkeypatch.setenv("SEALDESK_CITY_TOKEN", "not-" + TOKEN)
    app = make_app(citysim.url)
    stamped_pdf(app, tmp_path)
    window = open_window(app)
    result, error, _ = _sync_now(qtbot, window)
    assert isinstance(result.error, CityTokenRefused)
    _status(qtbot, window, CityState.ERROR)
    indicator = window.city_indicator
    tip = indicator.toolTip()
    assert indicator.text() == _app_text("city sync failed, {pending} records waiting", pending=1)
    assert CityTokenRefused().user_message(translate) in tip and "API" in CityTokenRefused().user_message(translate)
    assert TOKEN not in tip and TOKEN not in window.message_box.text()
    assert citysim.stored() == []


def _register(qtbot, dialog, name: str, organisation: str, timeout: int = 60000):
    """Fill in the dialog, press Register, type the PIN into the PIN dialog: (registration, error, PINs asked)."""
    from test_gui_main import PinTyper

    dialog.name_edit.setText(name)  # QTest types ASCII only
    dialog.organisation_edit.setText(organisation)
    typer = PinTyper(qtbot, USER_PIN)
    with qtbot.waitSignal(dialog.registrationFinished, timeout=timeout) as finished:
        dialog.register_button.click()
    typer.stop()
    return (*finished.args, len(typer.seen))


def test_registration_through_the_dialog_with_the_demo_keys_pin(qtbot, citysim, make_app, open_window, demo_key):
    app = make_app(citysim.url)
    window = open_window(app)
    window.refresh_keys()
    window.open_registration()
    dialog = window.register_dialog
    assert dialog.current_key() is not None and dialog.current_key().serial == window.key.serial
    assert not dialog.register_button.isEnabled()  # name and organisation first
    registration, error, asked = _register(qtbot, dialog, "张三", "示例科技有限公司")
    assert error is None, error and error.user_message(translate)
    assert asked == 1
    assert registration.holder_id in dialog.result_label.text()
    names = {s.ref: s.name for s in app.key_contents(dialog.current_key()).seals}
    registered = [seal for _chain, seals in registration.chains for seal in seals]
    assert registered and all(names[seal] in dialog.result_label.text() for seal in registered)
    assert set(load_settings().city_holders.values()) == {registration.holder_id}
    assert USER_PIN not in settings_path().read_text()

    # once more: the dialog offers the known holder id; registering again is idempotent at the city
    window.open_registration()
    again = window.register_dialog
    assert again.holder_edit.text() == registration.holder_id
    second, error, _ = _register(qtbot, again, "张三", "示例科技有限公司")
    assert error is None and second.holder_id == registration.holder_id


def test_registration_error_is_shown_translated(qtbot, make_app, open_window):
    app = make_app(f"http://127.0.0.1:{free_port()}")
    window = open_window(app)
    window.refresh_keys()
    window.open_registration()
    registration, error, asked = _register(qtbot, window.register_dialog, "张三", "示例", timeout=90000)
    assert registration is None and isinstance(error, CityUnreachable)
    text = window.register_dialog.result_label.text()
    assert text == "Not registered: " + error.user_message(translate)
    assert asked == 1  # one PIN, no automatic retry


def test_no_city_system_greys_the_indicator(qtbot, make_app, open_window):
    window = open_window(make_app(""))
    _status(qtbot, window, CityState.NOT_CONFIGURED)
    indicator = window.city_indicator
    assert indicator.text() == _app_text("no city system") and "No city e-seal system is set up" in indicator.toolTip()
    assert not indicator.act_sync.isEnabled() and not indicator.act_register.isEnabled()
    assert indicator.act_settings.isEnabled() and not window.city.timer.isActive()
    assert not window.city.sync(interactive=False)  # the background never tries without an address


def test_city_settings_page(qtbot, make_app, open_window, home, monkeypatch):
    window = open_window(make_app(""))
    window.open_city_settings()
    dialog = window.settings_dialog
    assert dialog.tabs.currentWidget() is dialog.city_page
    dialog.city_url_edit.setText("http://city.example.org")
    dialog.accept()
    assert dialog.isVisible() and "http://city.example.org" in dialog.error  # CityUrlRefused, said on the page
    assert not settings_path().exists()

    # a token typed where no keyring exists (this machine): said plainly, nothing saved, the field emptied
    monkeypatch.delenv("SEALDESK_CITY_TOKEN")
    dialog.city_url_edit.setText("http://127.0.0.1:8443/")
    dialog.city_token_edit.setText("typed-secret-token")
    dialog.accept()
    assert dialog.isVisible() and "SEALDESK_CITY_TOKEN" in dialog.error
    assert dialog.city_token_edit.text() == "" and not settings_path().exists()

    dialog.city_policy_combo.setCurrentIndex(1)
    dialog.city_interval_spin.setValue(2)
    dialog.accept()
    assert not dialog.isVisible(), dialog.error
    saved = load_settings()
    assert (saved.city_url, saved.city_unreachable_policy, saved.city_sync_interval_min) == (
        "http://127.0.0.1:8443", "refuse", 2)
    assert "typed-secret-token" not in settings_path().read_text()
    qtbot.waitUntil(lambda: window.city.timer.isActive())
    assert window.city.timer.interval() == 2 * 60_000


def test_closing_the_window_cancels_and_joins_the_sync(qtbot, citysim, make_app, open_window, tmp_path):
    proxy = FaultProxy(citysim.port, hold_s=2.0)
    try:
        app = make_app(proxy.url)
        stamped_pdf(app, tmp_path)
        window = open_window(app)
        proxy.faults.extend(["timeout"] * 20)  # every request held, then 504: the sync retries for long
        assert window.city.sync(interactive=False)
        qtbot.waitUntil(lambda: len(proxy.seen) >= 2, timeout=20000)  # (the status check was the first)
        assert window.city.is_busy()
        started = time.monotonic()
        window.close()
        assert time.monotonic() - started < 15
        assert window.city.threads() == []
        assert not [t for t in threading.enumerate() if t.name in ("city-sync", "city-status")]
        assert not window.city.sync(interactive=True)  # closed: no new sync
    finally:
        proxy.close()
    assert app.sync_state_of(app.usage_log.records()[0]) is SyncState.PENDING


def test_sync_now_can_be_cancelled_from_its_progress_dialog(qtbot, citysim, make_app, open_window, tmp_path):
    from PySide6.QtWidgets import QPushButton

    proxy = FaultProxy(citysim.port, hold_s=1.0)
    try:
        app = make_app(proxy.url)
        stamped_pdf(app, tmp_path)
        window = open_window(app)
        proxy.faults.extend(["503"] * 50)  # the city keeps failing: the client waits and retries
        with qtbot.waitSignal(window.city.syncFinished, timeout=60000) as finished:
            assert window.sync_now()
            qtbot.waitUntil(lambda: len(proxy.seen) >= 3, timeout=30000)  # (the status check was the first)
            window._sync_progress.findChild(QPushButton).click()
        result, error, interactive = finished.args
        assert interactive and error is None and result.cancelled and result.pending == 1
        assert window._sync_progress is None and not window.city.is_busy()
        assert "cancelled" in window.statusBar().currentMessage()
    finally:
        proxy.close()
    assert citysim.stored() == []
