"""Real documents: owner-password-only files, malformed files, resumed batches, checks before the PIN.

Every case runs the real CLI (`python -m app.cli`) against the demo key (SoftHSM) or the core against a
real session, and checks the outputs with independent verifiers: pyHanko's validator with default
settings, pdfsig and qpdf.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lang
import pymupdf
import pytest
from documents import make_pdf
from testdata import USER_PIN
from verifiers import pdfsig, qpdf_check

from app.core.errors import AlreadyStamped, DocumentDamaged, DocumentEncrypted, PageOutOfRange, SealOffPage
from app.core.ses import kinds
from app.i18n import translate

# --- helpers ----------------------------------------------------------------------------------------


def personal_seal(demo_key) -> str:
    return next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)


def contract_seal(demo_key) -> str:
    return next(s.es_id for s in demo_key.seals if s.seal_type == kinds.CONTRACT)


def cli(*argv: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line in a child process (what a user runs)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env if env is not None else dict(os.environ),
        check=False,
        timeout=120,
    )


def stamp_cli(demo_key, *argv: str, stdin: str = USER_PIN + "\n", seal: str | None = None):
    return cli(
        "stamp", *argv, "--seal", seal or personal_seal(demo_key), "--token", demo_key.serial, "--pin-stdin",
        stdin=stdin,
    )  # fmt: skip


def raw_pdf(objects: dict[int, bytes], root: int = 1) -> bytes:
    """A PDF written by hand (classic xref table with correct offsets): the structure is whatever
    `objects` say, however wrong, so that the damage reaches pyHanko instead of a repairing writer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[number]) if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    return bytes(out)


def append_object(source: Path, target: Path, number: int, body: bytes) -> Path:
    """`source` plus an incremental update that replaces object `number` by `body` (hand-written)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    data = source.read_bytes()
    with source.open("rb") as file:
        reader = PdfFileReader(file, strict=False)
        size, root, prev = int(reader.trailer["/Size"]), reader.trailer.raw_get("/Root").idnum, reader.last_startxref
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offset = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \n" % (number, offset)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, prev, xref)
    target.write_bytes(bytes(out))
    return target


CONTENT = b"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 720 Td (Hello) Tj ET\n\nendstream"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R %s >>"
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"

MALFORMED = {
    # /AcroForm whose /Fields holds an integer object, a field with a number as name and junk
    "acroform_junk": {
        1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R 6 0 R (junk) 7] >> >>",
        2: PAGES, 3: PAGE % b"", 4: CONTENT, 5: b"42", 6: b"<< /FT /Sig /T 12 /Kids 5 0 R >>",
    },
    # /AcroForm /Fields is the page tree (a dictionary, not an array)
    "fields_is_a_dict": {
        1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields 2 0 R >> >>", 2: PAGES, 3: PAGE % b"", 4: CONTENT,
    },
    # the page's /Annots is the page dictionary itself
    "annots_is_the_page": {1: CATALOG, 2: PAGES, 3: PAGE % b"/Annots 3 0 R", 4: CONTENT},
    # /Kids loop: the page tree's only kid is a node whose kid is the root again
    "kids_loop": {
        1: CATALOG, 2: b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>", 3: PAGE % b"", 4: CONTENT,
        5: b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
    },
}  # fmt: skip


# --- 1. owner-password-only files -----------------------------------------------------------------


def _owner_only_pymupdf(path: Path) -> Path:
    make_pdf(path.with_suffix(".plain.pdf"), pages=2)
    with pymupdf.open(path.with_suffix(".plain.pdf")) as doc:
        doc.save(
            path, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner-secret", user_pw="",
            permissions=pymupdf.PDF_PERM_PRINT,  # "no editing, no copying"
        )  # fmt: skip
    path.with_suffix(".plain.pdf").unlink()
    return path


def _owner_only_qpdf(path: Path) -> Path:
    plain = make_pdf(path.with_suffix(".plain.pdf"), pages=2)
    subprocess.run(
        ["qpdf", "--encrypt", "", "owner-secret", "128", "--use-aes=y", "--modify=none", "--extract=n", "--",
         str(plain), str(path)],
        check=True,
    )  # fmt: skip
    plain.unlink()
    return path


@pytest.mark.parametrize("make", [_owner_only_pymupdf, _owner_only_qpdf], ids=["pymupdf-aes256", "qpdf-aes128"])
def test_owner_password_only_pdf_is_stamped_and_verifies(tmp_path, demo_key, make):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    source = make(tmp_path / "no-editing.pdf")
    with pymupdf.open(source) as doc:  # what a viewer sees: encrypted, opens without a password
        assert doc.is_encrypted is False and doc.needs_pass == 0 and doc.metadata["encryption"]
    before = source.read_bytes()

    proc = stamp_cli(demo_key, str(source), "--at", "60,60", "--page", "2")
    assert proc.returncode == 0, proc.stderr
    output = tmp_path / "no-editing.signed.pdf"
    assert source.read_bytes() == before

    # pyHanko's validator, default settings, after the empty user password. PyMuPDF writes /Encrypt as a
    # direct dictionary, which pyHanko's strict reader refuses in the input already: lenient reader there.
    strict = make is _owner_only_qpdf
    with output.open("rb") as file:
        reader = PdfFileReader(file, strict=strict)
        assert reader.encrypted  # the update is encrypted like the original (no way to remove it)
        reader.decrypt(b"")
        (signature,) = reader.embedded_regular_signatures
        status = validate_pdf_signature(signature)
        assert status.intact and status.valid, status.pretty_print_details()
        assert status.coverage.name == "ENTIRE_FILE"
    (sig,) = pdfsig(output)
    assert sig.valid and sig.total_document, sig.text
    assert qpdf_check(output)[0]
    shown = subprocess.run(["qpdf", "--show-encryption", str(output)], capture_output=True, text=True, check=False)
    assert "User password = \n" in shown.stdout or "User password =\n" in shown.stdout, shown.stdout

    proc = cli("verify", str(output), "--json")  # SealDesk's own verification opens it too
    report = json.loads(proc.stdout)
    assert report["signatures"][0]["intact"] is True and report["signatures"][0]["valid"] is True, proc.stdout


def test_file_that_needs_a_password_to_open_is_refused(tmp_path, demo_key):
    plain = make_pdf(tmp_path / "plain.pdf", pages=1)
    secret = tmp_path / "secret.pdf"
    subprocess.run(["qpdf", "--encrypt", "user-pw", "owner-pw", "256", "--", str(plain), str(secret)], check=True)
    proc = stamp_cli(demo_key, str(secret), "--at", "60,60", stdin="")  # refused before any PIN is read
    assert proc.returncode == 5, proc.stderr
    encrypted = DocumentEncrypted(name="secret.pdf").user_message(translate)
    assert encrypted in proc.stderr and "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("secret.signed*"))
    proc = cli("verify", str(secret))
    assert proc.returncode == 5 and encrypted in proc.stderr, proc.stderr


# --- 2. malformed files -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_pdf_is_a_damaged_document_when_stamping(tmp_path, demo_key, case):
    source = tmp_path / f"{case}.pdf"
    source.write_bytes(raw_pdf(MALFORMED[case]))
    proc = stamp_cli(demo_key, str(source), "--at", "60,60")
    assert proc.returncode == 5, (proc.stdout, proc.stderr)
    assert DocumentDamaged(name=f"{case}.pdf").user_message(translate) in proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr
    assert not list(tmp_path.glob(f"{case}.signed*"))
    proc = cli("verify", str(source))  # never an unexpected error (1): damaged, or a finding
    assert proc.returncode in (5, 8) and "Traceback" not in proc.stderr, proc.stderr


def test_malformed_signed_pdf_is_a_damaged_document_when_verifying(tmp_path, demo_key):
    from pyhanko.pdf_utils.reader import PdfFileReader

    source = make_pdf(tmp_path / "good.pdf", pages=1)
    assert stamp_cli(demo_key, str(source), "--at", "60,60").returncode == 0
    signed = tmp_path / "good.signed.pdf"
    with signed.open("rb") as file:
        reader = PdfFileReader(file)
        field = reader.root["/AcroForm"]["/Fields"].raw_get(0)
        value = reader.root["/AcroForm"]["/Fields"][0].raw_get("/V")
    damaged = {
        "value_is_a_number": (field.idnum, b"<< /FT /Sig /T (x) /Subtype /Widget /Rect [0 0 1 1] /V 5 >>"),
        "byterange_is_a_number": (
            value.idnum, b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange 7 /Contents 5 >>"
        ),
    }  # fmt: skip
    for name, (number, body) in damaged.items():
        broken = append_object(signed, tmp_path / f"{name}.pdf", number, body)
        proc = cli("verify", str(broken))
        assert proc.returncode == 5, (name, proc.stdout, proc.stderr)
        damaged_message = DocumentDamaged(name=f"{name}.pdf").user_message(translate)
        assert damaged_message in proc.stderr
        proc = stamp_cli(demo_key, str(broken), "--at", "60,60")
        assert proc.returncode == 5 and damaged_message in proc.stderr, (name, proc.stderr)


# --- 3. batches resume ------------------------------------------------------------------------------


def test_batch_runs_again_skip_what_is_already_stamped(tmp_path, demo_key):
    folder = tmp_path / "batch"
    folder.mkdir()
    for name in ("a", "b", "c"):
        make_pdf(folder / f"{name}.pdf", pages=1)
    outputs = [folder / f"{n}.signed.pdf" for n in ("a", "b", "c")]

    first = stamp_cli(demo_key, str(folder), "--at", "60,60")
    assert first.returncode == 0, first.stderr
    assert all(o.exists() for o in outputs) and _summary(3, 0, 0) in first.stdout
    stamped_bytes = [o.read_bytes() for o in outputs]

    second = stamp_cli(demo_key, str(folder), "--at", "60,60", stdin="")  # nothing to do: no PIN asked
    assert second.returncode == 0, second.stderr
    _no_pin_read(second)
    assert _summary(0, 3, 0) in second.stdout
    assert second.stdout.count("[") == 3 and _skipped_line(3, folder / "b.pdf", "b.signed.pdf") in second.stdout
    assert [o.read_bytes() for o in outputs] == stamped_bytes
    assert sorted(p.name for p in folder.iterdir()) == ["a.pdf", "a.signed.pdf", "b.pdf", "b.signed.pdf",
                                                        "c.pdf", "c.signed.pdf"]  # fmt: skip

    by_name = stamp_cli(demo_key, str(folder), "--at", "60,60", seal="李四")  # seal by name: decided after the PIN
    assert by_name.returncode == 0 and _summary(0, 3, 0) in by_name.stdout

    outputs[1].unlink()  # one output lost: only that document is stamped again
    third = stamp_cli(demo_key, str(folder), "--at", "60,60", "--json")
    assert third.returncode == 0, third.stderr
    rows = {Path(r["input"]).name: r for r in json.loads(third.stdout)}
    assert rows["a.pdf"]["skipped"] == str(outputs[0]) and rows["c.pdf"]["skipped"] == str(outputs[2])
    assert rows["b.pdf"]["output"] == str(outputs[1]) and rows["b.pdf"]["skipped"] is None
    assert outputs[0].read_bytes() == stamped_bytes[0]

    again = stamp_cli(demo_key, str(folder), "--at", "60,60", "--again")
    assert again.returncode == 0, again.stderr
    assert _summary(3, 0, 0) in again.stdout
    for name in ("a", "b", "c"):
        renewed = folder / f"{name}.signed-2.pdf"
        (sig,) = pdfsig(renewed)
        assert sig.valid and sig.total_document

    # another seal's stamping is not "already stamped" by this seal: a new output beside it
    other = stamp_cli(demo_key, str(folder / "a.signed.pdf"), "--at", "120,120", "--approval", "SP-1",
                      seal=contract_seal(demo_key))  # fmt: skip
    assert other.returncode == 0, other.stderr
    again_personal = stamp_cli(demo_key, str(folder / "a.pdf"), "--at", "60,60")
    assert _already("a.signed.pdf") in again_personal.stdout  # a.signed.pdf itself is unchanged


def test_batch_with_an_output_folder_resumes_and_a_damaged_output_is_not_done(tmp_path, demo_key):
    sources = [make_pdf(tmp_path / f"doc{i}.pdf", pages=1) for i in range(2)]
    out = tmp_path / "out"
    out.mkdir()
    args = [*(str(s) for s in sources), "--at", "60,60", "--out", str(out)]
    assert stamp_cli(demo_key, *args).returncode == 0
    tampered = out / "doc1.signed.pdf"
    data = bytearray(tampered.read_bytes())
    assert data[9:10] == b"%"  # the binary comment on the 2nd line: signed bytes, harmless to the syntax
    data[11] ^= 0x01  # the signed bytes changed: not an intact stamping any more
    tampered.write_bytes(bytes(data))
    assert not pdfsig(tampered)[0].valid
    proc = stamp_cli(demo_key, *args)
    assert proc.returncode == 0, proc.stderr
    assert _already("doc0.signed.pdf") in proc.stdout
    assert (out / "doc1.signed-2.pdf").exists()
    signed = lang.cli("[{n}/{total}] signed {src} → {dst}", n=2, total=2, src=sources[1], dst=out / "doc1.signed-2.pdf")
    assert signed in proc.stdout, proc.stdout
    assert _summary(1, 1, 0) in proc.stdout


# --- 4. checks before the PIN -----------------------------------------------------------------------


def _summary(ok: int, skipped: int, failed: int) -> str:
    """The batch summary line in the suite's language."""
    summary = "{ok} signed, {skipped} already stamped (skipped), {failed} failed."
    return lang.cli(summary, ok=ok, skipped=skipped, failed=failed)


def _already(output: str) -> str:
    return AlreadyStamped(output=output).user_message(translate)


def _skipped_line(total: int, src: Path, output: str) -> str:
    """The end of a "[n/total] skipped src: already stamped (output)" line (n is not checked)."""
    line = lang.cli("[{n}/{total}] skipped {src}: {reason}", n=1, total=total, src=src, reason=_already(output))
    return line.split("]", 1)[1]


def _page_2_of_1() -> str:
    return PageOutOfRange(page=2, count=1).user_message(translate)


def _no_pin_read(proc: subprocess.CompletedProcess) -> None:
    """With --pin-stdin and an empty stdin, reading the PIN fails with "empty PIN": any other error
    proves that the check ran before the PIN was asked for."""
    assert lang.cli("empty PIN") not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_checks_before_the_pin(tmp_path, demo_key, monkeypatch):
    monkeypatch.setenv("SEALDESK_LANG", "en")  # the English messages on purpose: exact wording of each refusal
    doc = make_pdf(tmp_path / "three.pdf", pages=3, keyword_at={1: (300, 600)})
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_text("just some text, not a PDF")
    cases = [
        (["--page", "5", "--at", "60,60"], 5, "Page 5 does not exist (the document has 3 pages)."),
        (["--pages", "1,-4", "--at", "60,60"], 5, "does not exist (the document has 3 pages)"),
        (["--keyword", "不存在", "--pages", "9"], 5, "does not exist"),
        (["--keyword", "不存在"], 5, "The text “不存在” was not found in the document."),
        (["--at", "250,100"], 5, "The position 250,100 mm is not on page 1, which is 210×297 mm"),
        (["--cross-page", "--pages", "1-4"], 5, "does not exist"),
        (["--at", "60,60", "--keyword", "（盖章）"], 2, "--at cannot be combined with --keyword"),
        (["--at", "60,60", "--cross-page"], 2, "--at cannot be combined"),
        (["--at", "60,60", "--tsa", "ftp://tsa.example"], 2, "--tsa"),
    ]
    for extra, code, text in cases:
        proc = stamp_cli(demo_key, str(doc), *extra, stdin="")
        assert proc.returncode == code and text in proc.stderr, (extra, proc.stderr)
        _no_pin_read(proc)
    proc = stamp_cli(demo_key, str(not_pdf), "--at", "60,60", stdin="")
    assert proc.returncode == 5 and "notes.pdf is damaged or not a PDF" in proc.stderr, proc.stderr
    _no_pin_read(proc)
    assert not list(tmp_path.glob("*.signed*"))

    home = tmp_path / "home"  # invalid settings: the hash algorithm is checked before the key is touched
    home.mkdir()
    (home / "settings.json").write_text('{"hash_name": "md5"}')
    proc = cli("stamp", str(doc), "--seal", "X", "--at", "60,60", "--pin-stdin", env=dict(os.environ, SEALDESK_HOME=str(home)))
    assert proc.returncode == 2 and "hash_name" in proc.stderr, proc.stderr
    _no_pin_read(proc)

    proc = cli("seals", "--import", str(tmp_path / "missing.esl"), "--token", demo_key.serial, "--pin-stdin")
    assert proc.returncode == 2 and "missing.esl" in proc.stderr, proc.stderr
    _no_pin_read(proc)
    proc = cli("seals", "--import", str(not_pdf), "--token", demo_key.serial, "--pin-stdin")
    assert proc.returncode == 4 and "notes.pdf" in proc.stderr, proc.stderr
    _no_pin_read(proc)


def test_batch_with_a_bad_file_stamps_the_others(tmp_path, demo_key):
    good = make_pdf(tmp_path / "good.pdf", pages=1)
    short = make_pdf(tmp_path / "short.pdf", pages=1)
    proc = stamp_cli(demo_key, str(good), str(short), "--pages", "1,2", "--at", "60,60", stdin="")
    assert proc.returncode == 5, proc.stderr  # neither has a page 2: both refused, no PIN asked at all
    for n, path in ((1, good), (2, short)):
        failed = lang.cli("[{n}/{total}] FAILED {src}: {error}", n=n, total=2, src=path, error=_page_2_of_1())
        assert failed in proc.stderr, proc.stderr
    _no_pin_read(proc)
    assert not list(tmp_path.glob("*.signed*"))
    three = make_pdf(tmp_path / "three.pdf", pages=3)
    proc = stamp_cli(demo_key, str(three), str(short), "--pages", "1,2", "--at", "60,60")
    assert proc.returncode == 5, proc.stderr
    signed = lang.cli("[{n}/{total}] signed {src} → {dst}", n=1, total=2, src=three, dst=tmp_path / "three.signed.pdf")
    assert signed in proc.stdout, proc.stdout
    assert lang.cli("[{n}/{total}] FAILED {src}: {error}", n=2, total=2, src=short, error=_page_2_of_1()) in proc.stderr
    assert _summary(1, 0, 1) in proc.stdout
    assert (tmp_path / "three.signed.pdf").exists() and not (tmp_path / "short.signed.pdf").exists()


def test_seal_partly_off_the_page_is_refused_with_the_page_size(tmp_path, demo_key):
    doc = make_pdf(tmp_path / "edge.pdf", pages=2, keyword_at={1: (520, 830)})
    proc = stamp_cli(demo_key, str(doc), "--at", "5,5")  # the centre is on the page, the seal is not
    assert proc.returncode == 5, proc.stderr
    off_page = SealOffPage(seal_width=18, seal_height=18, x=5, y=5, page=1, width=210, height=297)
    assert off_page.user_message(translate) in proc.stderr, proc.stderr
    proc = stamp_cli(demo_key, str(doc), "--keyword", "（盖章）")  # a keyword at the bottom-right corner
    template = translate("errors", SealOffPage.message)
    page_2 = template[template.index("{page}") :].format(page=2, width=210, height=297)  # the centre is found
    assert proc.returncode == 5 and page_2 in proc.stderr, proc.stderr
    assert not list(tmp_path.glob("*.signed*"))
    proc = stamp_cli(demo_key, str(doc), "--cross-page")  # slices sit on the edge by design
    assert proc.returncode == 0, proc.stderr


# --- 5. memory --------------------------------------------------------------------------------------


def test_stamping_a_large_pdf_holds_no_copy_of_it_in_memory(tmp_path, demo_key):
    """Peak RSS of `sealdesk stamp` on a 24 MiB PDF minus that on a small one stays far below the input
    size: the input is parsed from the file and pyHanko writes into the output file (one in-memory copy of
    the document would already cost 1 × the input; before the change it was 2 ×)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the benchmarks package, as in its smoke test
    from benchmarks.bench_stamp import _child_peak_mib
    from benchmarks.common import make_big_pdf

    big = make_big_pdf(tmp_path / "big.pdf", 24)
    small = make_pdf(tmp_path / "small.pdf", pages=1)
    input_mib = big.stat().st_size / 2**20
    peaks = {}
    for pdf in (small, big):
        args = [sys.executable, "-m", "app.cli", "stamp", str(pdf), "--seal", personal_seal(demo_key), "--at", "60,60",
                "--token", demo_key.serial, "--pin-stdin"]  # fmt: skip
        peaks[pdf.name] = _child_peak_mib(args, env=dict(os.environ), stdin=USER_PIN + "\n", cwd=tmp_path)
    extra = peaks["big.pdf"] - peaks["small.pdf"]
    assert extra < 0.5 * input_mib, (input_mib, peaks)
    (sig,) = pdfsig(tmp_path / "big.signed.pdf")
    assert sig.valid and sig.total_document
