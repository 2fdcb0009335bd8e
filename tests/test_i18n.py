"""Every user-facing string is in the zh_CN catalogue, translated, with the same placeholders."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from app.core.errors import PinIncorrect, SealExpired
from app.i18n import translate, ts_path
from app.i18n_tools import update

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _messages(path: Path) -> list[tuple[str, str, ET.Element]]:
    root = ET.parse(path).getroot()
    return [
        (context.findtext("name") or "", message.findtext("source") or "", message.find("translation"))
        for context in root.iter("context")
        for message in context.iter("message")
    ]


def test_catalogue_is_up_to_date_and_complete(tmp_path: Path):
    catalogue = ts_path("zh_CN")
    fresh = tmp_path / catalogue.name
    shutil.copy(catalogue, fresh)
    update([fresh])  # pyside6-lupdate over app/: new strings would appear unfinished
    problems = []
    for context, source, translation in _messages(fresh):
        if translation is None or translation.get("type") == "unfinished" or not (translation.text or "").strip():
            problems.append(f"untranslated [{context}] {source!r}")
        elif sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation.text)):
            problems.append(f"placeholders differ [{context}] {source!r}")
    assert problems == []
    assert len(_messages(fresh)) == len(_messages(catalogue))


def test_errors_render_in_chinese_by_default(monkeypatch):
    monkeypatch.delenv("SEALDESK_LANG", raising=False)
    assert "过期" in SealExpired(date="2022-04-22").user_message(translate)
    err = PinIncorrect(warning="Few tries left before the PIN locks.")
    assert err.user_message(translate) == "保护口令错误。距口令锁定只剩少数几次尝试机会。"
    monkeypatch.setenv("SEALDESK_LANG", "en")
    assert err.user_message(translate).startswith("Wrong PIN.")
