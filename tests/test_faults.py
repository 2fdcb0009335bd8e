"""Fault tests: key pulled out mid-batch, damaged inputs, wrong PIN, a killed process — nothing partial."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pymupdf as fitz
import pytest
from documents import make_pdf
from testdata import SO_PIN, USER_PIN
from verifiers import pdfsig

from app.core import demo, softhsm
from app.core.atomic_output import AtomicOutput
from app.core.errors import DocumentError, OutputExists, SealDeskError, TokenRemoved
from app.core.keys import TokenManager
from app.core.ses import kinds
from app.core.stamping import SpotPlacement, Stamper, StampRequest
from app.core.usage.log import UsageLog
from app.i18n import translate

PERSONAL_ONLY = (demo.DEMO_SEALS[2],)


def _visible_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("usage"))


def test_atomic_output_leaves_nothing_without_commit(tmp_path: Path):
    target = tmp_path / "out.pdf"
    with pytest.raises(RuntimeError), AtomicOutput(target) as out:
        out.file.write(b"half a file")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with AtomicOutput(target) as out:
        out.file.write(b"whole")
        out.commit()
    assert target.read_bytes() == b"whole"
    with pytest.raises(OutputExists), AtomicOutput(target) as out:
        out.file.write(b"other")
        out.commit()
    assert target.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [target]


def test_key_pulled_out_mid_batch(tmp_path: Path, softhsm_module):
    label = f"Fault{uuid.uuid4().hex[:8]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN, PERSONAL_ONLY)
    files = [make_pdf(tmp_path / f"f{i}.pdf", pages=1) for i in range(3)]
    log = UsageLog(tmp_path / "usage.sqlite3")
    manager = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    try:
        token = manager.find_token(label=label)
        with manager.open_session(token, USER_PIN) as session:
            stamper = Stamper(session, info.seals[0].es_id, usage_log=log)

            def pull_key_after_first(number, total, request, result, error):
                if number == 1:
                    softhsm.delete_token(label)

            items = stamper.stamp_batch(
                [StampRequest(f, SpotPlacement((100.0, 100.0))) for f in files], progress=pull_key_after_first
            )
    finally:
        manager.close()
    assert items[0].error is None and items[0].result.output_path.exists()
    assert all(isinstance(item.error, TokenRemoved) for item in items[1:])
    assert _visible_files(tmp_path) == ["f0.pdf", "f0.signed.pdf", "f1.pdf", "f2.pdf"]
    assert len(log.records()) == 1 and log.verify().ok
    log.close()


def _fuzz_corpus(valid: bytes, count: int = 12) -> list[tuple[str, bytes]]:
    rng = random.Random(20261125)
    corpus = [
        ("empty", b""),
        ("html", b"<html><body>not a pdf</body></html>"),
        ("header-only", b"%PDF-1.7\n"),
        ("truncated-half", valid[: len(valid) // 2]),
        ("truncated-tail", valid[:-60]),
        ("random", bytes(rng.getrandbits(8) for _ in range(2000))),
    ]
    for number in range(count):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
        corpus.append((f"flipped-{number}", bytes(data)))
    return corpus


def test_damaged_pdfs_give_clear_errors_and_no_partial_files(tmp_path: Path, demo_key, softhsm_module):
    valid = make_pdf(tmp_path / "valid.pdf", pages=2).read_bytes()
    work = tmp_path / "fuzz"
    work.mkdir()
    requests = []
    for name, data in _fuzz_corpus(valid):
        path = work / f"{name}.pdf"
        path.write_bytes(data)
        requests.append(StampRequest(path, SpotPlacement((100.0, 100.0))))
    log = UsageLog(tmp_path / "usage.sqlite3")
    manager = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    try:
        token = manager.find_token(label=demo.DEMO_LABEL)
        with manager.open_session(token, demo.DEMO_PIN) as session:
            seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)
            items = Stamper(session, seal, usage_log=log).stamp_batch(requests)
    finally:
        manager.close()
    signed = 0
    for item in items:
        if item.error is None:
            # a damaged file PyMuPDF/pyHanko could repair: then the output must be really valid
            signatures = pdfsig(item.result.output_path)
            assert signatures and signatures[-1].valid, item.request.input_path
            signed += 1
        else:
            assert isinstance(item.error, SealDeskError)
            assert type(item.error) is not SealDeskError, (item.request.input_path, item.error.detail)
            assert isinstance(item.error, DocumentError), (item.request.input_path, item.error)
            assert not item.request.input_path.with_name(item.request.input_path.stem + ".signed.pdf").exists()
    assert sum(1 for item in items if item.error) >= 6  # at least the structurally broken ones
    assert len(log.records()) == signed and log.verify().ok
    assert not [p for p in work.iterdir() if p.name.startswith(".")]
    log.close()


def _cli(args: list[str], stdin: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start the CLI in its own process (same SEALDESK_HOME unless `env` says otherwise), feed stdin, close it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env if env is not None else dict(os.environ),
    )
    assert proc.stdin is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    return proc


def _finish(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    assert proc.stdout is not None and proc.stderr is not None
    proc.wait(timeout=timeout)
    return proc.stdout.read(), proc.stderr.read()


def test_wrong_pin_on_stamp_writes_nothing(tmp_path: Path, demo_key):
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)
    proc = _cli(
        ["stamp", str(source), "--seal", seal, "--at", "100,100", "--token", demo_key.serial, "--pin-stdin"],
        "000000\n",
    )
    out, err = _finish(proc, timeout=60)
    assert proc.returncode == 3, err
    assert "000000" not in out + err
    assert _visible_files(tmp_path) == ["doc.pdf"]


def _copy_of_the_softhsm_store(folder: Path) -> dict[str, str]:
    """The environment of a CLI that works on a copy of the session's SoftHSM store (same demo key, serial
    and seals). SoftHSM empties and rewrites a token's file on login and on every object write (the usage
    chain head): a process SIGKILLed in that window leaves the token unreadable — the copy takes that,
    not the demo key the rest of the session uses."""
    import shutil

    tokens = folder / "softhsm" / "tokens"
    shutil.copytree(softhsm.store_dir() / "tokens", tokens)
    conf = folder / "softhsm" / "softhsm2.conf"
    template = (Path(__file__).resolve().parents[1] / "drivers" / "softhsm2.conf.template").read_text(encoding="utf-8")
    conf.write_text(template.format(tokendir=tokens), encoding="utf-8")
    return dict(os.environ, SOFTHSM2_CONF=str(conf), SEALDESK_HOME=str(folder / "home"))


def test_killed_stamping_leaves_no_partial_file(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, demo_key):
    env = _copy_of_the_softhsm_store(tmp_path_factory.mktemp("killed-store"))
    source = tmp_path / "big.pdf"
    with fitz.open() as doc:
        for number in range(60):
            page = doc.new_page()
            page.insert_text((72, 72), f"page {number} " + "text " * 200, fontsize=8)
        doc.save(source)
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)
    whole = _cli(["stamp", str(source), "--seal", seal, "--page", "1", "--at", "100,100", "--token", demo_key.serial,
                  "--pin-stdin", "--out", str(tmp_path / ".probe.pdf")], demo.DEMO_PIN + "\n", env)  # fmt: skip
    _, err = _finish(whole, timeout=120)
    assert whole.returncode == 0, err  # the copy holds the demo key: the killed runs below really stamp
    (tmp_path / ".probe.pdf").unlink()
    for delay in (0.2, 0.5, 0.9, 1.4):
        proc = _cli(
            ["stamp", str(source), "--seal", seal, "--pages", "all", "--at", "100,100", "--token", demo_key.serial,
             "--pin-stdin", "--json"],
            demo.DEMO_PIN + "\n",
            env,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        _finish(proc, timeout=60)
        leftovers = [name for name in _visible_files(tmp_path) if name != "big.pdf"]
        for name in leftovers:  # finished before the kill: then it is whole and valid
            assert name.endswith(".signed.pdf") and not name.startswith(".")
            assert pdfsig(tmp_path / name)[-1].valid
            (tmp_path / name).unlink()


def test_stamp_cli_json_and_log(tmp_path: Path, demo_key):
    # The CLI uses the session's data folder, whose usage log holds other tests' records (made with keys
    # and chain heads of their own): this test checks the chain of its own stamping, so it starts the log anew.
    from app.core.usage.log import default_path

    log_file = default_path()
    for leftover in (log_file, log_file.with_name(log_file.name + "-wal"), log_file.with_name(log_file.name + "-shm")):
        leftover.unlink(missing_ok=True)
    source = make_pdf(tmp_path / "doc.pdf", pages=2)
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.CONTRACT)
    proc = _cli(
        ["stamp", str(source), "--seal", seal, "--page", "2", "--at", "120,200", "--approval", "SP-1",
         "--token", demo_key.serial, "--pin-stdin", "--json"],
        demo.DEMO_PIN + "\n",
    )
    out, err = _finish(proc, timeout=120)
    assert proc.returncode == 0, err
    result = json.loads(out)[0]
    assert result["output"].endswith("doc.signed.pdf") and result["error"] is None
    assert pdfsig(Path(result["output"]))[-1].valid
    proc = _cli(["verify", result["output"], "--trust", str(demo_key.root_cert_path), "--json"], "")
    out, err = _finish(proc, timeout=120)
    assert proc.returncode == 0, out + err
    report = json.loads(out)
    assert report["all_valid"] and report["signatures"][0]["seal_id"] == seal
    proc = _cli(["verify", result["output"], "--json"], "")
    out, _ = _finish(proc, timeout=120)
    assert proc.returncode == 8  # not trusted without the demo root
    proc = _cli(["log", "verify", "--json"], "")
    out, err = _finish(proc, timeout=60)
    assert proc.returncode == 8, out + err  # the chain is intact, but the demo root is not trusted
    report = json.loads(out)
    assert report["chain_ok"] and not report["ok"], report
    demo_holders = {h["holder"] for h in report["unverified_holders"] if h["holder"].startswith(demo_key.serial)}
    assert demo_holders and all(h["result"] == "unverified_holder" for h in report["unverified_holders"])
    proc = _cli(["log", "verify", "--json", "--trust", str(demo_key.root_cert_path)], "")
    out, err = _finish(proc, timeout=60)
    report = json.loads(out)
    assert report["chain_ok"], out + err
    # other test tokens of this session (own roots) may still be unverified; the demo key's holders are not
    assert not [h for h in report["unverified_holders"] if h["holder"].startswith(demo_key.serial)]


def test_cli_batch_over_a_folder_reports_and_fails(tmp_path: Path, demo_key):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        make_pdf(folder / f"{name}.pdf", pages=1)
    (folder / "b.pdf").write_bytes(b"garbage")
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)
    proc = _cli(["stamp", str(folder), "--seal", seal, "--at", "100,100", "--token", demo_key.serial, "--pin-stdin"],
                demo.DEMO_PIN + "\n")
    out, err = _finish(proc, timeout=120)
    assert proc.returncode == 5  # the one failure was a document problem
    assert "[1/3]" in out and "[3/3]" in out and "[2/3]" in err
    assert "2" in out.splitlines()[-1] and "1" in out.splitlines()[-1]  # the summary line
    assert sorted(p.name for p in folder.iterdir()) == ["a.pdf", "a.signed.pdf", "b.pdf", "c.pdf", "c.signed.pdf"]


def test_tokens_watch_reports_keys_coming_and_going(tmp_path: Path, softhsm_module):
    label = f"Watch{uuid.uuid4().hex[:8]}"
    proc = _cli(["tokens", "--watch", "--interval", "0.3", "--seconds", "6"], "")
    time.sleep(1.5)
    softhsm.init_token(label, USER_PIN, SO_PIN)
    time.sleep(1.5)
    softhsm.delete_token(label)
    out, err = _finish(proc, timeout=30)
    assert proc.returncode == 0, err
    lines = [line for line in out.splitlines() if label in line]
    assert len(lines) == 2, out
    assert "inserted" in lines[0].lower() or "插入" in lines[0]
    assert "removed" in lines[1].lower() or "拔出" in lines[1]


def test_pin_bytes_that_are_not_text_are_refused_without_showing_them(demo_key):
    for argv, stdin in (
        (["seals", "--token", demo_key.serial, "--pin-stdin"], b"98765\xff\n"),
        (["pin", "change", "--token", demo_key.serial, "--pin-stdin"], b"123456\n98\xfe45\n98\xfe45\n"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "app.cli", *argv], input=stdin, capture_output=True, env=dict(os.environ), check=False
        )
        assert proc.returncode == 2, proc.stderr
        assert b"Traceback" not in proc.stderr
        assert b"98765" not in proc.stdout + proc.stderr and b"98" not in proc.stderr


def test_first_run_flow_on_a_terminal_lists_the_seals(demo_key):
    """`make run` ends in `sealdesk start`; on a terminal it asks the PIN and lists the seals.

    Runs in the suite's language (zh_CN or en): the prompt and the verification line are looked up with
    `translate`. Reads only when `select` says there is output, so a prompt that never comes fails the test
    at the deadline instead of hanging the suite.
    """
    import fcntl
    import pty
    import select
    import termios

    master, slave = pty.openpty()

    def controlling_terminal() -> None:  # in the child: the pty becomes its terminal, as in a shell
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    prompt = translate("cli", "PIN for {label}: ").format(label=demo_key.label).encode()
    verified = translate("cli", "{label}: {value}").format(
        label=translate("cli", "Verification"), value=translate("app", "valid")
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "start"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dict(os.environ),
        preexec_fn=controlling_terminal,  # noqa: PLW1509 - no threads are started before exec
        close_fds=True,
    )
    os.close(slave)
    output = b""
    sent = False
    finished = False
    deadline = time.monotonic() + 90
    try:
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([master], [], [], min(left, 1.0))
            if not ready:
                if proc.poll() is not None and not select.select([master], [], [], 0)[0]:
                    finished = True
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                finished = True
                break
            if not chunk:
                finished = True
                break
            output += chunk
            if not sent and prompt in output:
                os.write(master, (demo.DEMO_PIN + "\n").encode())
                sent = True
        text = output.decode("utf-8", "replace")
        assert finished, f"`sealdesk start` did not finish within the deadline (PIN sent: {sent}):\n{text}"
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        os.close(master)
    assert sent, f"no PIN prompt {prompt.decode()!r} seen:\n{text}"
    assert proc.returncode == 0, text
    assert "Traceback" not in text
    assert demo.DEMO_PIN not in text.split(prompt.decode(), 1)[1]  # not echoed
    assert text.count(verified) == 3, text
