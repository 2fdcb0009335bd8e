"""`sealdesk export-ses`: a GB/T 38540 v4 SES_Signature over a document the key's seal stamped — with the SM2
demo key on SealDesk's SM2 test module through the CLI (subprocesses), and with the SoftHSM demo key's
ECDSA and RSA seals in process. Each export is parsed back and verified by SealDesk's SES code (`seals
--file … --data …`) and, independently, by OpenSSL (the signature over TBS_Sign, the digest of the document).
Refusals come before the PIN and write nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from guiparts_helpers import demo_key_summary, stamped_pdf
from pdf_helpers import make_pdf
from test_sm2_token import openssl_verifies
from testdata import USER_PIN

from app.core import demo, gm, ses_export, sm2_test_module
from app.core.errors import OutputExists, SealAmbiguous, SesExportNoStamp, SesExportSealNotInDocument
from app.core.ses import parse_ses_signature, verify_ses_signature
from app.i18n import translate

ROOT = Path(__file__).resolve().parent.parent


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, timeout=60)


@pytest.mark.skipif(sm2_test_module.module_path() is None, reason="the SM2 test module is not built (make setup)")
def test_cli_exports_an_sm2_ses_signature_over_a_stamped_pdf(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in (sm2_test_module.CONF_ENV, "SOFTHSM2_CONF")}
    env["SEALDESK_HOME"] = str(home)

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, input=stdin,
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    assert cli("demo-key").returncode == 0
    tokens = json.loads(cli("tokens", "--json").stdout)["tokens"]
    serial = next(t["serial"] for t in tokens if t["label"] == demo.SM2_DEMO_LABEL)
    key = ("--token", serial, "--pin-stdin")
    source = make_pdf(tmp_path / "合同.pdf", pages=1)
    signed = tmp_path / "合同.signed.pdf"
    done = cli("stamp", str(source), "--seal", "DEMOSM2", "--page", "1", "--at", "120,200", "--approval", "A-1",
               "--out", str(signed), *key, stdin=demo.DEMO_PIN + "\n")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    # refused before the PIN (an empty stdin would be "empty PIN"), nothing written: a document the seal did
    # not stamp, a seal that did not stamp it
    refused = cli("export-ses", str(source), *key)
    assert refused.returncode == 5, refused.stderr
    assert SesExportNoStamp(name=source.name).user_message(translate) in refused.stderr
    refused = cli("export-ses", str(signed), "--seal", "nothing-like-it", *key)
    assert refused.returncode == 4 and translate("cli", "empty PIN") not in refused.stderr, refused.stderr
    assert not list(tmp_path.glob("*.ses"))

    out = tmp_path / "sig.dat"
    exported = cli("export-ses", str(signed), "--out", str(out), "--json", *key, stdin=demo.DEMO_PIN + "\n")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    result = json.loads(exported.stdout)
    assert result["output"] == str(out) and result["signature_algorithm"] == gm.SM2_WITH_SM3_OID
    assert result["seal_id"].startswith("DEMOSM2") and demo.DEMO_PIN not in exported.stdout + exported.stderr
    again = cli("export-ses", str(signed), "--out", str(out), *key, stdin=demo.DEMO_PIN + "\n")
    assert again.returncode == 5 and OutputExists(path=str(out)).user_message(translate) in again.stderr

    # SealDesk's SES code: the signature, the seal, the document it signed; a changed document does not match
    shown = json.loads(cli("seals", "--file", str(out), "--data", str(signed), "--json").stdout)["signature"]
    assert shown["signature_valid"] and shown["data_matches"] is True and shown["seal_verification"] == "valid"
    assert shown["seal_id"] == result["seal_id"] and shown["signed_item"] == "%E5%90%88%E5%90%8C.signed.pdf"
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(signed.read_bytes() + b"\n")
    mismatch = cli("seals", "--file", str(out), "--data", str(changed))
    assert mismatch.returncode == 8 and translate("cli", "Matches the document") in mismatch.stdout

    # OpenSSL: SM2 (default ID) over TBS_Sign with the certificate's key, SM3 over the document
    sig = parse_ses_signature(out.read_bytes())
    assert sig.version == 4 and sig.sign_alg == gm.SM2_WITH_SM3_OID
    assert openssl_verifies(sig.cert, sig.tbs_der, sig.signature, tmp_path)
    sm3 = _openssl("dgst", "-sm3", "-binary", str(signed), cwd=tmp_path)
    assert sm3.returncode == 0 and sm3.stdout == sig.data_hash == bytes.fromhex(result["data_hash"])
    assert _openssl("asn1parse", "-inform", "DER", "-in", str(out), cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(("kind", "digest_alg"), [("personal", "1.2.840.10045.4.3.2"), ("duty", "1.2.840.113549.1.1.11")])
def test_ecdsa_and_rsa_seals_export_too(demo_app, tmp_path: Path, kind: str, digest_alg: str) -> None:
    signed = stamped_pdf(demo_app, tmp_path, kind=kind, pages=1)
    key = demo_key_summary(demo_app)
    plan = ses_export.plan_export(demo_app, key, signed, None, None)
    assert plan.output == signed.with_name(signed.name + ".ses")
    result = ses_export.export(demo_app, key, plan, USER_PIN)
    assert not demo_app.session_open
    der = plan.output.read_bytes()
    sig = parse_ses_signature(der)
    assert sig.sign_alg == digest_alg == result.sign_alg and sig.seal.es_id == plan.seal_id
    check = verify_ses_signature(sig, data=signed.read_bytes())
    assert check.ok and check.signature_ok and check.data_hash_ok and check.seal_check.bound

    # OpenSSL: SHA-256 of the document, and the signature over TBS_Sign with the certificate's public key
    (tmp_path / "cert.der").write_bytes(sig.cert)
    (tmp_path / "tbs.der").write_bytes(sig.tbs_der)
    (tmp_path / "sig.bin").write_bytes(sig.signature)
    pub = _openssl("x509", "-inform", "DER", "-in", "cert.der", "-pubkey", "-noout", "-out", "pub.pem", cwd=tmp_path)
    assert pub.returncode == 0, pub.stderr
    done = _openssl("dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "tbs.der", cwd=tmp_path)
    assert done.returncode == 0 and b"Verified OK" in done.stdout, done.stdout + done.stderr
    assert _openssl("dgst", "-sha256", "-binary", str(signed), cwd=tmp_path).stdout == sig.data_hash

    # nothing is overwritten: the same output again is refused before the PIN
    with pytest.raises(OutputExists):
        ses_export.plan_export(demo_app, key, signed, None, None)


def test_refusals_before_the_pin_and_the_choice_of_seal(demo_app, tmp_path: Path) -> None:
    from guiparts_helpers import seal_of_kind

    from app.core.application import StampStatus
    from app.core.stamping import SpotPlacement

    key = demo_key_summary(demo_app)
    plain = make_pdf(tmp_path / "plain.pdf", pages=1)
    with pytest.raises(SesExportNoStamp):
        ses_export.plan_export(demo_app, key, plain, None, None)
    signed = stamped_pdf(demo_app, tmp_path, kind="personal", pages=1)
    with pytest.raises(SesExportSealNotInDocument) as refused:
        ses_export.plan_export(demo_app, key, signed, "张三", None)  # the duty seal did not stamp it
    assert "李四" in refused.value.user_message(translate)

    # stamped again by the official seal: without --seal the latest stamping's seal, else the one named
    official = seal_of_kind(demo_app, "official")
    plan = demo_app.plan(signed, official.ref, SpotPlacement((60.0, 60.0), pages="1"), "SP-2", key=key)
    outcome = demo_app.stamp(plan, USER_PIN)
    assert outcome.status is StampStatus.SIGNED, outcome.error
    both = outcome.result.output_path
    assert ses_export.plan_export(demo_app, key, both, None, None).seal_id == official.ref
    assert ses_export.plan_export(demo_app, key, both, "李", None).seal_name == "李四"
    with pytest.raises(SealAmbiguous):
        ses_export.plan_export(demo_app, key, both, "DEMO", None)  # a prefix of both seals' IDs
    assert not list(tmp_path.glob("*.ses"))


def test_a_seal_expired_since_the_stamping_is_refused_before_the_pin(demo_app, demo_key, tmp_path: Path) -> None:
    """The seal must still be usable: an export years later would carry a seal invalid at its timeInfo."""
    import datetime as dt

    from app.core.application import Application
    from app.core.clock import fixed_clock
    from app.core.errors import CertificateExpired, SealExpired
    from app.core.settings import Settings
    from app.core.usage.log import UsageLog

    signed = stamped_pdf(demo_app, tmp_path, kind="personal", pages=1)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3 * 365)
    log = UsageLog(tmp_path / "later.sqlite3")
    application = Application(Settings(trust_roots=(str(demo_key.root_cert_path),)), usage_log=log,
                              clock=fixed_clock(later))  # fmt: skip
    try:
        with pytest.raises((SealExpired, CertificateExpired)):
            ses_export.plan_export(application, demo_key_summary(application), signed, None, None)
    finally:
        application.close()
        log.close()
    assert not list(tmp_path.glob("*.ses"))
