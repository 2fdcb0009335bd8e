"""The application-layer functions the CLI is now a thin printer over (app/core/application.py): the key
choice, `seals` rows, `seals --file`, file batches with already-stamped skips, trust roots with damaged
files named, PIN-state and seal-status words — against the real SoftHSM demo key and real PDFs, and the
CLI's JSON compared with the core's data."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from documents import make_pdf
from pdf_helpers import pdfsig, qpdf_check
from testdata import USER_PIN

from app import cli, i18n
from app.core import truststore
from app.core.application import Application, pin_state_text
from app.core.errors import (
    AlreadyStamped,
    CertificateInvalid,
    DocumentNotFound,
    FileRejected,
    InvalidArgument,
    PinIncorrect,
    TokenNotFound,
)
from app.core.keys import PinState
from app.core.ses import kinds
from app.core.settings import Settings
from app.core.stamping import SpotPlacement
from app.core.views import (
    BatchStatus,
    SealRow,
    SealStatus,
    SesSignatureView,
    collect_pdf_inputs,
    inspect_seal_file,
    seal_status_text,
)

INTEROP_DIR = Path(__file__).parent / "data" / "interop"


@pytest.fixture
def app(demo_app):
    return demo_app


def _personal(demo_key) -> str:
    return next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)


def test_the_key_choice_and_the_seal_rows_match_what_the_cli_prints(app, demo_key, capsys, monkeypatch):
    key = app.select_key(demo_key.serial)
    assert key.serial == demo_key.serial and key.is_demo
    assert app.select_key().serial in {k.serial for k in app.detected_keys()}
    with pytest.raises(TokenNotFound):
        app.select_key("no-such-serial")

    listing = app.seal_listing(key, USER_PIN)
    assert not app.session_open  # logged out when the listing ends
    assert listing.unreadable == () and listing.imported is None
    assert sorted(r.seal_id for r in listing.rows) == sorted(s.es_id for s in demo_key.seals)
    for row in listing.rows:
        assert row.valid and row.status is not None and row.problems == ()
        assert row.certificate is not None and row.certificate.days_to_expiry > 600

    # `sealdesk seals --json` is exactly the rows' JSON
    monkeypatch.setattr(sys, "stdin", io.StringIO(USER_PIN + "\n"))
    code = cli.main(["seals", "--token", demo_key.serial, "--pin-stdin", "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert printed == [row.to_json(i18n.translate) for row in listing.rows]
    assert {"seal_id", "kind_name", "picture", "verification", "certificate"} <= set(printed[0])


def test_a_wrong_pin_is_said_once_and_leaves_no_session(fresh_token):
    with Application(Settings()) as application:
        key = next(k for k in application.detected_keys() if k.label == fresh_token)
        with pytest.raises(PinIncorrect):
            application.seal_listing(key, "000000")
        assert not application.session_open
        assert application.refresh_key(key).pin_state is PinState.COUNT_LOW  # one try used, not retried


def test_seal_file_and_signature_file_inspection():
    from datetime import datetime

    from app.core.clock import fixed_clock

    row = inspect_seal_file(INTEROP_DIR / "UserV4.esl", fixed_clock(datetime(2021, 1, 1)))
    assert isinstance(row, SealRow) and row.version == 4 and row.status == SealStatus.VALID
    expired = inspect_seal_file(INTEROP_DIR / "UserV4.esl")
    assert isinstance(expired, SealRow) and expired.status == SealStatus.EXPIRED and not expired.valid

    view = inspect_seal_file(INTEROP_DIR / "SignedValueV4.dat")
    assert isinstance(view, SesSignatureView) and view.signature_valid
    assert view.to_json(i18n.translate)["signed_item"] == "/Doc_0/Signs/Sign_0/Signature.xml"

    with pytest.raises(FileRejected) as caught:
        inspect_seal_file(INTEROP_DIR / "README.md")
    assert "README.md" in caught.value.user_message()


def test_inputs_are_collected_and_checked_before_the_pin(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "b.pdf", pages=1)
    make_pdf(folder / "a.pdf", pages=1)
    make_pdf(folder / "a.signed.pdf", pages=1)
    (folder / "notes.txt").write_text("not a PDF")
    assert collect_pdf_inputs([folder]) == [folder / "a.pdf", folder / "b.pdf"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidArgument):
        collect_pdf_inputs([empty])  # only signed copies or nothing: "no PDF files given"
    with pytest.raises(DocumentNotFound):
        collect_pdf_inputs([folder / "missing.pdf"])


def test_a_file_batch_stamps_once_then_skips_what_is_already_stamped(app, demo_key, tmp_path):
    docs = [make_pdf(tmp_path / f"{name}.pdf", pages=2) for name in ("one", "two")]
    seal = _personal(demo_key)
    key = app.select_key(demo_key.serial)
    placement = SpotPlacement(center_mm=(60.0, 60.0), pages="1")

    first = app.prepare_batch(docs[:1], placement, seal_query=seal)
    assert first.refused == {}
    heard = []
    lines = app.run_batch(first, key, USER_PIN, progress=heard.append)
    assert [line.status for line in lines] == [BatchStatus.SIGNED] and heard == lines
    signed = lines[0].result.output_path
    assert signed == tmp_path / "one.signed.pdf" and qpdf_check(signed).returncode == 0
    assert "Signature is Valid" in pdfsig(signed)

    again = app.prepare_batch(docs, placement, seal_query=seal)
    assert list(again.refused) == [1] and isinstance(again.refused[1], AlreadyStamped)
    lines = app.run_batch(again, key, USER_PIN)
    assert [line.status for line in lines] == [BatchStatus.SKIPPED, BatchStatus.SIGNED]
    assert lines[1].result.output_path == tmp_path / "two.signed.pdf"
    assert len(app.usage_log.records()) == 2  # the skipped document was not stamped twice

    all_done = app.prepare_batch(docs, placement, seal_query=seal)
    assert sorted(all_done.refused) == [1, 2]
    lines = app.run_batch(all_done, None, "")  # nothing to stamp: no key, no PIN, no login
    assert [line.status for line in lines] == [BatchStatus.SKIPPED, BatchStatus.SKIPPED]


def test_trust_roots_name_damaged_store_files_and_bad_extra_files(tmp_path, monkeypatch, demo_key):
    monkeypatch.setenv("SEALDESK_HOME", str(tmp_path / "home"))
    truststore.add_root(demo_key.root_cert_path)
    (truststore.trust_dir() / "broken.der").write_bytes(b"\x30\x03garbage")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with Application(Settings()) as application:
        skipped = []
        roots = application.trust_roots_reporting(on_skip=lambda path, problem: skipped.append(path.name))
        assert len(roots) == 1 and skipped == ["broken.der"]
        with pytest.raises(FileRejected) as caught:
            application.trust_roots_reporting([garbage], name_files=True)
        assert str(garbage) in caught.value.user_message()
        with pytest.raises(CertificateInvalid):  # `verify --trust` says the problem without the name
            application.trust_roots_reporting([garbage])


@pytest.mark.parametrize(
    ("lang", "state", "status"),
    [("en", "final try — one more wrong PIN locks the key", "made by an untrusted seal maker"),
     ("zh_CN", "最后一次机会——再输错一次将锁定钥匙", "由不受信任的制章者制作")],
)
def test_status_words_in_both_languages(lang, state, status):
    i18n.set_language(lang)
    assert pin_state_text(PinState.FINAL_TRY, i18n.translate) == state
    assert seal_status_text(SealStatus.UNTRUSTED_MAKER, i18n.translate) == status
    assert seal_status_text(None, i18n.translate) == "-" and seal_status_text("odd", i18n.translate) == "odd"


def test_start_in_a_new_data_folder_creates_the_demo_key_once(tmp_path, demo_key):
    """`sealdesk start` with no key at all (a new data folder, hence an empty SoftHSM store): the first-run
    rule of the application layer says so, the demo key is made once, listed, and its PIN is named."""
    import os
    import subprocess

    env = dict(os.environ, SEALDESK_HOME=str(tmp_path / "home"), SEALDESK_LANG="en")
    env.pop("SOFTHSM2_CONF", None)
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "start"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300, check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("creating the demo key") == 1, proc.stdout
    assert proc.stdout.count("SealDesk Demo") == 1 and "The demo key's PIN is 123456." in proc.stdout

    with Application(Settings()) as application:  # the parent's store: its demo key is present
        assert application.demo_key_needed() is False
