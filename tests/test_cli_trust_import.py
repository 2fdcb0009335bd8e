"""Trust store management and importing a seal file onto a key, through the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import uuid

import lang
from documents import make_pdf
from pdf_helpers import SoftwareCA
from seal_helpers import make_seal
from testdata import SO_PIN, USER_PIN

from app import cli
from app.core import demo, softhsm
from app.core.errors import SealNotBound
from app.core.keys import TokenManager
from app.core.ses import kinds
from app.i18n import translate


def run(capsys, monkeypatch, argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_trust_store_controls_verification(tmp_path, demo_key, capsys, monkeypatch):
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)
    code, out, err = run(
        capsys,
        monkeypatch,
        ["stamp", str(source), "--seal", seal, "--at", "100,100", "--token", demo_key.serial, "--pin-stdin", "--json"],
        demo.DEMO_PIN + "\n",
    )
    assert code == 0, err
    signed = json.loads(out)[0]["output"]
    assert run(capsys, monkeypatch, ["verify", signed])[0] == 8  # nothing trusted by default
    code, out, _ = run(capsys, monkeypatch, ["trust", "add", str(demo_key.root_cert_path)])
    assert code == 0 and "SealDesk Demo Root CA" in out
    code, out, _ = run(capsys, monkeypatch, ["trust", "list", "--json"])
    roots = json.loads(out)
    assert [r["subject"] for r in roots] == ["C=CN, O=示例科技有限公司, CN=SealDesk Demo Root CA"]
    code, out, _ = run(capsys, monkeypatch, ["verify", signed])
    assert code == 0 and lang.cli_line("Result", "VALID") in out
    code, _, _ = run(capsys, monkeypatch, ["trust", "remove", roots[0]["sha256"][:12]])
    assert code == 0
    assert run(capsys, monkeypatch, ["verify", signed])[0] == 8
    assert run(capsys, monkeypatch, ["trust", "add", str(source)])[0] == 4  # a PDF is no certificate


def test_import_seal_file_onto_the_key(tmp_path, softhsm_module, capsys, monkeypatch):
    label = f"Import{uuid.uuid4().hex[:8]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN, (demo.DEMO_SEALS[2],))
    with TokenManager(extra_modules=[softhsm_module], use_catalog=False) as manager:
        token = manager.find_token(label=label)
        with manager.open_session(token, USER_PIN) as session:
            holder_cert = session.keys()[0].certificate
    maker_ca = SoftwareCA.create("Seal Authority")
    maker = maker_ca.issue("制章机构", not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=900))

    def seal_file(name: str, certs: list[bytes]):
        path = tmp_path / f"{name}.esl"
        path.write_bytes(make_seal(maker, certs, name=name, size_mm=18))
        return path

    good = seal_file("李四私章", [holder_cert])
    code, out, err = run(
        capsys,
        monkeypatch,
        ["seals", "--import", str(good), "--token", info.serial, "--pin-stdin", "--json"],
        USER_PIN + "\n",
    )
    assert code == 0, err
    assert sorted(r["name"] for r in json.loads(out)) == ["李四", "李四私章"]
    assert all(r["verification"] == "valid" for r in json.loads(out))

    stranger = seal_file("他人印章", [maker_ca.issue("他人").cert_der])
    code, out, err = run(
        capsys, monkeypatch, ["seals", "--import", str(stranger), "--token", info.serial, "--pin-stdin"], USER_PIN + "\n"
    )
    assert code == 4 and SealNotBound().user_message(translate) in err
    softhsm.delete_token(label)
