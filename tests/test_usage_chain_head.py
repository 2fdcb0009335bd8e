"""Truncation made evident: the usage-log chain head on the key (SoftHSM), through the real CLI and core.

Deleting the newest records, all records or the database file must make `sealdesk log verify --key` fail
and say which records are missing; stamping afterwards continues past the deleted seqs; a key without a
head (older SealDesk) still verifies with a warning; a key pulled out while the head is written leaves a
valid output and its record.
"""

from __future__ import annotations

import io
import sqlite3
import sys
import uuid
from pathlib import Path

import pytest
from documents import make_pdf
from lang import cli as cli_text
from lang import error as error_text
from testdata import SO_PIN, USER_PIN
from verifiers import pdfsig, qpdf_check

from app import i18n
from app.cli import EXIT_OK, EXIT_VERIFY_FAILED, main
from app.core import demo, softhsm
from app.core.application import Application, StampStatus
from app.core.errors import TokenRemoved, UsageHeadNotWritten
from app.core.keys import TokenManager
from app.core.ses import kinds
from app.core.settings import Settings
from app.core.stamping import SpotPlacement
from app.core.usage.chain_head import HEAD_APPLICATION, ChainHead, HeadFormatError, read_heads
from app.core.usage.log import UsageLog
from app.i18n import translate

PERSONAL_ONLY = (demo.DEMO_SEALS[2],)


def _personal_seal(demo_key) -> str:
    return next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """A data folder of its own (usage log, settings) for the in-process CLI; the SoftHSM store stays the
    session's (SOFTHSM2_CONF is already set), so the demo key is there."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("SEALDESK_HOME", str(folder))
    return folder


def run(argv: list[str], monkeypatch, capsys, stdin: str = "") -> tuple[int, str, str]:
    """`sealdesk ARGV` in this process (the real parser and commands), PIN on stdin."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(argv)
    finally:
        i18n.set_language("")  # main() applies the settings' language: back to the suite's (SEALDESK_LANG)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stamp(demo_key, tmp_path: Path, name: str, monkeypatch, capsys) -> None:
    source = make_pdf(tmp_path / f"{name}.pdf", pages=1)
    code, out, err = run(
        ["stamp", str(source), "--seal", _personal_seal(demo_key), "--at", "100,100", "--token", demo_key.serial,
         "--pin-stdin"],
        monkeypatch, capsys, demo.DEMO_PIN + "\n",
    )  # fmt: skip
    assert code == EXIT_OK, out + err
    assert pdfsig(tmp_path / f"{name}.signed.pdf")[-1].valid


def verify_with_key(demo_key, monkeypatch, capsys) -> tuple[int, str]:
    code, out, err = run(
        ["log", "verify", "--trust", str(demo_key.root_cert_path), "--token", demo_key.serial, "--pin-stdin"],
        monkeypatch,
        capsys,
        demo.DEMO_PIN + "\n",
    )
    assert "Traceback" not in out + err
    return code, out


def holder_of(log_path: Path) -> str:
    with UsageLog(log_path) as log:
        return log.holders()[0]


def tamper(log_path: Path, *statements: str) -> None:
    """What a holder with the file can do: drop the append-only guards and delete rows."""
    conn = sqlite3.connect(log_path)
    conn.execute("DROP TRIGGER IF EXISTS records_append_only_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def rewound(holder: str, span: str) -> str:
    return translate(
        "usage-log",
        "Holder {holder}: the usage log was rewound: records {span} are missing "
        "(the chain head on the key is further on).",
    ).format(holder=holder, span=span)


# --- the head object ------------------------------------------------------------------------------
def test_head_value_round_trips_and_garbage_is_refused():
    head = ChainHead("SN1:1A", 7, "ab" * 32, "rid", "2026-12-01T00:00:00.000Z", b"\x03")
    assert ChainHead.from_bytes(head.to_bytes(), b"\x03") == head
    for junk in (b"", b"\xff", b"[]", b'{"format":"other"}', head.to_bytes().replace(b'"seq":7', b'"seq":0')):
        with pytest.raises(HeadFormatError):
            ChainHead.from_bytes(junk)


def test_stamping_keeps_a_private_head_on_the_key(demo_app, demo_key, tmp_path: Path, softhsm_module):
    app = demo_app
    key = next(k for k in app.keys() if k.serial == demo_key.serial)
    seal = next(s for s in app.key_contents(key).seals if s.kind == "personal")
    for name in ("a", "b"):
        plan = app.plan(
            make_pdf(tmp_path / f"{name}.pdf", pages=1), seal.ref, SpotPlacement((100.0, 100.0)), key=key
        )
        outcome = app.stamp(plan, demo.DEMO_PIN)
        assert outcome.status is StampStatus.SIGNED, outcome.error
    newest = app.usage_log.records()[-1]
    with app.session(key, demo.DEMO_PIN) as session:
        heads = read_heads(session)
        signing_keys = {k.key_id for k in session.keys() if k.certificate}
    (head,) = heads.heads
    assert (head.holder, head.seq, head.record_hash, head.record_id) == (
        newest.holder, 2, newest.record_hash, newest.record_id
    )  # fmt: skip
    assert head.key_id in signing_keys and heads.token_serial == demo_key.serial
    # private: the PIN-less read of the key's public objects does not see it
    manager = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    try:
        public = manager.public_objects(manager.find_token(serial=demo_key.serial))
        assert HEAD_APPLICATION not in repr(public)
    finally:
        manager.close()
    assert app.check_usage_log(key, demo.DEMO_PIN).heads_checked == 1


# --- truncation through the CLI -------------------------------------------------------------------
def test_deleted_newest_all_and_file_are_reported(demo_key, tmp_path: Path, home: Path, monkeypatch, capsys):
    for name in ("one", "two", "three"):
        stamp(demo_key, tmp_path, name, monkeypatch, capsys)
    log_path = home / "usage.sqlite3"
    holder = holder_of(log_path)
    code, out = verify_with_key(demo_key, monkeypatch, capsys)
    assert code == EXIT_OK and cli_text("Usage log intact: {n} records checked.", n=3) in out, out

    tamper(log_path, "DELETE FROM records WHERE seq = 3")  # the newest record
    code, out, _ = run(
        ["log", "verify", "--trust", str(demo_key.root_cert_path)], monkeypatch, capsys
    )  # without the key the chain looks fine …
    assert code == EXIT_OK and "`sealdesk log verify --key`" in out
    code, out = verify_with_key(demo_key, monkeypatch, capsys)  # … with it, it does not
    assert code == EXIT_VERIFY_FAILED and rewound(holder, "3") in out, out
    assert cli_text("Usage log NOT intact ({n} records checked):", n=2) in out

    tamper(log_path, "DELETE FROM records")  # every record
    code, out = verify_with_key(demo_key, monkeypatch, capsys)
    assert code == EXIT_VERIFY_FAILED and rewound(holder, "1..3") in out, out

    for suffix in ("", "-wal", "-shm"):  # the database file itself
        Path(f"{log_path}{suffix}").unlink(missing_ok=True)
    code, out = verify_with_key(demo_key, monkeypatch, capsys)
    assert code == EXIT_VERIFY_FAILED and rewound(holder, "1..3") in out, out

    code, out, _ = run(["log", "verify", "--json", "--token", demo_key.serial, "--pin-stdin"], monkeypatch, capsys,
                       demo.DEMO_PIN + "\n")  # fmt: skip
    import json

    report = json.loads(out)
    assert code == EXIT_VERIFY_FAILED and not report["chain_ok"] and report["heads_checked"] == 1
    assert report["problems"] == [rewound(holder, "1..3")]


def test_stamping_after_a_rewind_continues_past_the_deleted_seqs(
    demo_key, tmp_path: Path, home: Path, monkeypatch, capsys
):
    for name in ("one", "two", "three"):
        stamp(demo_key, tmp_path, name, monkeypatch, capsys)
    log_path = home / "usage.sqlite3"
    with UsageLog(log_path) as log:
        deleted = log.records()[-1]
    tamper(log_path, "DELETE FROM records WHERE seq >= 2")
    stamp(demo_key, tmp_path, "four", monkeypatch, capsys)
    with UsageLog(log_path) as log:
        seqs = [r.seq for r in log.records()]
        newest = log.records()[-1]
        result = log.verify()
    assert seqs == [1, 4] and newest.prev_hash == deleted.record_hash  # it links to the deleted record
    assert not result.ok and any("seq 2–3 missing before it" in p for p in result.problems)
    code, out = verify_with_key(demo_key, monkeypatch, capsys)  # the head is at 4 again: only the gap is said
    assert code == EXIT_VERIFY_FAILED
    problem = next(p for p in result.problems if "missing before it" in p)
    assert problem.text(translate) in out and rewound(newest.holder, "2..3") not in out


def test_a_key_without_head_still_verifies_with_a_warning(
    demo_key, tmp_path: Path, home: Path, monkeypatch, capsys
):
    stamp(demo_key, tmp_path, "old", monkeypatch, capsys)
    manager = TokenManager(extra_modules=[softhsm.module_path()], use_catalog=False)
    try:  # as an older SealDesk left it: records in the log, no head on the key
        with manager.open_session(manager.find_token(serial=demo_key.serial), demo.DEMO_PIN) as session:
            assert session.delete_data(HEAD_APPLICATION) == 1
    finally:
        manager.close()
    holder = holder_of(home / "usage.sqlite3")
    code, out = verify_with_key(demo_key, monkeypatch, capsys)
    warning = translate(
        "usage-log",
        "Holder {holder}: no chain head on the key (records written by an older SealDesk?); deleted newest "
        "records cannot be detected until the next stamping.",
    ).format(holder=holder)
    assert code == EXIT_OK and translate("cli", "Warning: {text}").format(text=warning) in out, out
    stamp(demo_key, tmp_path, "new", monkeypatch, capsys)  # the next stamping writes the head
    code, out = verify_with_key(demo_key, monkeypatch, capsys)
    assert code == EXIT_OK and warning not in out


# --- the key pulled out while the head is written -------------------------------------------------
class _PullsTheKeyAfterTheRecord(UsageLog):
    """The real log; right after the record is durable the token is deleted, as a hand pulls the key."""

    label = ""

    def append(self, *args, **kwargs):
        record = super().append(*args, **kwargs)
        softhsm.delete_token(self.label)
        return record


def test_key_removed_while_writing_the_head(tmp_path: Path, softhsm_module):
    label = f"Head{uuid.uuid4().hex[:8]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN, PERSONAL_ONLY)
    log = _PullsTheKeyAfterTheRecord(tmp_path / "usage.sqlite3")
    log.label = label
    app = Application(Settings(), usage_log=log)
    try:
        key = next(k for k in app.keys() if k.serial == info.serial)
        source = make_pdf(tmp_path / "a.pdf", pages=1)
        plan = app.plan(source, info.seals[0].es_id, SpotPlacement((90, 90)), key=key)
        outcome = app.stamp(plan, USER_PIN)
    finally:
        app.close()
        if label in softhsm.token_labels():
            softhsm.delete_token(label)
    assert outcome.status is StampStatus.FAILED and isinstance(outcome.error, UsageHeadNotWritten)
    assert isinstance(outcome.error.inner, TokenRemoved)
    message = outcome.error.user_message(translate)
    assert message == error_text(
        "{output} was stamped and its usage record (number {seq}) saved, but the usage-log chain head on the key "
        "could not be updated: {problem} It is brought up to date at the next stamping with this key.",
        output="a.signed.pdf", seq=1, problem=outcome.error.inner.user_message(translate),
    )  # fmt: skip
    # the stamping itself stands: a valid output and its intact record
    assert pdfsig(plan.output)[-1].valid and qpdf_check(plan.output)[0]
    (record,) = log.records()
    assert record.document_name == plan.output.name and log.verify().ok
    log.close()


def test_a_batch_writes_the_head_once_even_when_its_last_document_fails(
    demo_key, tmp_path: Path, monkeypatch
):
    from app.core.stamping import Stamper, StampRequest

    log = UsageLog(tmp_path / "usage.sqlite3")
    manager = TokenManager(extra_modules=[softhsm.module_path()], use_catalog=False)
    try:
        with manager.open_session(manager.find_token(serial=demo_key.serial), demo.DEMO_PIN) as session:
            stamper = Stamper(session, _personal_seal(demo_key), usage_log=log)
            writes = []
            real_put = session.put_private_data
            counting = lambda *a: writes.append(a[0]) or real_put(*a)  # noqa: E731 - counts, calls through
            monkeypatch.setattr(session, "put_private_data", counting)
            files = [make_pdf(tmp_path / f"d{i}.pdf", pages=1) for i in range(3)]
            damaged = tmp_path / "damaged.pdf"
            damaged.write_bytes(b"%PDF-1.7\nnot really")
            requests = [StampRequest(f, SpotPlacement((100.0, 100.0))) for f in [*files, damaged]]
            items = stamper.stamp_batch(requests)
            heads = read_heads(session)
    finally:
        manager.close()
    assert [item.failed for item in items] == [False, False, False, True]
    assert writes == [HEAD_APPLICATION]  # one token write for the batch, after its last stamped document
    head = heads.head_for(stamper.holder)
    newest = log.records()[-1]
    assert (head.seq, head.record_hash) == (3, newest.record_hash) and log.verify([heads]).ok
    log.close()


def test_the_usage_log_benchmark_runs(softhsm_module, tmp_path: Path):
    """benchmarks/bench_usage_log.py at a tiny size, so it cannot rot (real token, real log)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import bench_usage_log, common

    token = common.provision_token()
    try:
        timings = bench_usage_log.measure(token, tmp_path / "work", records=20, head_writes=3)
    finally:
        common.delete_token(token)
    assert len(timings.append) == 20 and all(s > 0 for s in timings.append) and len(timings.head_write) == 3
    assert timings.synchronous == 2 and timings.journal_mode.lower() == "wal"  # FULL: durable commits
    assert "## The usage log" in bench_usage_log.report(timings)
