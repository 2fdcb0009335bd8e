"""`sealdesk stamp --field NAME`: signing a certified (DocMDP P=2) document in its empty signature field."""

from __future__ import annotations

import json
from pathlib import Path

from test_certified import FIELD_BOX, certified
from test_cli import run
from testdata import USER_PIN
from verifiers import pdfsig_fields

from app.core.ses import kinds


def test_stamp_into_an_existing_field_from_the_command_line(tmp_path, demo_key, issued, capsys, monkeypatch):
    source = certified(tmp_path, issued, 2, field=FIELD_BOX)
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)
    base = ["--seal", seal, "--token", demo_key.serial, "--pin-stdin"]

    # a new field is refused, naming the certification and the field to use
    code, out, err = run(capsys, monkeypatch, ["stamp", str(source), "--at", "100,100", *base], USER_PIN + "\n")
    assert code == 5
    assert "certified" in out + err and "“Approver”" in out + err and "--field" in out + err
    assert not list(tmp_path.glob("*.signed*.pdf"))

    # a field that does not exist: the empty ones are listed
    code, out, err = run(capsys, monkeypatch, ["stamp", str(source), "--field", "Boss", *base], USER_PIN + "\n")
    assert code == 5 and "“Boss”" in out + err and "“Approver”" in out + err

    # --field places the seal by itself
    code, _, err = run(
        capsys, monkeypatch, ["stamp", str(source), "--field", "Approver", "--at", "1,1", *base], USER_PIN + "\n"
    )
    assert code == 2, err

    code, out, err = run(
        capsys, monkeypatch, ["stamp", str(source), "--field", "Approver", *base, "--json"], USER_PIN + "\n"
    )
    assert code == 0, err
    output = Path(json.loads(out)[0]["output"])
    fields = pdfsig_fields(output)
    assert set(fields) == {"Certification", "Approver"}
    assert all(e.valid for group in fields.values() for e in group)
