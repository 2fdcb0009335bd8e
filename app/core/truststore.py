"""The user's trust store for verifying signed documents (验章).

A folder of root certificates in the user data dir plus any paths listed in the settings. Nothing is trusted
by default — not even the demo root: the holder adds it explicitly (`sealdesk trust add`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .certs import CertSummary, summarize
from .errors import CertificateInvalid, InvalidArgument
from .i18n_marks import QT_TRANSLATE_NOOP
from .paths import data_dir


def trust_dir() -> Path:
    path = data_dir() / "trust"
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def trusted_roots(extra_paths: Sequence[str] = ()) -> list[bytes]:
    """Every root in the trust folder and in `extra_paths` (settings), as DER."""
    roots: list[bytes] = []
    for path in [*sorted(trust_dir().glob("*.der")), *(Path(p).expanduser() for p in extra_paths)]:
        try:
            roots.extend(load_certificates(path.read_bytes()))
        except OSError as exc:
            raise InvalidArgument(str(exc), what=str(path)) from exc
    return roots


def add_root(path: Path) -> list[CertSummary]:
    """Copy the certificate(s) in `path` into the trust folder (named by SHA-256); returns what was added."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidArgument(str(exc), what=str(path)) from exc
    added = []
    for der in load_certificates(data):
        summary = summarize(der)
        (trust_dir() / f"{summary.sha256}.der").write_bytes(der)
        added.append(summary)
    return added


def list_roots() -> list[CertSummary]:
    return [summarize(p.read_bytes()) for p in sorted(trust_dir().glob("*.der"))]


def remove_root(fingerprint_prefix: str) -> CertSummary:
    """Remove the one root whose SHA-256 starts with the given hex prefix (at least 8 digits)."""
    prefix = fingerprint_prefix.lower().replace(":", "")
    if len(prefix) < 8:
        raise InvalidArgument(what="fingerprint (at least 8 hex digits)")
    matches = [p for p in trust_dir().glob("*.der") if p.stem.startswith(prefix)]
    if len(matches) != 1:
        raise InvalidArgument(
            f"{len(matches)} certificates match {fingerprint_prefix}",
            what=QT_TRANSLATE_NOOP(
                "errors", "a fingerprint that matches exactly one trusted root (see `sealdesk trust list`)"
            ),
        )
    summary = summarize(matches[0].read_bytes())
    matches[0].unlink()
    return summary
