"""Benchmark 1: stamp + sign one document with SealDesk vs pyHanko signing the same file on the same token.

Two comparisons, both with the personal seal's EC P-256 key on SoftHSM, a visible signature on page 1 and
a PAdES (ETSI.CAdES.detached) SHA-256 signature made with the raw ECDSA mechanism:

- CLI: `sealdesk stamp … --pin-stdin` vs `pyhanko sign addsig --use-pades pkcs11 --raw-mechanism …` (PIN
  from the PYHANKO_PKCS11_PIN environment variable), each a fresh subprocess: start-up costs included.
- in-process: `Stamper.stamp` (session open, Stamper built) vs pyHanko's `PdfSigner` over a
  `PKCS11Signer` (session open, signer built), file to file: the pure per-document cost.

The two sides run interleaved (A B, B A, …) so that a change in machine load hits both alike.

SealDesk does more per document than pyHanko: it checks the document and the seal's policy, finds the
placement with PyMuPDF, draws the seal picture, fsyncs the output, hashes it (SHA-256 and SM3) and signs a
usage-log record with the key — a second token signature — before linking the output into place. The
ratios include all of that.

Run alone: `.venv/bin/python benchmarks/bench_stamp.py` (run_all.py runs it as part of the report).
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    A4,
    VENV_BIN,
    BenchToken,
    OpenSession,
    Timing,
    child_env,
    run_checked,
)

MM = 72 / 25.4
CENTER_MM = (150.0, 250.0)
"""Where the seal goes on page 1 (mm from the top-left); pyHanko's field box is the same square."""


def _field_box(size_mm: float) -> tuple[int, int, int, int]:
    """pyHanko's field rectangle (PDF points, bottom-left origin, integers as its CLI wants) for the seal."""
    half = size_mm / 2
    x0 = round((CENTER_MM[0] - half) * MM)
    x1 = round((CENTER_MM[0] + half) * MM)
    y0 = round(A4[1] - (CENTER_MM[1] + half) * MM)
    y1 = round(A4[1] - (CENTER_MM[1] - half) * MM)
    return x0, y0, x1, y1


def _seal_size_mm() -> float:
    from app.core import demo
    from benchmarks.common import PERSONAL_SEAL_INDEX

    return demo.DEMO_SEALS[PERSONAL_SEAL_INDEX].size_mm


def _sm3_hex(data: bytes) -> str:
    from cryptography.hazmat.primitives import hashes

    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


# --- runners: run(i) makes output i, clean(i) deletes it (untimed) -----------------------------------
class _Runner:
    name = ""

    def __init__(self, token: BenchToken, pdf: Path, work: Path) -> None:
        self.token = token
        self.pdf = pdf
        self.work = work
        work.mkdir(parents=True, exist_ok=True)

    def output(self, i: int) -> Path:
        return self.work / f"{self.name}-{i}.pdf"

    def run(self, i: int) -> None:
        raise NotImplementedError

    def clean(self, i: int) -> None:
        self.output(i).unlink(missing_ok=True)

    def close(self) -> None:
        pass


class SealDeskInProcess(_Runner):
    """Stamper.stamp through one open key session and one Stamper."""

    name = "sealdesk_inprocess"

    def __init__(self, token: BenchToken, pdf: Path, work: Path) -> None:
        from app.core.stamping import SpotPlacement, Stamper
        from app.core.usage.log import UsageLog

        super().__init__(token, pdf, work)
        self.log = UsageLog(work / "inprocess-usage.sqlite3")
        self.opened = OpenSession(token)
        self.stamper = Stamper(self.opened.session, token.seal_id, usage_log=self.log)
        self.placement = SpotPlacement(CENTER_MM, pages="1")

    def run(self, i: int) -> None:
        from app.core.stamping import StampRequest

        out = self.output(i)
        out.unlink(missing_ok=True)
        result = self.stamper.stamp(StampRequest(self.pdf, self.placement, output_path=out))
        if i < 0:  # warm-up run (untimed): the usage record must name the exact bytes written
            record = next(r for r in self.log.records() if r.record_id == result.record_id)
            data = out.read_bytes()
            if (record.document_sha256, record.document_sm3) != (hashlib.sha256(data).hexdigest(), _sm3_hex(data)):
                raise RuntimeError("usage record digests differ from the output file")

    def close(self) -> None:
        try:
            self.opened.__exit__(None, None, None)
        finally:
            self.log.close()


class PyHankoInProcess(_Runner):
    """pyHanko's PdfSigner + PKCS11Signer, file to file, visible field, PAdES, raw ECDSA."""

    name = "pyhanko_inprocess"

    def __init__(self, token: BenchToken, pdf: Path, work: Path, *, logged_in: bool = False) -> None:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11 as p11

        super().__init__(token, pdf, work)
        self.box = _field_box(_seal_size_mm())
        # PKCS#11 login is per process and token: when SealDesk's session is already logged in, a second
        # C_Login would fail, and a new session is in the user state anyway
        self.session = p11.open_pkcs11_session(
            token.module, token_criteria=TokenCriteria(label=token.label), user_pin=None if logged_in else token.pin
        )
        self.signer = p11.PKCS11Signer(
            self.session, cert_label=token.key_label, key_label=token.key_label, use_raw_mechanism=True
        )

    def run(self, i: int) -> None:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        name = f"Sig{i + 100}"
        with self.pdf.open("rb") as inf, self.output(i).open("wb") as outf:
            writer = IncrementalPdfFileWriter(inf, strict=False)
            meta = signers.PdfSignatureMetadata(
                field_name=name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
            )
            spec = fields.SigFieldSpec(name, on_page=0, box=self.box)
            signers.PdfSigner(meta, signer=self.signer, new_field_spec=spec).sign_pdf(writer, output=outf)

    def close(self) -> None:
        self.session.close()


class SealDeskCli(_Runner):
    """`sealdesk stamp` as a subprocess (PIN on stdin); SEALDESK_HOME and SOFTHSM2_CONF inherited."""

    name = "sealdesk_cli"

    def run(self, i: int) -> None:
        out = self.output(i)
        out.unlink(missing_ok=True)
        at = f"{CENTER_MM[0]:g},{CENTER_MM[1]:g}"
        args = [str(VENV_BIN / "sealdesk"), "stamp", str(self.pdf), "--seal", self.token.seal_id, "--at", at]
        args += ["--page", "1", "--out", str(out), "--token", self.token.serial, "--pin-stdin"]
        run_checked(args, env=child_env(), stdin=self.token.pin + "\n", cwd=self.work)


class PyHankoCli(_Runner):
    """`pyhanko sign addsig --use-pades pkcs11 --raw-mechanism …` as a subprocess, PIN in PYHANKO_PKCS11_PIN."""

    name = "pyhanko_cli"

    def run(self, i: int) -> None:
        out = self.output(i)
        out.unlink(missing_ok=True)
        box = ",".join(str(v) for v in _field_box(_seal_size_mm()))
        args = [str(VENV_BIN / "pyhanko"), "sign", "addsig", "--field", f"1/{box}/Sig{i + 100}", "--use-pades"]
        args += ["pkcs11", "--lib", self.token.module, "--token-label", self.token.label]
        args += ["--cert-label", self.token.key_label, "--key-label", self.token.key_label, "--raw-mechanism"]
        args += [str(self.pdf), str(out)]
        # cwd: the work folder, so no pyhanko.yml from elsewhere is picked up
        run_checked(args, env=child_env(PYHANKO_PKCS11_PIN=self.token.pin), cwd=self.work)


def interleaved(runners: list[_Runner], *, repeat: int, warmup: int = 1) -> dict[str, Timing]:
    """Warm each runner up, then time them in turns (A B, B A, …); outputs are deleted untimed."""
    for w in range(warmup):
        for runner in runners:
            runner.run(-1 - w)
            runner.clean(-1 - w)
    samples: dict[str, list[float]] = {r.name: [] for r in runners}
    for i in range(repeat):
        for runner in runners if i % 2 == 0 else list(reversed(runners)):
            start = time.perf_counter()
            runner.run(i)
            samples[runner.name].append(time.perf_counter() - start)
            runner.clean(i)
    return {name: Timing(tuple(values)) for name, values in samples.items()}


def have_pyhanko_cli() -> bool:
    return (VENV_BIN / "pyhanko").exists()


def bench_inprocess(token: BenchToken, pdf: Path, work: Path, *, repeat: int, warmup: int = 1) -> dict[str, Timing]:
    """SealDesk's Stamper.stamp vs pyHanko's PdfSigner, same process, same token, interleaved."""
    sealdesk = SealDeskInProcess(token, pdf, work)
    try:
        pyhanko = PyHankoInProcess(token, pdf, work, logged_in=True)
        try:
            return interleaved([sealdesk, pyhanko], repeat=repeat, warmup=warmup)
        finally:
            pyhanko.close()
    finally:
        sealdesk.close()


def bench_cli(token: BenchToken, pdf: Path, work: Path, *, repeat: int, warmup: int = 1) -> dict[str, Timing]:
    """`sealdesk stamp` vs `pyhanko sign addsig pkcs11`, fresh subprocesses, interleaved."""
    return interleaved([SealDeskCli(token, pdf, work), PyHankoCli(token, pdf, work)], repeat=repeat, warmup=warmup)


def bench_document(
    token: BenchToken, pdf: Path, work: Path, *, repeat: int, cli: bool = True, warmup: int = 1
) -> dict[str, Timing]:
    """Keys sealdesk_inprocess, pyhanko_inprocess and (with pyhanko-cli installed) sealdesk_cli, pyhanko_cli."""
    results = bench_inprocess(token, pdf, work, repeat=repeat, warmup=warmup)
    if cli and have_pyhanko_cli():
        results.update(bench_cli(token, pdf, work, repeat=repeat, warmup=warmup))
    return results


def import_costs(modules: tuple[str, ...], *, repeat: int = 3) -> dict[str, float]:
    """Fastest wall time of `python -c "import M"` minus bare start-up, per module (CLI start-up shares)."""
    import subprocess

    def best(code: str) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=child_env())
            times.append(time.perf_counter() - start)
        return min(times)

    bare = best("pass")
    return {module: max(0.0, best(f"import {module}") - bare) for module in modules}


# --- where the time goes ---------------------------------------------------------------------------
def digest_ablation(token: BenchToken, pdf: Path, work: Path, *, repeat: int = 5) -> dict[str, Timing]:
    """Stamper.stamp with and without the background hashing of the input (app.core.stamping._InputDigests).

    "without" swaps in a stand-in whose result is None, so the Stamper hashes the whole output after
    signing (its fallback, the behaviour before the change). Interleaved like the other comparisons.
    """
    import app.core.stamping as stamping

    class _NoBackgroundHash:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def result(self):
            return None

    original = stamping._InputDigests
    sealdesk = SealDeskInProcess(token, pdf, work)
    samples: dict[str, list[float]] = {"with background hashing": [], "without (hash after signing)": []}
    try:
        for i in range(-1, repeat):
            names = list(samples) if i % 2 == 0 else list(reversed(samples))
            for name in names:
                stamping._InputDigests = original if name.startswith("with ") else _NoBackgroundHash
                start = time.perf_counter()
                sealdesk.run(i)
                if i >= 0:
                    samples[name].append(time.perf_counter() - start)
                sealdesk.clean(i)
    finally:
        stamping._InputDigests = original
        sealdesk.close()
    return {name: Timing(tuple(values)) for name, values in samples.items()}


_STEPS = (
    # (module, attribute, label): wrapped for the breakdown; nested steps are reported inside their parent
    ("app.core.pdf.inspect", "open_pdf", "Stamper: open_pdf (parse once from the file: pyHanko reader, page tree)"),
    ("app.core.stamping", "resolve_spots", "Stamper: resolve_spots (page geometry from the reader)"),
    ("app.core.stamping", "check_before_stamping", "Stamper: policy check (seal + certificate)"),
    ("app.core.pdf.sign", "sign_pdf", "sign_pdf (total)"),
    ("app.core.pdf.sign", "_load_png", "  sign_pdf: decode seal PNG"),
    ("app.core.pdf.sign", "token_pdf_signer", "  sign_pdf: build TokenPdfSigner"),
    ("app.core.pdf.sign", "_sign_bytes", "  sign_pdf: pyHanko signing (_sign_bytes)"),
    ("app.core.pdf.sign", "_check_signature", "    _sign_bytes: verify token signature"),
    ("app.core.stamping", "_digests", "Stamper: SHA-256 + SM3 of the whole output (re-read)"),
    ("app.core.stamping", "_output_digests", "Stamper: output digests (wait for input hash, compare, hash tail)"),
    ("app.core.atomic_output.AtomicOutput", "commit", "Stamper: AtomicOutput.commit (fsync, link, fsync folder)"),
)


def stamp_breakdown(token: BenchToken, pdf: Path, work: Path, *, repeat: int = 3) -> list[tuple[str, float]]:
    """Median seconds per step of Stamper.stamp, measured by wrapping the steps' functions (no profiler).

    Also times os.fsync (output file), the usage-log append (which includes a second token signature)
    and every token signature. Returns (label, median seconds) rows, the first one being the whole stamp.
    """
    import importlib
    import os as os_module
    import statistics
    import time

    from app.core.stamping import SpotPlacement, Stamper, StampRequest
    from app.core.usage.log import UsageLog

    work.mkdir(parents=True, exist_ok=True)
    spent: dict[str, float] = {}

    def timed(label: str, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

        return wrapper

    patches = []
    for module_name, attribute, label in _STEPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:  # a class inside a module
            parent, _, cls = module_name.rpartition(".")
            module = getattr(importlib.import_module(parent), cls)
        original = module.__dict__[attribute] if isinstance(module, type) else getattr(module, attribute)
        patches.append((module, attribute, original))
        setattr(module, attribute, timed(label, original))
    patches.append((os_module, "fsync", os_module.fsync))
    os_module.fsync = timed("  os.fsync (output file, folder, anywhere)", os_module.fsync)
    rows: dict[str, list[float]] = {}
    log = UsageLog(work / "breakdown-usage.sqlite3")
    try:
        with OpenSession(token) as session:
            stamper = Stamper(session, token.seal_id, usage_log=log)
            signer = stamper._signer
            signer_sign = signer.sign_digest
            log_append = log.append
            log.append = timed("Stamper: usage-log append (signed record, SQLite FULL sync)", log_append)
            signer.sign_digest = timed("token signatures (SoftHSM ECDSA, all)", signer_sign)
            try:
                for i in range(-1, repeat):
                    spent.clear()
                    out = work / f"breakdown-{i}.pdf"
                    start = time.perf_counter()
                    stamper.stamp(StampRequest(pdf, SpotPlacement(CENTER_MM, pages="1"), output_path=out))
                    total = time.perf_counter() - start
                    out.unlink()
                    if i < 0:
                        continue  # warm-up
                    rows.setdefault("Stamper.stamp (total)", []).append(total)
                    for label, value in spent.items():
                        rows.setdefault(label, []).append(value)
            finally:
                del log.append
                del signer.sign_digest
    finally:
        log.close()
        for module, attribute, original in reversed(patches):
            setattr(module, attribute, original)
    return [(label, statistics.median(values)) for label, values in rows.items()]


def pyhanko_breakdown(token: BenchToken, pdf: Path, work: Path, *, repeat: int = 3) -> list[tuple[str, float]]:
    """pyHanko's own signing split into: reading the input, signing to memory, writing the output."""
    import io
    import statistics
    import time

    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign import pkcs11 as p11

    box = _field_box(_seal_size_mm())
    session = p11.open_pkcs11_session(token.module, token_criteria=TokenCriteria(label=token.label), user_pin=token.pin)
    rows: dict[str, list[float]] = {}
    try:
        signer = p11.PKCS11Signer(session, cert_label=token.key_label, key_label=token.key_label, use_raw_mechanism=True)
        for i in range(-1, repeat):
            t0 = time.perf_counter()
            data = pdf.read_bytes()
            t1 = time.perf_counter()
            writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
            name = f"Sig{i + 100}"
            meta = signers.PdfSignatureMetadata(field_name=name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES)
            out = io.BytesIO()
            signers.PdfSigner(meta, signer=signer, new_field_spec=fields.SigFieldSpec(name, on_page=0, box=box)).sign_pdf(
                writer, output=out
            )
            t2 = time.perf_counter()
            (work / "ph-breakdown.pdf").write_bytes(out.getvalue())
            t3 = time.perf_counter()
            if i >= 0:
                for label, value in (("pyHanko: read input", t1 - t0), ("pyHanko: sign in memory", t2 - t1), ("pyHanko: write output", t3 - t2)):
                    rows.setdefault(label, []).append(value)
    finally:
        session.close()
        (work / "ph-breakdown.pdf").unlink(missing_ok=True)
    return [(label, statistics.median(values)) for label, values in rows.items()]


_CLI_PHASES = (
    ("app.core.keys.manager.TokenManager", "__init__", "TokenManager(): find and load PKCS#11 modules"),
    ("app.core.keys.manager.TokenManager", "open_session", "open key session + C_Login"),
    ("app.core.usage.log.UsageLog", "__init__", "UsageLog(): open SQLite log"),
    ("app.core.stamping.Stamper", "__init__", "Stamper(): read seals, decode seal picture"),
    ("app.core.stamping.Stamper", "stamp", "Stamper.stamp (first call: imports pyHanko, PyMuPDF…)"),
    ("app.core.pdf.inspect", "inspect_pdf", "  inspect_pdf (incl. importing pyHanko's reader and validator)"),
    ("app.core.stamping", "resolve_spots", "  resolve_spots (incl. importing PyMuPDF)"),
    ("app.core.pdf.sign", "sign_pdf", "  sign_pdf (incl. importing pyHanko's signers, requests)"),
)


def _patch_timers(phases, spent: dict[str, float]) -> None:
    """Wrap each (module or module.Class, attribute) in a timer adding to spent[label]."""
    import importlib

    for owner_name, attribute, label in phases:
        try:
            owner = importlib.import_module(owner_name)
        except ModuleNotFoundError:
            parent, _, cls = owner_name.rpartition(".")
            owner = getattr(importlib.import_module(parent), cls)
        original = owner.__dict__[attribute] if isinstance(owner, type) else getattr(owner, attribute)

        def wrapper(*args, __original=original, __label=label, **kwargs):
            start = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                spent[__label] = spent.get(__label, 0.0) + time.perf_counter() - start

        setattr(owner, attribute, wrapper)


def _cli_child() -> None:
    """Run `sealdesk <argv[2:]>` in this process with phase timers; JSON of the phases to the file argv[1]."""
    import io
    import json

    started = time.perf_counter()
    out_file, argv = sys.argv[1], sys.argv[2:]
    spent: dict[str, float] = {}
    import app.cli
    import app.core.keys
    import app.core.stamping
    import app.core.usage.log  # noqa: F401

    spent["import app.cli + SealDesk core modules"] = time.perf_counter() - started
    _patch_timers(_CLI_PHASES, spent)
    sys.stdin = io.StringIO(sys.stdin.read())
    code = app.cli.main(argv)
    spent["in-process total"] = time.perf_counter() - started
    Path(out_file).write_text(json.dumps({"code": code, "phases": spent}))


def cli_breakdown(
    token: BenchToken, pdf: Path, work: Path, *, repeat: int = 3, warmup: int = 1
) -> list[tuple[str, float]]:
    """Median seconds of the phases of one `sealdesk stamp` run in a fresh process (wall clock, timers).

    "process total" is the subprocess's wall time seen from outside; the rest of it is interpreter
    start-up and exit. Also gives `pyhanko --version` (pyHanko CLI start-up: imports) for comparison.
    """
    import json
    import statistics
    import subprocess

    rows: dict[str, list[float]] = {}
    code = "import sys; sys.path.insert(0, sys.argv.pop(1)); from benchmarks.bench_stamp import _cli_child; _cli_child()"
    at = f"{CENTER_MM[0]:g},{CENTER_MM[1]:g}"
    for i in range(-warmup, repeat):
        out = work / f"cli-breakdown-{i}.pdf"
        report = work / "cli-breakdown.json"
        args = [sys.executable, "-c", code, str(Path(__file__).resolve().parent.parent), str(report)]
        args += ["stamp", str(pdf), "--seal", token.seal_id, "--at", at, "--page", "1", "--out", str(out)]
        args += ["--token", token.serial, "--pin-stdin"]
        start = time.perf_counter()
        proc = subprocess.run(args, input=token.pin + "\n", capture_output=True, text=True, env=child_env(), check=False)
        total = time.perf_counter() - start
        out.unlink(missing_ok=True)
        data = json.loads(report.read_text()) if report.exists() else {"code": None}
        if proc.returncode != 0 or data["code"] != 0:
            raise RuntimeError(f"sealdesk stamp failed: {proc.stderr.strip()[-1000:]}")
        if i < 0:
            continue
        rows.setdefault("process total (sealdesk stamp)", []).append(total)
        for label, value in data["phases"].items():
            rows.setdefault(label, []).append(value)
    if have_pyhanko_cli():
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([str(VENV_BIN / "pyhanko"), "--version"], capture_output=True, env=child_env(), check=True)
            rows.setdefault("pyhanko --version (pyHanko CLI start-up, for comparison)", []).append(
                time.perf_counter() - start
            )
    return [(label, statistics.median(values)) for label, values in rows.items()]


# --- peak memory ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeakMemory:
    """Peak resident memory (MiB, the child's own ru_maxrss) of one stamping, CLI against CLI."""

    input_mib: float
    sealdesk_mib: float
    baseline_mib: float
    """`sealdesk stamp` of a small document: the interpreter, its imports and the key session."""
    pyhanko_mib: float | None
    """`pyhanko sign addsig pkcs11` on the same big file; None without pyhanko-cli."""

    @property
    def target_mib(self) -> float:
        """The issue's target: 1.5 × the input plus the interpreter baseline."""
        return 1.5 * self.input_mib + self.baseline_mib


def _child_peak_mib(args: list[str], *, env: dict[str, str], stdin: str | None, cwd: Path) -> float:
    """Run `args` and return its peak RSS in MiB.

    Measured by a small launcher (GNU time's %M, or a bare Python that waits for the command with
    os.wait4), never by this process: a child's ru_maxrss starts with the RSS of the process that
    forked it, and this benchmark process holds hundreds of MiB by now.
    """
    import shutil
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".rss", dir=cwd) as report:
        if shutil.which("time", path="/usr/bin"):
            launcher = ["/usr/bin/time", "-f", "%M", "-o", report.name]
        else:
            code = (
                "import os, subprocess, sys; p = subprocess.Popen(sys.argv[2:]); _, s, u = os.wait4(p.pid, 0); "
                "open(sys.argv[1], 'w').write(str(u.ru_maxrss)); sys.exit(os.waitstatus_to_exitcode(s))"
            )
            launcher = [sys.executable, "-c", code, report.name]
        proc = subprocess.run(
            [*launcher, *args], input=stdin, capture_output=True, text=True, env=env, cwd=cwd, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
        return int(report.read().split()[-1]) / 1024  # KiB


def peak_memory(token: BenchToken, big: Path, small: Path, work: Path) -> PeakMemory:
    """Peak memory of `sealdesk stamp` on `big` (and on `small`, the baseline) and of pyHanko's CLI on `big`."""
    work.mkdir(parents=True, exist_ok=True)
    at = f"{CENTER_MM[0]:g},{CENTER_MM[1]:g}"
    peaks = {}
    for name, pdf in (("baseline", small), ("sealdesk", big)):
        out = work / f"peak-{name}.pdf"
        out.unlink(missing_ok=True)
        args = [str(VENV_BIN / "sealdesk"), "stamp", str(pdf), "--seal", token.seal_id, "--at", at, "--page", "1"]
        args += ["--out", str(out), "--token", token.serial, "--pin-stdin"]
        peaks[name] = _child_peak_mib(args, env=child_env(), stdin=token.pin + "\n", cwd=work)
        out.unlink(missing_ok=True)
    pyhanko = None
    if have_pyhanko_cli():
        runner = PyHankoCli(token, big, work)
        out = runner.output(0)
        out.unlink(missing_ok=True)
        box = ",".join(str(v) for v in _field_box(_seal_size_mm()))
        args = [str(VENV_BIN / "pyhanko"), "sign", "addsig", "--field", f"1/{box}/SigPeak", "--use-pades"]
        args += ["pkcs11", "--lib", token.module, "--token-label", token.label]
        args += ["--cert-label", token.key_label, "--key-label", token.key_label, "--raw-mechanism"]
        args += [str(big), str(out)]
        pyhanko = _child_peak_mib(args, env=child_env(PYHANKO_PKCS11_PIN=token.pin), stdin=None, cwd=work)
        out.unlink(missing_ok=True)
    return PeakMemory(
        input_mib=big.stat().st_size / 2**20,
        sealdesk_mib=peaks["sealdesk"],
        baseline_mib=peaks["baseline"],
        pyhanko_mib=pyhanko,
    )


def main() -> int:
    import argparse
    import json
    import shutil
    import tempfile

    from benchmarks.common import (
        cached_big_pdf,
        delete_token,
        make_text_pdf,
        prepare_environment,
        provision_token,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-mb", type=float, default=50.0)
    args = parser.parse_args()
    home = prepare_environment()
    token = provision_token()
    try:
        work = Path(tempfile.mkdtemp(dir=home, prefix="stamp-"))
        docs = {"50 pages": make_text_pdf(work / "pages50.pdf", 50), f"~{args.big_mb:g} MB": cached_big_pdf(args.big_mb)}
        out = {}
        for name, pdf in docs.items():
            out[name] = {k: v.as_dict() for k, v in bench_document(token, pdf, work, repeat=args.repeat).items()}
        print(json.dumps(out, indent=2))
    finally:
        delete_token(token)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
