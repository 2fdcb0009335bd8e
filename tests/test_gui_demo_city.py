"""The demo city of `make run` (app/gui/demo_city.py): citysim really started on 127.0.0.1, the demo key
registered with its factory PIN only when it was just created, a stamped record going from "waiting" to
"sent", the user's settings file keeping its own city address, and the child process ended by stop()."""

from __future__ import annotations

import json

import pytest
from city_helpers import TOKEN
from guiparts_helpers import stamped_pdf

from app.core.application import Application, CityState, SyncState
from app.core.settings import Settings, load_settings, save_settings, settings_path
from app.core.usage.log import UsageLog
from app.gui.demo_city import start_demo_city


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("SEALDESK_HOME", str(folder))
    monkeypatch.setenv("SEALDESK_CITY_TOKEN", TOKEN)  # restored after the test: start_demo_city replaces it
    return folder


def test_demo_city_registers_the_fresh_demo_key_and_takes_its_records(home, demo_key, tmp_path):
    save_settings(Settings(city_url="https://yongyin.city.example"))  # the user's own city stays on disk
    city = start_demo_city(demo_key.root_cert_path, tmp_path / "demo-city")
    log = UsageLog(tmp_path / "usage.sqlite3")
    application = Application(Settings(trust_roots=(str(demo_key.root_cert_path),),
                                       city_url="https://yongyin.city.example"), usage_log=log)  # fmt: skip
    try:
        assert city.url.startswith("http://127.0.0.1:")
        key = next(k for k in application.keys() if k.serial == demo_key.serial)
        assert not city.attach(application, fresh_key=False)  # a PIN that may have been changed is never tried
        assert application.settings.city_url == city.url
        assert city.attach(application, fresh_key=True)  # just created: the factory PIN
        assert city.registered(key.serial)
        assert load_settings().city_url == "https://yongyin.city.example"
        assert load_settings().city_holders  # the holder id is kept
        assert TOKEN not in settings_path().read_text() and "token" not in json.loads(settings_path().read_text())

        stamped_pdf(application, tmp_path)
        assert application.city_status().state is CityState.PENDING
        result = application.sync_now()
        assert result.ok and result.accepted == 1
        assert application.sync_state_of(log.records()[0]) is SyncState.SYNCED
        assert application.city_status().state is CityState.SYNCED

        # the next start knows the key is registered there: no PIN at all
        again = Application(Settings(), usage_log=log)
        try:
            assert city.attach(again, fresh_key=False)
        finally:
            again.close()
    finally:
        application.close()
        log.close()
        city.stop()
    assert city.process.poll() is not None
    assert (tmp_path / "demo-city" / "city.sqlite3").exists()  # registrations survive for the next run
