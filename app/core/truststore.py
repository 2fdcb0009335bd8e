"""The user's trust store for verifying signed documents (验章).

A folder of root certificates in the user data dir plus any paths listed in the settings. Nothing is trusted
by default — not even the demo root: the holder adds it explicitly (`sealdesk trust add`).

`add_root` only accepts what can be a trust anchor (a readable CA certificate, valid now, with a key type
SealDesk verifies). A damaged file in the folder does not stop verification: it is skipped, reported through
`on_skip` with its name, listed by `inspect_store` and removable by its file name. A bad `trust_roots`
entry in the settings is an error that names the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .certs import CertSummary, summarize
from .clock import Clock, utc_now
from .errors import (
    CertificateError,
    CertificateInvalid,
    InvalidArgument,
    RootRejected,
    SealDeskError,
    TrustSettingInvalid,
)
from .i18n_marks import QT_TRANSLATE_NOOP
from .paths import data_dir, private_dir, write_private

NOT_A_CA = QT_TRANSLATE_NOOP("errors", "it is not a CA certificate (its basic constraints do not say cA).")
EXPIRED = QT_TRANSLATE_NOOP("errors", "it expired on {date}.")
NOT_YET_VALID = QT_TRANSLATE_NOOP("errors", "it is valid only from {date}.")
UNSUPPORTED_KEY = QT_TRANSLATE_NOOP(
    "errors", "its key type {algorithm} is not supported (RSA of 2048 bits or more, EC P-256/P-384/P-521, SM2)."
)
UNREADABLE = QT_TRANSLATE_NOOP("errors", "a certificate file that exists and can be read")
SUPPORTED_EC = ("EC P-256", "EC P-384", "EC P-521", "SM2")
MIN_RSA_BITS = 2048

SkipHandler = Callable[[Path, SealDeskError], None]
"""Told about each file in the trust folder that was skipped, and why."""


@dataclass(frozen=True)
class StoreEntry:
    """One file in the trust folder: its certificate summaries, or the problem that makes it unusable."""

    path: Path
    summaries: tuple[CertSummary, ...]
    problem: SealDeskError | None = None


def trust_dir() -> Path:
    return private_dir(data_dir() / "trust")


def load_certificates(data: bytes) -> list[bytes]:
    """DER certificates from PEM (one or many) or DER bytes; CertificateInvalid when none is readable."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        if b"-----BEGIN" in data:
            return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(data)]
        summarize(data)  # raises CertificateInvalid for garbage
        return [data]
    except ValueError as exc:
        raise CertificateInvalid(str(exc)) from exc


def root_problem(der: bytes, *, clock: Clock = utc_now, check_time: bool = True) -> RootRejected | None:
    """Why this certificate cannot be a trust anchor (not a CA, expired, unsupported key), None if it can."""
    from asn1crypto import x509

    summary = summarize(der)  # CertificateInvalid for unreadable input
    subject = summary.subject or summary.sha256[:16]
    try:
        is_ca = bool(x509.Certificate.load(der).ca)
    except ValueError as exc:
        raise CertificateInvalid(f"{type(exc).__name__}: {exc}") from exc
    if not is_ca:
        return RootRejected("basicConstraints cA false or absent", subject=subject, reason=NOT_A_CA)
    algorithm = summary.algorithm
    rsa_ok = algorithm.startswith("RSA-") and int(algorithm[4:] or 0) >= MIN_RSA_BITS
    if not rsa_ok and algorithm not in SUPPORTED_EC:
        return RootRejected(f"key {algorithm}", subject=subject, reason=UNSUPPORTED_KEY, algorithm=algorithm)
    if check_time:
        now = clock()
        if now > summary.not_after:
            date = summary.not_after.date().isoformat()
            return RootRejected(f"notAfter {date}", subject=subject, reason=EXPIRED, date=date)
        if now < summary.not_before:
            date = summary.not_before.date().isoformat()
            return RootRejected(f"notBefore {date}", subject=subject, reason=NOT_YET_VALID, date=date)
    return None


def _store_files() -> list[Path]:
    """Every file in the trust folder except hidden ones (the temp files of an atomic write)."""
    return sorted(p for p in trust_dir().iterdir() if not p.name.startswith(".") and not p.is_dir())


def _read_entry(path: Path) -> StoreEntry:
    try:
        ders = load_certificates(path.read_bytes())
        summaries = []
        for der in ders:
            # expired roots stay usable: they still anchor signatures made while they were valid
            problem = root_problem(der, check_time=False)
            if problem is not None:
                return StoreEntry(path, (), problem)
            summaries.append(summarize(der))
    except OSError as exc:
        return StoreEntry(path, (), InvalidArgument(str(exc), what=UNREADABLE))
    except CertificateError as exc:
        return StoreEntry(path, (), exc)
    return StoreEntry(path, tuple(summaries))


def inspect_store() -> list[StoreEntry]:
    """Every file in the trust folder with its certificates or its problem (for `trust list`)."""
    return [_read_entry(path) for path in _store_files()]


def trusted_roots(extra_paths: Sequence[str] = (), *, on_skip: SkipHandler | None = None) -> list[bytes]:
    """Every root in the trust folder and in `extra_paths` (settings), as DER.

    Unusable files in the folder are skipped and passed to `on_skip`; an unusable settings entry raises
    TrustSettingInvalid naming it.
    """
    roots: list[bytes] = []
    for path in _store_files():
        entry = _read_entry(path)
        if entry.problem is not None:
            if on_skip is not None:
                on_skip(path, entry.problem)
            continue
        roots.extend(load_certificates(path.read_bytes()))
    for raw in extra_paths:
        path = Path(raw).expanduser()
        try:
            ders = load_certificates(path.read_bytes())
            for der in ders:
                problem = root_problem(der, check_time=False)
                if problem is not None:
                    raise problem
        except OSError as exc:
            raise TrustSettingInvalid(str(path), InvalidArgument(str(exc), what=UNREADABLE)) from exc
        except CertificateError as exc:
            raise TrustSettingInvalid(str(path), exc) from exc
        roots.extend(ders)
    return roots


def add_root(path: Path, *, clock: Clock = utc_now) -> list[CertSummary]:
    """Copy the certificate(s) in `path` into the trust folder (named by SHA-256); returns what was added.

    All or nothing: when one certificate of a bundle cannot be a root, none is added (RootRejected).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidArgument(str(exc), what=str(path)) from exc
    ders = load_certificates(data)
    for der in ders:
        problem = root_problem(der, clock=clock)
        if problem is not None:
            raise problem
    added = []
    for der in ders:
        summary = summarize(der)
        write_private(trust_dir() / f"{summary.sha256}.der", der)
        added.append(summary)
    return added


def list_roots() -> list[CertSummary]:
    """The usable roots of the trust folder (damaged files are left out: see `inspect_store`)."""
    return [summary for entry in inspect_store() for summary in entry.summaries]


def remove_root(target: str) -> CertSummary | Path:
    """Remove one file of the trust folder: by its file name, or the one root whose SHA-256 starts with the
    given hex prefix (at least 8 digits). Returns the removed root's summary, or the path of a damaged file."""
    files = _store_files()
    by_name = [p for p in files if target in (p.name, p.stem)]
    if len(by_name) == 1:
        entry = _read_entry(by_name[0])
        by_name[0].unlink()
        return entry.summaries[0] if entry.summaries else by_name[0]
    prefix = target.lower().replace(":", "")
    if len(prefix) < 8 or any(c not in "0123456789abcdef" for c in prefix):
        raise InvalidArgument(
            what=QT_TRANSLATE_NOOP(
                "errors", "a fingerprint (at least 8 hex digits) or a file name shown by `sealdesk trust list`"
            )
        )
    matches = []
    for path in files:
        entry = _read_entry(path)
        digests = [s.sha256 for s in entry.summaries] or [path.stem.lower()]
        if any(d.startswith(prefix) for d in digests):
            matches.append(entry)
    if len(matches) != 1:
        raise InvalidArgument(
            f"{len(matches)} certificates match {target}",
            what=QT_TRANSLATE_NOOP(
                "errors", "a fingerprint that matches exactly one trusted root (see `sealdesk trust list`)"
            ),
        )
    entry = matches[0]
    entry.path.unlink()
    return entry.summaries[0] if entry.summaries else entry.path

