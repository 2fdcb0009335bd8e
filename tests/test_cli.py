"""The `sealdesk` command line against the demo key and the interop seal files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from testdata import INTEROP_DIR, USER_PIN

from app import cli
from app.core import demo
from app.core.errors import PinIncorrect, PinMismatch
from app.i18n import translate


def run(capsys, monkeypatch, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_tokens_json_lists_the_demo_key(demo_key, capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, ["tokens", "--json"])
    assert code == 0
    data = json.loads(out)
    demo_tokens = [t for t in data["tokens"] if t["label"] == demo.DEMO_LABEL]
    assert len(demo_tokens) == 1
    token = demo_tokens[0]
    assert token["serial"] == demo_key.serial
    assert token["manufacturer"] == "SoftHSM project"
    assert token["pin_state"] in ("ok", "count_low")
    assert any(m["loaded"] for m in data["modules"])


def test_seals_on_the_demo_key(demo_key, capsys, monkeypatch):
    code, out, err = run(
        capsys, monkeypatch, ["seals", "--token", demo_key.serial, "--pin-stdin", "--json"], stdin=demo.DEMO_PIN + "\n"
    )
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 3
    for row in rows:
        assert row["verification"] == "valid"
        assert row["certificate"]["days_to_expiry"] > 90
        assert row["certificate"]["algorithm"] in ("EC P-256", "RSA-2048")
    assert {r["kind"] for r in rows} == {"official", "duty", "personal"}
    assert "123456" not in err  # the factory-PIN hint belongs to the first run and demo-key, not every use


def test_wrong_pin_is_refused_without_echo_or_retry(demo_key, capsys, monkeypatch):
    code, out, err = run(
        capsys, monkeypatch, ["seals", "--token", demo_key.serial, "--pin-stdin"], stdin="999999\n"
    )
    assert code == 3
    assert "999999" not in out + err
    assert PinIncorrect().user_message(translate).strip() in err  # "Wrong PIN." in the suite's language
    # the next right PIN works (the wrong one was not retried and nothing is locked)
    code, _, err = run(
        capsys, monkeypatch, ["seals", "--token", demo_key.serial, "--pin-stdin", "--json"], stdin=USER_PIN + "\n"
    )
    assert code == 0, err


def test_seal_file_inspection_with_clock(capsys, monkeypatch):
    path = str(INTEROP_DIR / "UserV4.esl")
    code, out, _ = run(capsys, monkeypatch, ["seals", "--file", path, "--json"])
    assert code == 8  # expired today: like `verify`, not a success
    now_row = json.loads(out)[0]
    assert now_row["verification"] == "expired"
    assert now_row["version"] == 4 and now_row["picture"]["width_mm"] == 40
    code, out, _ = run(capsys, monkeypatch, ["seals", "--file", path, "--at", "2021-01-01", "--json"])
    assert json.loads(out)[0]["verification"] == "valid"
    code, out, _ = run(
        capsys, monkeypatch, ["seals", "--file", str(INTEROP_DIR / "UserV1.esl"), "--at", "2021-01-01", "--json"]
    )
    v1 = json.loads(out)[0]
    assert code == 0 and v1["version"] == 1 and v1["verification"] == "valid"


def test_seal_file_garbage_gives_clear_error(tmp_path: Path, capsys, monkeypatch):
    bad = tmp_path / "bad.esl"
    bad.write_bytes(b"\x30\x82\x01\x00garbage")
    code, _, err = run(capsys, monkeypatch, ["seals", "--file", str(bad)])
    assert code == 4
    assert "seal" in err.lower() and str(bad) in err  # the message names the file


def test_pin_change(fresh_token, capsys, monkeypatch):
    from app.core.keys import TokenManager

    manager = TokenManager()
    serial = manager.find_token(label=fresh_token).serial
    manager.close()
    code, _, err = run(capsys, monkeypatch, ["pin", "change", "--token", serial, "--pin-stdin"], "123456\n654321\n654320\n")
    assert code == 2 and PinMismatch().user_message(translate) in err
    code, out, err = run(capsys, monkeypatch, ["pin", "change", "--token", serial, "--pin-stdin"], "123456\n654321\n654321\n")
    assert code == 0, err
    code, _, err = run(capsys, monkeypatch, ["pin", "change", "--token", serial, "--pin-stdin"], "123456\n111111\n111111\n")
    assert code == 3  # the old PIN no longer works
    code, _, err = run(capsys, monkeypatch, ["pin", "change", "--token", serial, "--pin-stdin"], "654321\n123456\n123456\n")
    assert code == 0, err


@pytest.mark.parametrize("lang, expected", [("", "退出码"), ("en", "Exit codes")])
def test_console_script_help_is_translated(lang, expected):
    env = dict(os.environ, SEALDESK_LANG=lang)
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0
    assert expected in proc.stdout


def test_page_option_is_honoured_by_every_placement_mode(tmp_path, demo_key, capsys, monkeypatch):
    """Regression (review): --page used to be ignored by --keyword, stamping page 1 instead."""
    from documents import make_pdf, red_box_mm

    from app.core.ses import kinds

    source = make_pdf(tmp_path / "kw.pdf", pages=3, keyword_at={0: (300, 600), 2: (300, 600)})
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)
    base = ["--seal", seal, "--token", demo_key.serial, "--pin-stdin", "--json"]
    code, out, err = run(
        capsys, monkeypatch, ["stamp", str(source), "--keyword", "（盖章）", "--page", "3", *base], USER_PIN + "\n"
    )
    assert code == 0, err
    output = json.loads(out)[0]["output"]
    assert red_box_mm(Path(output), 0) is None and red_box_mm(Path(output), 2) is not None
    for bad in (["--page", "0", "--at", "50,50"], ["--page", "1", "--pages", "2", "--at", "50,50"],
                ["--cross-page", "--page", "2"], ["--at", "50"]):
        code, _, err = run(capsys, monkeypatch, ["stamp", str(source), *bad, *base], USER_PIN + "\n")
        assert code == 2, (bad, err)
