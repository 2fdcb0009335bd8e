"""The trust store: only real roots go in, damaged files are skipped (named) and removable, bad settings
entries are named. Each test has its own SEALDESK_HOME so the session's store is untouched."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from documents import make_pdf
from pdf_helpers import certify_pdf

from app import cli
from app.core import truststore
from app.core.errors import CertificateInvalid, RootRejected, TrustSettingInvalid
from app.i18n import translate


def _tr(text: str) -> str:
    """A core error text in the suite's language."""
    return translate("errors", text)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("SEALDESK_HOME", str(path))
    return path


def run(capsys, monkeypatch, argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _cert(path: Path, *, ca: bool | None, key=None, days: tuple[int, int] = (-1, 365), cn: str = "Root") -> Path:
    """A self-signed certificate; ca=None leaves basicConstraints out."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    path.write_bytes(builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM))
    return path


def test_trust_add_refuses_what_cannot_be_a_root(tmp_path, home, capsys, monkeypatch):
    cases = {
        "leaf": (_cert(tmp_path / "leaf.pem", ca=False, cn="Leaf"), _tr(truststore.NOT_A_CA)),
        "no-bc": (_cert(tmp_path / "nobc.pem", ca=None, cn="NoBC"), _tr(truststore.NOT_A_CA)),
        "expired": (
            _cert(tmp_path / "old.pem", ca=True, days=(-400, -10), cn="Old"),
            _tr(truststore.EXPIRED).split("{date}")[0],
        ),
        "future": (
            _cert(tmp_path / "future.pem", ca=True, days=(10, 400), cn="Future"),
            _tr(truststore.NOT_YET_VALID).split("{date}")[0],
        ),
        "ed25519": (
            _cert(tmp_path / "ed.pem", ca=True, key=ed25519.Ed25519PrivateKey.generate(), cn="Ed"),
            _tr(truststore.UNSUPPORTED_KEY).format(algorithm="ed25519"),
        ),
        "rsa1024": (
            _cert(tmp_path / "weak.pem", ca=True, key=rsa.generate_private_key(65537, 1024), cn="Weak"),
            _tr(truststore.UNSUPPORTED_KEY).format(algorithm="RSA-1024"),
        ),
    }
    cannot_be_root = _tr(RootRejected.message).split("{subject}")[1].split("{reason}")[0]  # ” cannot be a trusted root:
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    for name, (path, reason) in cases.items():
        code, out, err = run(capsys, monkeypatch, ["trust", "add", str(path)])
        assert code == 4, name
        assert str(path) in err and reason in err and cannot_be_root in err, (name, err)
    code, _, err = run(capsys, monkeypatch, ["trust", "add", str(garbage)])
    assert code == 4 and str(garbage) in err and CertificateInvalid().user_message(translate) in err
    assert json.loads(run(capsys, monkeypatch, ["trust", "list", "--json"])[1]) == []

    # a bundle with one bad certificate adds nothing
    good = _cert(tmp_path / "good.pem", ca=True, cn="Good Root")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(good.read_bytes() + cases["leaf"][0].read_bytes())
    assert run(capsys, monkeypatch, ["trust", "add", str(bundle)])[0] == 4
    assert json.loads(run(capsys, monkeypatch, ["trust", "list", "--json"])[1]) == []
    code, out, _ = run(capsys, monkeypatch, ["trust", "add", str(good)])
    assert code == 0 and "Good Root" in out


def test_root_rejected_reads_in_chinese(tmp_path, home, monkeypatch):
    from app.i18n import translate

    path = _cert(tmp_path / "leaf.pem", ca=False, cn="Leaf")
    with pytest.raises(RootRejected) as caught:
        truststore.add_root(path)
    monkeypatch.setenv("SEALDESK_LANG", "zh_CN")
    text = caught.value.user_message(translate)
    assert "Leaf" in text and "CA" in text and "cannot" not in text


def test_damaged_file_is_skipped_named_and_removable(tmp_path, home, ca, issued, capsys, monkeypatch):
    root = tmp_path / "root.pem"
    root.write_bytes(x509.load_der_x509_certificate(ca.root_der).public_bytes(serialization.Encoding.PEM))
    assert run(capsys, monkeypatch, ["trust", "add", str(root)])[0] == 0
    (truststore.trust_dir() / "broken.der").write_bytes(b"\x30\x03garbage")
    leaf = _cert(tmp_path / "leaf.pem", ca=False, cn="Dropped Leaf")
    (truststore.trust_dir() / "dropped.pem").write_bytes(leaf.read_bytes())

    skipped: list[str] = []
    roots = truststore.trusted_roots(on_skip=lambda path, problem: skipped.append(path.name))
    assert roots == [ca.root_der] and sorted(skipped) == ["broken.der", "dropped.pem"]

    code, out, err = run(capsys, monkeypatch, ["trust", "list"])
    assert code == 0 and "SealDesk Test Root CA" in out
    assert "broken.der" in err and "dropped.pem" in err and _tr(truststore.NOT_A_CA) in err
    assert "sealdesk trust remove broken.der" in err

    # verification still works, with the good root, and names the damaged file
    signed = tmp_path / "signed.pdf"
    certify_pdf(make_pdf(tmp_path / "doc.pdf", pages=1), signed, issued, permission=2)
    code, out, err = run(capsys, monkeypatch, ["verify", str(signed), "--json"])
    assert json.loads(out)["signatures"][0]["trusted"] is True, out
    assert "broken.der" in err

    code, out, _ = run(capsys, monkeypatch, ["trust", "remove", "broken.der"])
    assert code == 0 and "broken.der" in out
    code, out, _ = run(capsys, monkeypatch, ["trust", "remove", "dropped"])
    assert code == 0 and "dropped.pem" in out
    assert run(capsys, monkeypatch, ["trust", "list"])[2] == ""
    fingerprint = json.loads(run(capsys, monkeypatch, ["trust", "list", "--json"])[1])[0]["sha256"]
    assert run(capsys, monkeypatch, ["trust", "remove", "zz"])[0] == 2
    code, out, _ = run(capsys, monkeypatch, ["trust", "remove", fingerprint[:10].upper()])
    assert code == 0 and "SealDesk Test Root CA" in out
    assert sorted(p.name for p in truststore.trust_dir().iterdir()) == []


def test_bad_settings_entry_names_the_file(tmp_path, home, issued, capsys, monkeypatch):
    from app.core.settings import Settings, save_settings

    missing = tmp_path / "nowhere.pem"
    leaf = _cert(tmp_path / "leaf.pem", ca=False, cn="Leaf")
    signed = tmp_path / "signed.pdf"
    certify_pdf(make_pdf(tmp_path / "doc.pdf", pages=1), signed, issued, permission=2)
    for entry, reason in ((missing, _tr(truststore.UNREADABLE)), (leaf, _tr(truststore.NOT_A_CA))):
        save_settings(Settings(trust_roots=(str(entry),)))
        with pytest.raises(TrustSettingInvalid) as caught:
            truststore.trusted_roots((str(entry),))
        assert str(entry) in caught.value.user_message()
        code, _, err = run(capsys, monkeypatch, ["verify", str(signed)])
        assert code == 2 and str(entry) in err and "trust_roots" in err and reason in err, err
