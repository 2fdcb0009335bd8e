"""End to end on SealDesk's SM2 test module (tests/p11sm2, built by `make setup`): the Stamper signs a PDF
with the token's SM2 key (KeySession.sm2_signer), the seal on the token, pictures on two pages; SealDesk's
verifier, OpenSSL (SM2 over the signed attributes, SM3 over the byte ranges), pdfsig and qpdf check the
result, and the usage record is signed by the same SM2 key. Then an RSA/ECDSA stamping with the SoftHSM
demo key on top, and both signatures verify together.
"""

from __future__ import annotations

import re
from pathlib import Path

from asn1crypto import cms, pem
from pdf_helpers import extract_contents, make_pdf, pdfsig, qpdf_check
from test_sm2_token import openssl_verifies
from test_sm2_token_module import Sm2Token, sm2_token  # noqa: F401 - the fixture

from app.core import gm
from app.core.pdf.sm2_cms import signed_attrs_der
from app.core.stamping import SpotPlacement, Stamper, StampRequest
from app.core.usage.log import UsageLog
from app.core.verification import verify_document


def _byte_ranges(path: Path) -> bytes:
    data = path.read_bytes()
    a, b, c, d = map(int, re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)[-1])
    return data[a : a + b] + data[c : c + d]


def test_stamping_with_the_sm2_token_key(sm2_token: Sm2Token, tmp_path: Path, demo_key, session) -> None:  # noqa: F811
    identity = sm2_token.identity
    log = UsageLog(tmp_path / "usage.sqlite3")
    try:
        stamper = Stamper(sm2_token.session, identity.es_id, usage_log=log)
        source = make_pdf(tmp_path / "合同.pdf", pages=2)
        target = tmp_path / "合同.signed.pdf"
        request = StampRequest(
            source,
            SpotPlacement((150.0, 240.0), pages="1-2"),
            output_path=target,
            approval_ref="审批-2026-001",
        )
        result = stamper.stamp(request)
        assert result.output_path == target and len(result.spots) == 2
        assert log.verify().ok
    finally:
        log.close()

    report = verify_document(target, trust_roots=[identity.root])
    (sig,) = report.signatures
    assert report.all_valid and sig.seal_status == "valid" and sig.picture_check == "match"
    assert sig.signer_cert == identity.holder and len(sig.pictures) == 2

    gm.register_oids()
    info = cms.ContentInfo.load(extract_contents(target))["content"]["signer_infos"][0]
    assert info["signature_algorithm"]["algorithm"].dotted == gm.SM2_WITH_SM3_OID
    assert openssl_verifies(identity.holder, signed_attrs_der(info), info["signature"].native, tmp_path)
    digest = next(a["values"][0].native for a in info["signed_attrs"] if a["type"].native == "message_digest")
    assert digest == gm.sm3(_byte_ranges(target))
    text = pdfsig(target)
    assert "ETSI.CAdES.detached" in text and "Total document signed" in text
    assert qpdf_check(target).returncode == 0

    # the SoftHSM demo key stamps the same document on top: both families verify together
    both = tmp_path / "合同.both.pdf"
    log = UsageLog(tmp_path / "usage2.sqlite3")
    try:
        Stamper(session, demo_key.seals[0].es_id, usage_log=log).stamp(
            StampRequest(
                target, SpotPlacement((60.0, 60.0), pages="1"), output_path=both, approval_ref="审批-2026-002"
            )
        )
    finally:
        log.close()
    demo_root = pem.unarmor(demo_key.root_cert_path.read_bytes())[2]
    report = verify_document(both, trust_roots=[identity.root, demo_root])
    assert len(report.signatures) == 2 and report.all_valid
    assert [s.modification_level for s in report.signatures] == ["form_filling", "none"]


def test_cli_stamps_with_the_sm2_demo_and_verifies(tmp_path: Path) -> None:
    """`sealdesk demo-key`, then `stamp --cross-page` with the SM2 demo key and `verify --json` in
    subprocesses: the CLI shows an SM2 signature exactly like an RSA/ECDSA one."""
    import json
    import os
    import subprocess
    import sys

    from app.core import demo, sm2_test_module

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in (sm2_test_module.CONF_ENV, "SOFTHSM2_CONF")}
    env["SEALDESK_HOME"] = str(home)
    root_dir = Path(__file__).resolve().parent.parent

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=root_dir, env=env, input=stdin,
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    assert cli("demo-key").returncode == 0
    tokens = json.loads(cli("tokens", "--json").stdout)["tokens"]
    serial = next(t["serial"] for t in tokens if t["label"] == demo.SM2_DEMO_LABEL)
    source = make_pdf(tmp_path / "contract.pdf", pages=3)
    out = tmp_path / "contract.sm2.pdf"
    stamped = cli("stamp", str(source), "--seal", "DEMOSM2", "--cross-page", "--approval", "A-1", "--out", str(out),
                  "--token", serial, "--pin-stdin", "--json", stdin=demo.DEMO_PIN + "\n")  # fmt: skip
    assert stamped.returncode == 0, stamped.stdout + stamped.stderr
    root = home / "demo" / "demo-sm2-root-ca.pem"
    verified = cli("verify", str(out), "--trust", str(root), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    result = json.loads(verified.stdout)
    (sig,) = result["signatures"]
    assert result["all_valid"] and sig["seal_status"] == "valid" and sig["picture_check"] == "match"
    assert [p["page"] for p in sig["pictures"]] == [1, 2, 3]  # one slice per page
    untrusted = json.loads(cli("verify", str(out), "--json").stdout)
    assert not untrusted["all_valid"] and untrusted["signatures"][0]["trust_problem"] == "no_trusted_path"
