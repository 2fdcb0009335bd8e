"""Settings file: defaults, round trip, and clear errors for values of the wrong type."""

from __future__ import annotations

import json

import pytest

from app.core.errors import InvalidArgument
from app.core.settings import Settings, load_settings, save_settings


def test_missing_file_gives_defaults_and_round_trip_keeps_unknown_keys(tmp_path):
    path = tmp_path / "settings.json"
    assert load_settings(path) == Settings()
    path.write_text(json.dumps({"tsa_url": "http://127.0.0.1:1/tsa", "future_key": 7}), encoding="utf-8")
    settings = load_settings(path)
    assert settings.tsa_url == "http://127.0.0.1:1/tsa" and settings.extra == {"future_key": 7}
    save_settings(settings, path)
    assert json.loads(path.read_text(encoding="utf-8"))["future_key"] == 7
    assert load_settings(path) == settings


@pytest.mark.parametrize(
    "content",
    [
        {"extra_modules": "/x.so"},
        {"trust_roots": [1, 2]},
        {"tsa_url": 5},
        {"require_approval_for_official": "false"},
    ],
)
def test_values_of_the_wrong_type_are_refused_by_name(tmp_path, content):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(InvalidArgument) as caught:
        load_settings(path)
    assert next(iter(content)) in caught.value.user_message()


def test_damaged_json_is_a_clear_error(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidArgument):
        load_settings(path)
