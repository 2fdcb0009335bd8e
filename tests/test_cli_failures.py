"""Every failure explained, nothing lost: output folders the OS refuses, crash reports, damaged settings and
usage logs, broken pipes, hostile file names, missing files, JSON on refusal — through the real CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from documents import make_pdf
from testdata import INTEROP_DIR, SO_PIN, USER_PIN

from app import cli
from app.core import softhsm
from app.core.errors import SealAmbiguous, SealNotOnKey
from app.core.keys import TokenManager
from app.core.seals import find_key_seal
from app.core.ses import kinds
from app.core.usage.log import UsageLog
from app.i18n import translate

REPO = Path(__file__).resolve().parent.parent


def sealdesk(
    args: list[str], stdin: str = "", *, lang: str = "en", home: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """`python -m app.cli ARGS` as a user runs it (own process, given language and data folder)."""
    env = dict(os.environ, SEALDESK_LANG=lang)
    if home is not None:
        env["SEALDESK_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr


def personal_seal(demo_key) -> str:
    return next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)


@contextlib.contextmanager
def mounted_tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A tmpfs at `path` (root can mount here); the test is skipped, with the reason, where it cannot."""
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or 'mount failed'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


# --- 1. output folders the OS refuses --------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_read_only_output_folder_names_folder_and_reason(tmp_path, demo_key, lang):
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m") as folder:
        args = ["stamp", str(source), "--seal", personal_seal(demo_key), "--at", "60,60"]
        proc = sealdesk([*args, "--token", demo_key.serial, "--pin-stdin", "--out", str(folder / "out.pdf")],
                        USER_PIN + "\n", lang=lang)  # fmt: skip
        no_traceback(proc)
        assert proc.returncode == 5, proc.stderr
        assert str(folder) in proc.stderr
        assert ("read-only file system" if lang == "en" else "只读文件系统") in proc.stderr
        assert list(folder.iterdir()) == []


def test_full_disk_leaves_no_partial_file(tmp_path, demo_key):
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    with mounted_tmpfs(tmp_path / "full", "size=64k") as folder:
        with contextlib.suppress(OSError), open(folder / "filler", "wb") as filler:
            while True:  # fill it up: the signed file cannot fit
                filler.write(b"\0" * 4096)
                filler.flush()
        proc = sealdesk(
            ["stamp", str(source), "--seal", personal_seal(demo_key), "--at", "60,60", "--token", demo_key.serial,
             "--pin-stdin", "--out", str(folder / "out.pdf")], USER_PIN + "\n", lang="zh_CN",
        )  # fmt: skip
        no_traceback(proc)
        assert proc.returncode == 5, proc.stderr
        assert str(folder) in proc.stderr and "磁盘已满" in proc.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["filler"]


@pytest.mark.parametrize("mode", [0o755, 0o700])
def test_permission_denied_output_folder(tmp_path, demo_key, mode):
    """Tests run as root, whom chmod does not stop: the CLI runs without CAP_DAC_OVERRIDE (setpriv), so
    another user's folder refuses it as it refuses any user."""
    probe = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("setpriv cannot drop CAP_DAC_OVERRIDE here, so root ignores folder permissions")
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    folder = tmp_path / "theirs"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    folder.chmod(mode)
    for lang, reason in (("en", "permission denied"), ("zh_CN", "权限不足")):
        proc = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m", "app.cli", "stamp",
             str(source), "--seal", personal_seal(demo_key), "--at", "60,60", "--token", demo_key.serial,
             "--pin-stdin", "--out", str(folder / "out.pdf")],
            input=USER_PIN + "\n", capture_output=True, text=True, env=dict(os.environ, SEALDESK_LANG=lang),
            cwd=REPO, timeout=120, check=False,
        )  # fmt: skip
        no_traceback(proc)
        assert proc.returncode == 5, proc.stderr
        assert str(folder) in proc.stderr and reason in proc.stderr and "crash" not in proc.stderr
    assert list(folder.iterdir()) == []


# --- 1. bugs: exit 1 with a crash report -----------------------------------------------------------
def test_a_bug_writes_a_private_crash_report_without_secrets(monkeypatch, capsys):
    def broken_command(args):
        raise RuntimeError(f"PIN {args.secret} and the document text {args.secret[::-1]}")

    monkeypatch.setattr(cli, "cmd_log", broken_command)
    monkeypatch.setattr(cli.argparse.Namespace, "secret", "7" + "35915", raising=False)
    monkeypatch.setattr(sys, "argv", ["sealdesk", "log"])
    code = cli.main(["log"])
    err = capsys.readouterr().err
    assert code == 1
    template = translate(
        "cli", "An unexpected error occurred (a bug in SealDesk). A crash report was written to {path}."
    )
    before, after = template.split("{path}")
    found = re.search(re.escape(before) + r"(\S+?)" + re.escape(after) + "$", err.strip())
    assert found, err
    report = Path(found.group(1))
    assert report.parent.name == "crash" and report.parent.parent == Path(os.environ["SEALDESK_HOME"])
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text(encoding="utf-8")
    assert "command: log" in text and "RuntimeError" in text and "broken_command" in text
    assert "SealDesk 0." in text and "Python 3." in text
    assert "735915" not in text and "519537" not in text

    code = cli.main(["log", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1 and payload["error"]["code"] == "unexpected"
    message = payload["error"]["message"]
    not_written = translate(
        "cli", "An unexpected error occurred (a bug in SealDesk). No crash report could be written."
    )
    assert (message.startswith(before) and message.endswith(after)) or message == not_written, message


# --- 2. damaged settings ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content, english, chinese",
    [
        ('{"tsa_url": "http://x",\n "hash_name": }', "not valid JSON (line 2, column 15)", "第 2 行，第 15 列"),
        ("[1, 2]", "must be a JSON object", "JSON 对象"),
        ('{"require_approval_for_official": "false"}', "“require_approval_for_official” must be true or false",
         "true 或 false"),
        ('{"extra_modules": "/usr/lib/x.so"}', "“extra_modules” must be a list of texts", "文本列表"),
        ('{"hash_name": "md5"}', "sha256, sha384 or sha512", "sha256、sha384 或 sha512"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply", "嵌套层数过深"),
    ],
)  # fmt: skip
def test_damaged_settings_are_explained(tmp_path, content, english, chinese):
    (tmp_path / "settings.json").write_text(content, encoding="utf-8")
    for lang, expected in (("en", english), ("zh_CN", chinese)):
        proc = sealdesk(["tokens"], home=tmp_path, lang=lang)
        no_traceback(proc)
        assert proc.returncode == 2, proc.stderr
        assert "settings.json" in proc.stderr and expected in proc.stderr, proc.stderr
    proc = sealdesk(["tokens", "--json"], home=tmp_path)
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"]["code"] == "settings_invalid"


def test_unknown_setting_is_named_and_the_command_goes_on(tmp_path):
    (tmp_path / "settings.json").write_text('{"tsa_ur1": "http://tsa", "hash_name": "sha256"}', encoding="utf-8")
    proc = sealdesk(["tokens", "--json"], home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "tsa_ur1" in proc.stderr and "unknown" in proc.stderr
    assert "tokens" in json.loads(proc.stdout)
    proc = sealdesk(["trust", "list"], home=tmp_path, lang="zh_CN")
    assert proc.returncode == 0 and "tsa_ur1" in proc.stderr and "无法识别" in proc.stderr


# --- 2. damaged usage logs -------------------------------------------------------------------------
def _copy_row(db: Path, count: int = 1, **changes) -> None:
    """Append copies of the first record with some fields changed (the log file edited behind SealDesk)."""
    conn = sqlite3.connect(db)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(records)") if row[1] != "id"]
        first = conn.execute(f"SELECT {', '.join(columns)} FROM records").fetchone()
        for number in range(count):
            values = dict(zip(columns, first, strict=True))
            values.update(record_id=str(uuid.uuid4()), seq=number + 2)
            values.update(changes)
            conn.execute(
                f"INSERT INTO records ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def log_home(tmp_path, demo_key) -> Path:
    """A data folder (SEALDESK_HOME) with a usage log of one genuine record."""
    home = tmp_path / "home"
    home.mkdir()
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    manager = TokenManager()
    try:
        token = manager.find_token(serial=demo_key.serial)
        with manager.open_session(token, USER_PIN) as session, UsageLog(home / "usage.sqlite3") as log:
            from app.core.stamping import SpotPlacement, Stamper, StampRequest

            Stamper(session, personal_seal(demo_key), usage_log=log).stamp(
                StampRequest(source, SpotPlacement(center_mm=(60, 60)), tmp_path / "out.pdf")
            )
    finally:
        manager.close()
    return home


@pytest.mark.parametrize(
    "damage",
    [{"seq": "zwei"}, {"placements": "[{garbage"}, {"page_count": "many"}],
    ids=["non-integer seq", "garbage JSON", "wrongly typed"],
)
def test_damaged_usage_record_is_a_clear_error(log_home, damage):
    _copy_row(log_home / "usage.sqlite3", **damage)
    for lang, expected in (("en", "cannot be read"), ("zh_CN", "无法读取")):
        proc = sealdesk(["log"], home=log_home, lang=lang)
        no_traceback(proc)
        assert proc.returncode == 6, proc.stderr
        assert expected in proc.stderr
    proc = sealdesk(["log", "--json"], home=log_home)
    assert proc.returncode == 6 and json.loads(proc.stdout)["error"]["code"] == "usage_record_unreadable"
    proc = sealdesk(["log", "verify"], home=log_home, lang="zh_CN")
    no_traceback(proc)
    assert proc.returncode == 8
    details = [line for line in proc.stdout.splitlines() if line.startswith("  - ")]
    assert details
    for line in details:  # every detail in Chinese: no English words besides ids, hashes and the holder
        words = re.sub(
            r"[0-9a-f]{8}-[0-9a-f-]{27}|'[^']*'|[0-9a-f]{64}|zwei|many|[0-9a-f]{16}:[0-9A-F]+|（[^）]*）", "", line
        )  # ids, hashes, the damaged values, the holder id and the certificate subject are data, not text
        assert not re.search(r"[A-Za-z]{3,}", words), line


def test_usage_log_with_a_missing_column(tmp_path):
    db = tmp_path / "usage.sqlite3"
    UsageLog(db).close()
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE records DROP COLUMN purpose")
    conn.commit()
    conn.close()
    proc = sealdesk(["log"], home=tmp_path)
    no_traceback(proc)
    assert proc.returncode == 6 and "cannot be read" in proc.stderr and str(db) in proc.stderr
    proc = sealdesk(["log", "verify", "--json"], home=tmp_path, lang="zh_CN")
    assert proc.returncode == 6
    assert json.loads(proc.stdout)["error"] == {"code": "usage_log_unreadable",
                                                "message": f"无法读取用印记录 {db}：其结构与本版 SealDesk 预期的不同。"}  # fmt: skip


def test_log_verify_details_are_translated(log_home):
    _copy_row(log_home / "usage.sqlite3", seq=5)
    proc = sealdesk(["log", "verify"], home=log_home, lang="zh_CN")
    assert proc.returncode == 8, proc.stderr
    assert "在它之前缺少序号 2–4 的记录" in proc.stdout and "其内容与哈希值不符" in proc.stdout
    proc = sealdesk(["log", "verify"], home=log_home)
    assert "record number 2–4 is missing before it" in proc.stdout


# --- 3. broken pipes and hostile file names --------------------------------------------------------
def test_output_into_a_closed_pipe_ends_quietly():
    reader, writer = os.pipe()
    os.close(reader)  # like `| head` that has already left
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "seals", "--file", str(INTEROP_DIR / "UserV4.esl"), "--at", "2021-01-01"],
        stdout=writer, stderr=subprocess.PIPE, text=True, cwd=REPO, env=dict(os.environ), timeout=60, check=False,
    )  # fmt: skip
    os.close(writer)
    assert proc.stderr == ""
    assert proc.returncode == cli.EXIT_BROKEN_PIPE


def test_pipe_into_head_of_a_long_listing(log_home):
    _copy_row(log_home / "usage.sqlite3", count=3000)  # far more than a pipe buffer holds
    env = dict(os.environ, SEALDESK_HOME=str(log_home), SEALDESK_LANG="en")
    for command in ("log", "log --json"):
        proc = subprocess.run(
            ["sh", "-c", f"{sys.executable} -m app.cli {command} | head -n 2; echo status=$?"],
            capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False,
        )  # fmt: skip
        assert proc.stderr == "", proc.stderr
        assert len(proc.stdout.splitlines()) == 3


HOSTILE = "evil\n\x1b[31mred\x07\u202etxt.esl\x9b"


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_hostile_file_names_are_printed_escaped(tmp_path, lang):
    missing = tmp_path / HOSTILE
    proc = sealdesk(["seals", "--file", str(missing)], lang=lang)
    assert proc.returncode == 2
    assert "\x1b" not in proc.stderr and "\u202e" not in proc.stderr and "\x9b" not in proc.stderr
    assert proc.stderr.count("\n") == 1  # one line: the newline in the name cannot fake another
    assert "evil\\n\\x1b[31mred\\x07\\u202etxt.esl\\x9b" in proc.stderr
    garbage = tmp_path / "bad\x1b]0;title\x07.esl"
    garbage.write_bytes(b"\x30\x03\x02\x01\x01")
    proc = sealdesk(["seals", "--file", str(garbage), "--json"], lang=lang)
    assert proc.returncode == 4
    assert "\x1b" not in proc.stdout and json.loads(proc.stdout)["error"]["message"].startswith(str(garbage))


def test_shown_escapes_every_control_and_bidi_character():
    assert cli.shown("a/b c.pdf") == "a/b c.pdf"
    assert cli.shown("合同（盖章）.pdf") == "合同（盖章）.pdf"
    assert cli.shown("x\ry\tz\x7f\u2066\u2069\u200f\u2028") == "x\\ry\\tz\\x7f\\u2066\\u2069\\u200f\\u2028"
    assert cli.shown(os.fsdecode(b"bad\xff.pdf")) == "bad\\xff.pdf"  # not UTF-8: shown, not a crash


# --- 4. missing files ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [["trust", "add", "{missing}"], ["seals", "--file", "{missing}"], ["verify", "{pdf}", "--trust", "{missing}"]],
    ids=["trust add", "seals --file", "verify --trust"],
)
def test_missing_files_are_not_found(tmp_path, args):
    missing = str(tmp_path / "nowhere.pem")
    pdf = make_pdf(tmp_path / "doc.pdf", pages=1)
    argv = [a.format(missing=missing, pdf=pdf) for a in args]
    for lang, expected in (("en", f"The file {missing} was not found."), ("zh_CN", f"找不到文件 {missing}。")):
        proc = sealdesk(argv, lang=lang)
        no_traceback(proc)
        assert proc.returncode == 2, proc.stderr
        assert expected in proc.stderr and "nvalid" not in proc.stderr and "无效" not in proc.stderr
    proc = sealdesk([*argv, "--json"])
    assert json.loads(proc.stdout)["error"]["code"] == "file_not_found"


def test_unreadable_path_is_said_as_such(tmp_path):
    proc = sealdesk(["seals", "--file", str(tmp_path)], lang="zh_CN")
    assert proc.returncode == 2 and "这是一个文件夹" in proc.stderr


def test_fingerprint_hint_and_pin_rule_are_in_chinese():
    proc = sealdesk(["trust", "remove", "abc"], lang="zh_CN")
    assert proc.returncode == 2 and "至少 8 位十六进制数字" in proc.stderr
    from app.core.errors import PinInvalid
    from app.i18n import _catalog

    zh = _catalog("zh_CN")

    def translate(context, text):
        return zh.get((context, text), text)

    assert PinInvalid(rule="6–16 characters").user_message(translate) == "口令不符合钥匙的要求（6–16 个字符）。"
    assert "至少 4 个字符" in PinInvalid(rule="at least 4 characters").user_message(translate)


# --- 5. seals --file: invalid seals fail, signatures are recognised ---------------------------------
def test_seal_file_exit_codes(tmp_path):
    path = str(INTEROP_DIR / "UserV4.esl")
    assert sealdesk(["seals", "--file", path]).returncode == 8  # expired today
    assert sealdesk(["seals", "--file", path, "--at", "2021-01-01"]).returncode == 0
    assert sealdesk(["seals", "--file", path, "--at", "2019-01-01"]).returncode == 8  # not yet valid
    tampered = tmp_path / "tampered.esl"
    der = bytearray((INTEROP_DIR / "UserV4.esl").read_bytes())
    der[-10] ^= 0x01  # inside the maker's signature
    tampered.write_bytes(bytes(der))
    proc = sealdesk(["seals", "--file", str(tampered), "--at", "2021-01-01", "--json"])
    assert proc.returncode in (4, 8), proc.stderr
    if proc.returncode == 8:
        assert json.loads(proc.stdout)[0]["verification"] == "invalid"


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_ses_signature_file_is_named_and_shown(lang):
    proc = sealdesk(["seals", "--file", str(INTEROP_DIR / "SignedValueV4.dat")], lang=lang)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    expected = ("electronic signature made with a seal", "not a seal") if lang == "en" else ("电子签章数据", "不是印章")
    assert all(text in proc.stdout for text in expected), proc.stdout
    assert "/Doc_0/Signs/Sign_0/Signature.xml" in proc.stdout and "51f044b76510434e9bc67a1185c2fba5" in proc.stdout
    proc = sealdesk(["seals", "--file", str(INTEROP_DIR / "SignedValueV4.dat"), "--json"], lang=lang)
    info = json.loads(proc.stdout)["signature"]
    assert info["kind"] == "ses_signature" and info["signature_valid"] is True
    assert info["signed_item"] == "/Doc_0/Signs/Sign_0/Signature.xml" and info["seal_name"] == "OFD R&W 测试用印章"


# --- 6. seal kinds ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code, name, label, category",
    [
        (3, "国家税务总局某市税务局发票专用章", "Invoice seal", "official"),
        (3, "张三（法定代表人）", "Duty seal (legal representative)", "duty"),
        (7, "示例科技有限公司合同专用章", "Contract seal", "official"),
        (1, "示例科技有限公司财务 专用章", "Finance seal", "official"),
        (1, "示例科技有限公司", "Official seal (legal name)", "official"),
        (2, "李四", "Personal seal", "personal"),
        (3, "OFD R&W 测试用印章", "Other seal", "other"),
        (99, "某某", "Other seal", "other"),
    ],
)
def test_seal_kind_comes_from_the_name_and_keeps_the_raw_number(code, name, label, category):
    kind = kinds.kind_of(code, name)
    assert (kind.code, kind.name, kind.category.value) == (code, label, category)
    assert kind.is_official == (category in ("official", "other"))  # unknown kinds need an approval


def test_seal_listing_shows_kind_and_raw_type():
    proc = sealdesk(["seals", "--file", str(INTEROP_DIR / "UserV4.esl"), "--at", "2021-01-01"], lang="zh_CN")
    assert proc.returncode == 0
    assert "其他印章 (3)" in proc.stdout and "法定代表人" not in proc.stdout


# --- 7. seal lookup --------------------------------------------------------------------------------
def test_seal_lookup_forgives_what_users_type(demo_key):
    manager = TokenManager()
    try:
        with manager.open_session(manager.find_token(serial=demo_key.serial), USER_PIN) as session:
            by_type = {s.seal_type: s for s in demo_key.seals}
            duty = by_type[kinds.DUTY_LEGAL_REPRESENTATIVE]
            assert find_key_seal(session, duty.es_id.lower()).seal.es_id == duty.es_id
            for typed in ("张三(法定代表人)", "张三 （法定代表人）", "张三法定代表人", "张三（法定"):
                assert find_key_seal(session, typed).seal.es_id == duty.es_id, typed
            contract = by_type[kinds.CONTRACT]
            assert find_key_seal(session, "示例科技有限公司 合同专用章").seal.es_id == contract.es_id
            unique = contract.es_id[: len(os.path.commonprefix([s.es_id for s in demo_key.seals])) + 1]
            if sum(s.es_id.startswith(unique) for s in demo_key.seals) == 1:
                assert find_key_seal(session, unique.lower()).seal.es_id == contract.es_id
            with pytest.raises(SealAmbiguous) as many:
                find_key_seal(session, "demo")
            with pytest.raises(SealNotOnKey) as none:
                find_key_seal(session, "王五")
    finally:
        manager.close()
    for err in (many.value, none.value):
        for seal in demo_key.seals:
            assert seal.es_id in err.user_message() and seal.name in err.user_message()


def test_unknown_seal_on_stamp_lists_the_seals_in_chinese(tmp_path, demo_key):
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    proc = sealdesk(["stamp", str(source), "--seal", "王五", "--at", "60,60", "--token", demo_key.serial,
                     "--pin-stdin"], USER_PIN + "\n", lang="zh_CN")  # fmt: skip
    no_traceback(proc)
    assert proc.returncode == 4, proc.stderr
    assert "钥匙中没有与“王五”匹配的印章" in proc.stderr
    assert all(s.es_id in proc.stderr for s in demo_key.seals)
    assert not (tmp_path / "doc.signed.pdf").exists()


# --- 8. the demo PIN hint, and start without a terminal --------------------------------------------
def test_demo_pin_hint_is_not_repeated_after_a_wrong_pin(demo_key):
    proc = sealdesk(["seals", "--token", demo_key.serial, "--pin-stdin"], "999999\n")
    assert proc.returncode == 3
    assert "123456" not in proc.stderr + proc.stdout and "999999" not in proc.stderr + proc.stdout


def test_start_without_a_terminal_says_how_to_list_the_seals(demo_key):
    proc = sealdesk(["start"], lang="zh_CN")
    assert proc.returncode == 0, proc.stderr
    assert "sealdesk seals" in proc.stdout and "--pin-stdin" in proc.stdout
    assert "演示钥匙的口令是 123456" in proc.stdout


# --- 9. JSON on refusal ----------------------------------------------------------------------------
def test_json_errors_for_refusals_and_usage_errors(demo_key):
    proc = sealdesk(["seals", "--token", demo_key.serial, "--pin-stdin", "--json"], "999999\n", lang="zh_CN")
    assert proc.returncode == 3
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "pin_incorrect" and "口令错误" in error["message"]
    proc = sealdesk(["seals", "--token", "nosuchkey", "--pin-stdin", "--json"], USER_PIN + "\n")
    assert proc.returncode == 3 and json.loads(proc.stdout)["error"]["code"] == "token_not_found"
    proc = sealdesk(["tokens", "--json", "--bogus"])
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"]["code"] == "invalid_argument"
    proc = sealdesk(["seals", "--file", str(INTEROP_DIR / "UserV4.esl"), "--at", "someday", "--json"])
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"]["code"] == "invalid_argument"


def test_json_error_payload_names_the_kind():
    from app.core.errors import DocumentNotFound, FileRejected, PinIncorrect, SealFormatError

    assert cli.json_error_payload(PinIncorrect())["error"]["code"] == "pin_incorrect"
    wrapped = FileRejected("x.esl", SealFormatError())
    assert cli.json_error_payload(wrapped)["error"] == {
        "code": "seal_format_error",
        "message": wrapped.user_message(translate),
    }
    assert cli.json_error_payload(DocumentNotFound(name="a.pdf"))["error"]["code"] == "document_not_found"


def test_tokens_watch_json_prints_one_object_per_event(softhsm_module):
    label = f"Watch{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "tokens", "--watch", "--json", "--interval", "0.3", "--seconds", "6"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ), cwd=REPO,
    )  # fmt: skip
    time.sleep(1.5)
    softhsm.init_token(label, USER_PIN, SO_PIN)
    time.sleep(1.5)
    softhsm.delete_token(label)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]  # every line is one JSON object
    ours = [e for e in events if e["label"] == label]
    assert [e["event"] for e in ours] == ["inserted", "removed"]
    assert all(e["serial"] for e in ours)


def test_cancel_in_json_mode_is_json(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_trust", interrupted)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["trust", "list", "--json"]) == 130
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "cancelled"
