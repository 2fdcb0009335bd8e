"""Shared set-up for the stamping benchmarks: a private SEALDESK_HOME, a benchmark token, test PDFs, timing.

SoftHSM reads its configuration once, when the module is loaded, so `prepare_environment()` must run before
anything loads a PKCS#11 module in this process. The pytest smoke test skips it: tests/conftest.py already
did the same for the test session.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
USER_PIN = "123456"
SO_PIN = "12345678"
A4 = (595.28, 841.89)

PERSONAL_SEAL_INDEX = 2
"""Index in demo.DEMO_SEALS of the personal seal (EC P-256, key id 03): no approval reference needed."""

CACHE_DIR = Path(tempfile.gettempdir()) / "sealdesk-bench-cache"
"""Generated input files kept between runs (the ~50 MB PDF takes seconds to make)."""

_prepared: Path | None = None


# --- environment ----------------------------------------------------------------------------------
def prepare_environment(home: Path | None = None) -> Path:
    """Point SEALDESK_HOME at a fresh temp dir (or `home`) and write SealDesk's SoftHSM config.

    Call before any PKCS#11 module is loaded; idempotent within a process.
    """
    global _prepared
    if _prepared is not None:
        return _prepared
    if "pkcs11._pkcs11" in sys.modules or "pkcs11" in sys.modules:
        raise RuntimeError("prepare_environment() must run before python-pkcs11 is imported")
    home = Path(home) if home else Path(tempfile.mkdtemp(prefix="sealdesk-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["SEALDESK_HOME"] = str(home)
    os.environ.pop("SOFTHSM2_CONF", None)
    os.environ.setdefault("SEALDESK_LANG", "en")
    from app.core import softhsm

    softhsm.ensure_config()
    _prepared = home
    return home


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a subprocess that must see the same SEALDESK_HOME and SoftHSM store."""
    env = dict(os.environ)
    env.update(extra)
    return env


# --- the benchmark token --------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchToken:
    """A SoftHSM token provisioned like the demo key, for one benchmark run."""

    label: str
    serial: str
    module: str
    """Path of the SoftHSM PKCS#11 module."""
    seal_id: str
    """ES ID of the personal seal (no approval reference needed)."""
    key_label: str
    """CKA_LABEL of the personal seal's private key and certificate (what pyHanko's CLI selects by)."""
    key_id: bytes
    root_cert_der: bytes
    """The demo root that issued the holder certificates (trust anchor for verification)."""
    pin: str = USER_PIN


def provision_token(label: str | None = None) -> BenchToken:
    """A new SoftHSM token with the demo seals (app.core.demo.provision_token)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from app.core import demo, softhsm

    module = softhsm.module_path()
    if module is None:
        raise RuntimeError("SoftHSM is not installed (apt-get install softhsm2)")
    label = label or f"Bench{uuid.uuid4().hex[:10]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN)
    spec = demo.DEMO_SEALS[PERSONAL_SEAL_INDEX]
    seal = next(s for s in info.seals if s.key_id == spec.key_id)
    root = x509.load_pem_x509_certificate(info.root_cert_path.read_bytes()).public_bytes(Encoding.DER)
    return BenchToken(
        label=label,
        serial=info.serial,
        module=module,
        seal_id=seal.es_id,
        key_label=spec.holder_cn,
        key_id=spec.key_id,
        root_cert_der=root,
    )


def delete_token(token: BenchToken) -> None:
    from app.core import softhsm

    if token.label in softhsm.token_labels():
        softhsm.delete_token(token.label)


class OpenSession:
    """A TokenManager plus one logged-in KeySession on the benchmark token (context manager)."""

    def __init__(self, token: BenchToken) -> None:
        from app.core.keys import TokenManager

        self.manager = TokenManager(extra_modules=[token.module], use_catalog=False)
        try:
            self.session = self.manager.open_session(self.manager.find_token(serial=token.serial), token.pin)
        except BaseException:
            self.manager.close()
            raise

    def __enter__(self):
        return self.session

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.session.close()
        finally:
            self.manager.close()


def clear_chain_heads(token: BenchToken) -> None:
    """Remove the usage-log chain heads from the benchmark token. Each benchmark keeps a usage log of its
    own while all share the token, so an earlier benchmark's head would make the next log's records start
    after it (a gap `verify` reports, docs/usage-log.md)."""
    from app.core.usage.chain_head import HEAD_APPLICATION

    with OpenSession(token) as session:
        session.delete_data(HEAD_APPLICATION)


# --- input documents ------------------------------------------------------------------------------
def make_text_pdf(path: Path, pages: int) -> Path:
    """An A4 PDF of `pages` pages of body text (Latin and Chinese), like a contract."""
    import pymupdf as fitz

    doc = fitz.open()
    for index in range(pages):
        page = doc.new_page(width=A4[0], height=A4[1])
        page.insert_text((72, 72), f"SealDesk benchmark document - page {index + 1} of {pages}", fontsize=12)
        for line in range(30):
            page.insert_text(
                (72, 110 + line * 22),
                "本合同一式两份，双方各执一份，自双方盖章之日起生效。" if line % 2 else "Clause text " * 8,
                fontname="china-s" if line % 2 else "helv",
                fontsize=10,
            )
    doc.save(path, garbage=3, deflate=True)
    doc.close()
    return path


def make_big_pdf(path: Path, target_mb: float, *, pages: int = 10) -> Path:
    """A PDF of about `target_mb` MB: `pages` pages, each with a random-noise image (incompressible)."""
    import pymupdf as fitz

    per_page = int(target_mb * 1024 * 1024 / pages)
    side = max(16, int((per_page / 3) ** 0.5))
    doc = fitz.open()
    for index in range(pages):
        page = doc.new_page(width=A4[0], height=A4[1])
        noise = os.urandom(side * side * 3)
        pix = fitz.Pixmap(fitz.csRGB, side, side, noise, False)
        page.insert_image(fitz.Rect(36, 120, A4[0] - 36, A4[0] - 36 + 84), pixmap=pix)
        page.insert_text((72, 72), f"SealDesk large benchmark document - page {index + 1}", fontsize=12)
    doc.save(path, deflate=True)
    doc.close()
    return path


def cached_big_pdf(target_mb: float = 50.0) -> Path:
    """The ~`target_mb` MB PDF, made once and kept in the temp dir's benchmark cache."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"big-{target_mb:g}mb-v1.pdf"
    if not path.exists():
        tmp = path.with_suffix(".part")
        make_big_pdf(tmp, target_mb)
        os.replace(tmp, path)
    return path


# --- timing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    """Wall-clock samples of one measured operation, in seconds."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    def as_dict(self) -> dict:
        return {"median_s": self.median, "min_s": self.min, "samples_s": list(self.samples)}


def measure(
    run: Callable[[int], object],
    repeat: int,
    *,
    warmup: int = 0,
    after: Callable[[int], object] | None = None,
) -> Timing:
    """Call `run(i)` `warmup` times untimed (i < 0), then `repeat` times timed with time.perf_counter.

    `after(i)` runs untimed after each call (clean-up such as deleting a 50 MB output).
    """
    samples = []
    for i in [-1 - w for w in range(warmup)] + list(range(repeat)):
        start = time.perf_counter()
        run(i)
        elapsed = time.perf_counter() - start
        if i >= 0:
            samples.append(elapsed)
        if after is not None:
            after(i)
    return Timing(tuple(samples))


def run_checked(args: list[str], *, env: dict[str, str], stdin: str | None = None, cwd: Path | None = None) -> None:
    """Run a command; raise with its output when it fails (never prints the PIN: it is not in args)."""
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")


# --- report header ------------------------------------------------------------------------------
def machine_info() -> dict[str, str]:
    """CPU, cores, Python and library versions, for the report header."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def pkg(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    softhsm_version = "unknown"
    try:
        out = subprocess.run(["softhsm2-util", "--version"], capture_output=True, text=True, check=False)
        softhsm_version = out.stdout.strip() or softhsm_version
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "softhsm": softhsm_version,
        "pyhanko": pkg("pyhanko"),
        "pyhanko-cli": pkg("pyhanko-cli"),
        "python-pkcs11": pkg("python-pkcs11"),
        "pymupdf": pkg("pymupdf"),
        "cryptography": pkg("cryptography"),
    }
