"""验章 of OFD documents: the other implementation's signed OFDs with their expected verdicts, OFDs signed
here in software (ofd_sign_helpers, not SealDesk's stamping) and every kind of change after signing —
each reported in words by the same report model, CLI, JSON and HTML/PDF report as PDF, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import lang
import pytest
from ofd_documents import minimal_parts
from ofd_sign_helpers import (
    SIGNATURES,
    SealHolder,
    make_sm2_seal,
    other_picture,
    read_parts,
    sign_parts,
    write_parts,
)
from sm2_helpers import Sm2Key, openssl_sm2_verify, write_pem

from app import cli
from app.core import errors
from app.core.application import VerificationStatus, summarize_verification
from app.core.clock import fixed_clock
from app.core.ofd import read_ofd
from app.core.report import Finding, build_report, report_html, report_pdf_bytes
from app.core.ses import parse_ses_signature
from app.core.verification import CONTEXT, FILE_CHANGE_TEXTS, verify_document
from app.i18n import translate

SIGN = "Doc_0/Signs/Sign_0"
CONTENT = "Doc_0/Pages/Page_0/Content.xml"


def interop_roots(interop_dir: Path, name: str) -> list[bytes]:
    """Test-only trust for the other implementation's files, whose roots we do not have: the signer and
    maker certificates the file carries, pinned as roots (never a relaxation in the product)."""
    ofd = read_ofd(interop_dir / name)
    try:
        ses = parse_ses_signature(ofd.part_bytes(ofd.signatures[0].signed_value_part))
    finally:
        ofd.close()
    return [ses.cert, ses.seal.maker_cert]


@pytest.fixture(scope="module")
def holder() -> SealHolder:
    return SealHolder.create()


@pytest.fixture(scope="module")
def signed_parts(holder: SealHolder) -> dict[str, bytes]:
    return sign_parts(minimal_parts(), holder)


def _verify(path: Path, holder: SealHolder):
    return verify_document(path, trust_roots=[holder.root_der])


def _only(report):
    assert len(report.signatures) == 1
    return report.signatures[0]


def _finding(path: Path, roots: list[bytes]) -> Finding:
    report = build_report(summarize_verification(verify_document(path, trust_roots=roots)))
    return report.rows[0].finding


# --- the other implementation's files --------------------------------------------------------------
@pytest.mark.parametrize("name", ["allprotected.ofd", "signedFile.ofd"])
def test_interop_signed_ofds_are_valid_for_their_time(interop_dir: Path, name: str):
    roots = interop_roots(interop_dir, name)
    sig = _only(verify_document(interop_dir / name, trust_roots=roots))
    assert (sig.intact, sig.valid, sig.trusted, sig.cert_valid_at_signing) == (True, True, True, True)
    assert sig.seal_status == "valid" and sig.picture_check == "match" and sig.file_changes == ()
    assert sig.modification_level == "none" and sig.coverage == "entire_file"
    assert sig.all_valid and sig.expired_since(dt.datetime.now(dt.UTC))
    assert _finding(interop_dir / name, roots) is Finding.VALID_FOR_ITS_TIME
    # the same signature, without the pinned roots: intact, but its maker and signer are unknown
    untrusted = _only(verify_document(interop_dir / name))
    assert untrusted.intact and untrusted.valid and not untrusted.trusted
    assert untrusted.trust_problem == "no_trusted_path" and untrusted.seal_status == "untrusted_maker"
    assert summarize_verification(verify_document(interop_dir / name)).status is VerificationStatus.WARNING


def test_interop_signature_made_after_its_seal_expired_is_invalid(interop_dir: Path):
    # SESV4SignDoc.ofd was signed on 2026-08-04 with a certificate and seal that ended in April 2022
    name = "SESV4SignDoc.ofd"
    sig = _only(verify_document(interop_dir / name, trust_roots=interop_roots(interop_dir, name)))
    assert sig.intact and sig.valid and sig.file_changes == ()
    assert not sig.cert_valid_at_signing and sig.seal_status == "expired" and not sig.all_valid
    assert any("2022-04-22" in p for p in sig.seal_problems)
    assert _finding(interop_dir / name, interop_roots(interop_dir, name)) is Finding.SEAL_INVALID


def test_a_v1_seal_signature_verifies(interop_dir: Path, tmp_path: Path):
    # GM/T 0031-2014: the interop v1 seal and the key it binds (USER.p12), signed while both were valid
    from app.core import gm
    from app.core.ses import parse_seal

    scalar, cert = gm.load_sm2_p12((interop_dir / "USER.p12").read_bytes(), b"777777")
    seal_der = (interop_dir / "UserV1.esl").read_bytes()
    seal = parse_seal(seal_der)
    holder = SealHolder(ca=None, maker=None, signer=Sm2Key(scalar, cert), seal_der=seal_der)  # type: ignore[arg-type]
    when = seal.valid_start + dt.timedelta(days=30)
    path = write_parts(tmp_path / "v1.ofd", sign_parts(minimal_parts(), holder, version=1, time_info=when))
    sig = _only(verify_document(path, trust_roots=[cert, seal.maker_cert]))
    assert parse_ses_signature(read_parts(path)[f"{SIGN}/SignedValue.dat"]).version == 1
    assert (
        sig.intact
        and sig.valid
        and sig.trusted
        and sig.seal_status == "valid"
        and sig.picture_check == "match"
    )
    assert sig.all_valid and sig.expired_since(dt.datetime.now(dt.UTC))


def test_signed_file_with_an_ofd_vector_seal_compares_its_drawn_picture(interop_dir: Path):
    sig = _only(verify_document(interop_dir / "signedFile.ofd"))
    assert sig.report.pictures[0].page_index == 0 and sig.report.pictures[0].image is not None
    assert sig.picture_matches == (True,)


# --- OFDs signed here ------------------------------------------------------------------------------
def test_a_fresh_signature_is_valid(tmp_path: Path, holder: SealHolder, signed_parts):
    path = write_parts(tmp_path / "signed.ofd", signed_parts)
    sig = _only(_verify(path, holder))
    assert sig.all_valid and sig.seal_name == "测试单位公章" and sig.field_name == "Sign_0"
    assert _finding(path, [holder.root_der]) is Finding.VALID
    assert summarize_verification(_verify(path, holder)).status is VerificationStatus.VALID
    # the test data is genuine SM2: OpenSSL verifies the TBS_Sign signature the verifier accepted
    ses = parse_ses_signature(signed_parts[f"{SIGN}/SignedValue.dat"])
    result = openssl_sm2_verify(tmp_path, holder.signer.public_pem(), ses.tbs_der, ses.signature)
    assert result.returncode == 0, result.stderr


def test_a_second_signature_keeps_the_first_valid(tmp_path: Path, holder: SealHolder, signed_parts):
    twice = sign_parts(signed_parts, holder, boundary="120 200 40 40")
    report = _verify(write_parts(tmp_path / "twice.ofd", twice), holder)
    assert [s.field_name for s in report.signatures] == ["Sign_0", "Sign_1"]
    assert all(s.all_valid for s in report.signatures)


def test_a_whole_protected_signature_is_broken_by_a_later_one(tmp_path: Path, holder: SealHolder):
    # ofdrw's "whole protected" mode protects Signatures.xml: no later signature may be added
    first = sign_parts(minimal_parts(), holder, protect_signatures=True)
    report = _verify(write_parts(tmp_path / "twice.ofd", sign_parts(first, holder)), holder)
    assert report.signatures[0].file_changes == (("changed", SIGNATURES),) and not report.signatures[0].intact
    assert report.signatures[1].all_valid


def _tampered(tmp_path: Path, parts: dict[str, bytes], name: str = "tampered.ofd") -> Path:
    return write_parts(tmp_path / name, parts)


def test_a_changed_protected_file_is_named(tmp_path: Path, holder: SealHolder, signed_parts):
    parts = dict(signed_parts)
    parts[CONTENT] = parts[CONTENT].replace("骑缝章测试".encode(), "已被修改了".encode())
    path = _tampered(tmp_path, parts)
    sig = _only(_verify(path, holder))
    assert not sig.intact and sig.valid and sig.file_changes == (("changed", CONTENT),)
    assert not sig.all_valid and _finding(path, [holder.root_der]) is Finding.BROKEN


def test_a_removed_protected_file_is_named(tmp_path: Path, holder: SealHolder, signed_parts):
    parts = {k: v for k, v in signed_parts.items() if k != f"{SIGN}/Seal.esl"}
    sig = _only(_verify(_tampered(tmp_path, parts), holder))
    assert not sig.intact and ("removed", f"{SIGN}/Seal.esl") in sig.file_changes
    assert sig.seal_status == "picture_mismatch"  # Seal.esl, what other readers draw, is gone too


def test_an_added_file_is_a_modification(tmp_path: Path, holder: SealHolder, signed_parts):
    parts = {**signed_parts, "Doc_0/Res/later.png": other_picture()}
    path = _tampered(tmp_path, parts)
    sig = _only(_verify(path, holder))
    assert sig.intact and sig.valid and sig.modification_level == "other" and sig.coverage == "partial"
    assert sig.file_changes == (("added", "Doc_0/Res/later.png"),)
    assert _finding(path, [holder.root_der]) is Finding.MODIFIED


def test_an_added_page_is_reported(tmp_path: Path, holder: SealHolder, signed_parts):
    parts = dict(signed_parts)
    document = parts["Doc_0/Document.xml"].decode()
    parts["Doc_0/Document.xml"] = document.replace(
        "</ofd:Pages>", '<ofd:Page ID="9" BaseLoc="Pages/Page_1/Content.xml"/></ofd:Pages>'
    ).encode()
    parts["Doc_0/Pages/Page_1/Content.xml"] = parts[CONTENT]
    sig = _only(_verify(_tampered(tmp_path, parts), holder))
    assert set(sig.file_changes) == {
        ("changed", "Doc_0/Document.xml"),
        ("added", "Doc_0/Pages/Page_1/Content.xml"),
    }
    assert not sig.all_valid


@pytest.fixture(scope="module")
def other(holder: SealHolder) -> bytes:
    """Another seal of the same holder, bound to the same certificate, with another picture."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    return make_sm2_seal(
        holder.maker,
        holder.signer.certificate,
        start=now,
        end=now + dt.timedelta(days=30),
        picture=other_picture(),
    )


def test_a_signed_seal_file_with_another_picture_is_a_picture_mismatch(
    tmp_path: Path, holder: SealHolder, other
):
    # everything verifies, but Seal.esl (what other readers draw at the StampAnnot) is another seal
    path = write_parts(tmp_path / "other.ofd", sign_parts(minimal_parts(), holder, seal_file=other))
    sig = _only(_verify(path, holder))
    assert sig.intact and sig.valid and sig.trusted
    assert sig.seal_status == "picture_mismatch" and sig.picture_check == "mismatch"
    assert sig.picture_matches == (True, False)  # the signed seal's picture, then Seal.esl's
    assert _finding(path, [holder.root_der]) is Finding.PICTURE_MISMATCH


def test_a_seal_file_swapped_after_signing(tmp_path: Path, holder: SealHolder, signed_parts, other):
    sig = _only(_verify(_tampered(tmp_path, {**signed_parts, f"{SIGN}/Seal.esl": other}), holder))
    assert ("changed", f"{SIGN}/Seal.esl") in sig.file_changes and sig.seal_status == "picture_mismatch"


def test_the_picture_inside_the_signed_value_swapped(tmp_path: Path, holder: SealHolder, signed_parts):
    from pdf_helpers import seal_png

    value = signed_parts[f"{SIGN}/SignedValue.dat"]
    original = seal_png()
    assert original in value
    swapped = other_picture()
    swapped = swapped + b"\0" * (len(original) - len(swapped)) if len(swapped) <= len(original) else None
    assert swapped is not None  # same length keeps the DER lengths right
    parts = {**signed_parts, f"{SIGN}/SignedValue.dat": value.replace(original, swapped)}
    path = _tampered(tmp_path, parts)
    sig = _only(_verify(path, holder))
    # the TBS_Sign signature and the maker's signature both cover the picture
    assert not sig.valid and sig.seal_status in ("invalid", "picture_mismatch") and not sig.all_valid
    assert any("maker's signature" in p for p in sig.seal_problems)
    assert _finding(path, [holder.root_der]) is Finding.BROKEN


@pytest.mark.parametrize("damage", [b"", b"\x30\x03\x02\x01\x04", b"not a signature at all"])
def test_a_corrupt_signed_value_is_reported(tmp_path: Path, holder: SealHolder, signed_parts, damage: bytes):
    path = _tampered(tmp_path, {**signed_parts, f"{SIGN}/SignedValue.dat": damage})
    sig = _only(_verify(path, holder))
    assert not sig.intact and not sig.valid and sig.trust_problem == "malformed"
    assert sig.seal_status == "invalid" and sig.seal_problems
    assert _finding(path, [holder.root_der]) is Finding.BROKEN


def test_a_missing_signed_value_is_reported(tmp_path: Path, holder: SealHolder, signed_parts):
    parts = {k: v for k, v in signed_parts.items() if k != f"{SIGN}/SignedValue.dat"}
    sig = _only(_verify(_tampered(tmp_path, parts), holder))
    assert not sig.valid and sig.trust_problem == "malformed" and sig.seal_status == "invalid"


def test_a_changed_signature_xml_breaks_the_data_hash(tmp_path: Path, holder: SealHolder, signed_parts):
    parts = dict(signed_parts)
    parts[f"{SIGN}/Signature.xml"] = parts[f"{SIGN}/Signature.xml"].replace(
        b'Boundary="50 50', b'Boundary="90 50'
    )
    sig = _only(_verify(_tampered(tmp_path, parts), holder))
    assert not sig.intact and sig.valid and sig.file_changes == ()


def test_a_plain_sign_signature_is_a_signature_without_a_seal(tmp_path: Path, holder: SealHolder):
    parts = sign_parts(minimal_parts(), holder, kind="Sign")
    path = write_parts(tmp_path / "plain.ofd", parts)
    sig = _only(_verify(path, holder))
    assert sig.intact and sig.valid and sig.trusted and sig.cert_valid_at_signing and sig.all_valid
    assert sig.seal_status is None and not sig.has_seal and sig.report.pictures == ()
    assert _finding(path, [holder.root_der]) is Finding.NO_SEAL
    from asn1crypto import cms

    signer = cms.ContentInfo.load(parts[f"{SIGN}/SignedValue.dat"])["content"]["signer_infos"][0]
    attrs = b"\x31" + signer["signed_attrs"].dump()[1:]
    result = openssl_sm2_verify(tmp_path, holder.signer.public_pem(), attrs, signer["signature"].native)
    assert result.returncode == 0, result.stderr  # OpenSSL agrees the PKCS#7's SM2 signature is good
    # a seal signature after it keeps it valid; a change breaks it like a seal signature
    both = _verify(write_parts(tmp_path / "both.ofd", sign_parts(parts, holder)), holder)
    assert [s.has_seal for s in both.signatures] == [False, True] and all(
        s.all_valid for s in both.signatures
    )
    changed = {**parts, CONTENT: parts[CONTENT] + b" "}
    sig = _only(_verify(write_parts(tmp_path / "changed.ofd", changed), holder))
    assert not sig.intact and sig.file_changes == (("changed", CONTENT),)


def test_a_plain_signature_over_other_data_is_not_intact(tmp_path: Path, holder: SealHolder):
    from ofd_sign_helpers import cms_signed_data

    parts = sign_parts(minimal_parts(), holder, kind="Sign")
    other = cms_signed_data(holder.signer, b"<other/>", dt.datetime.now(dt.UTC))
    sig = _only(
        _verify(write_parts(tmp_path / "other.ofd", {**parts, f"{SIGN}/SignedValue.dat": other}), holder)
    )
    assert not sig.intact and sig.valid and not sig.all_valid


def test_a_plain_sign_signature_that_is_no_pkcs7(tmp_path: Path, holder: SealHolder, signed_parts):
    parts = dict(signed_parts)
    parts[SIGNATURES] = parts[SIGNATURES].replace(b'Type="Seal"', b'Type="Sign"')
    parts[f"{SIGN}/SignedValue.dat"] = b"\x30\x06\x02\x01\x01\x02\x01\x01"  # a bare signature value
    sig = _only(_verify(_tampered(tmp_path, parts), holder))
    assert not sig.valid and sig.trust_problem == "malformed" and sig.seal_status is None and not sig.has_seal


def test_the_signing_time_bounds_expiry(tmp_path: Path):
    # signed while valid; the certificate and seal ended since: valid for its time
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    old = SealHolder.create(valid_from=start, days=100)
    parts = sign_parts(minimal_parts(), old, time_info=start + dt.timedelta(days=10))
    path = write_parts(tmp_path / "old.ofd", parts)
    sig = _only(_verify(path, old))
    assert sig.all_valid and sig.expired_since(dt.datetime.now(dt.UTC))
    assert _finding(path, [old.root_der]) is Finding.VALID_FOR_ITS_TIME
    # the same, signed after the end: the seal had expired at the signing time
    late = write_parts(
        tmp_path / "late.ofd", sign_parts(minimal_parts(), old, time_info=start + dt.timedelta(days=200))
    )
    late_sig = _only(_verify(late, old))
    assert late_sig.seal_status == "expired" and not late_sig.cert_valid_at_signing and not late_sig.all_valid


def test_a_signing_time_in_the_future_is_refused(tmp_path: Path, holder: SealHolder):
    path = write_parts(
        tmp_path / "future.ofd",
        sign_parts(minimal_parts(), holder, time_info=dt.datetime.now(dt.UTC) + dt.timedelta(days=2)),
    )
    sig = verify_document(
        path, trust_roots=[holder.root_der], clock=fixed_clock(dt.datetime.now(dt.UTC))
    ).signatures[0]
    assert not sig.valid and not sig.all_valid


def test_an_unreadable_package_is_a_typed_error(tmp_path: Path):
    path = tmp_path / "broken.ofd"
    path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(errors.DocumentDamaged):
        verify_document(path)


def test_an_unsigned_ofd_has_no_signatures(interop_dir: Path):
    assert verify_document(interop_dir / "helloworld.ofd").signatures == ()


# --- the same words as PDF: CLI, JSON, report ------------------------------------------------------
def _cli(capsys, argv: list[str]) -> tuple[int, str]:
    code = cli.main(argv)
    return code, capsys.readouterr().out


def test_cli_text_and_json(tmp_path: Path, holder: SealHolder, signed_parts, capsys):
    root = write_pem(tmp_path / "root.pem", holder.root_der)
    good = write_parts(tmp_path / "good.ofd", signed_parts)
    code, out = _cli(capsys, ["verify", str(good), "--trust", str(root)])
    assert code == cli.EXIT_OK and "Sign_0" in out and "测试单位公章" in out and lang.cli("VALID") in out
    parts = {**signed_parts, CONTENT: signed_parts[CONTENT] + b" ", "Doc_0/extra.xml": b"<x/>"}
    bad = write_parts(tmp_path / "bad.ofd", parts)
    code, out = _cli(capsys, ["verify", str(bad), "--trust", str(root)])
    assert code == cli.EXIT_VERIFY_FAILED and lang.cli("NOT VALID") in out and "Traceback" not in out
    changed, added = (translate(CONTEXT, FILE_CHANGE_TEXTS[k]) for k in ("changed", "added"))
    assert re.search(rf"{re.escape(changed)}\s*[:：]?\s*{re.escape(CONTENT)}", out)
    assert re.search(rf"{re.escape(added)}.*Doc_0/extra.xml", out)
    code, out = _cli(capsys, ["verify", str(bad), "--trust", str(root), "--json"])
    data = json.loads(out)
    assert code == cli.EXIT_VERIFY_FAILED and not data["all_valid"]
    files = {(f["change"], f["file"]) for f in data["signatures"][0]["files"]}
    assert files == {("changed", CONTENT), ("added", "Doc_0/extra.xml")}
    corrupt = write_parts(tmp_path / "corrupt.ofd", {**signed_parts, f"{SIGN}/SignedValue.dat": b"junk"})
    code, out = _cli(capsys, ["verify", str(corrupt), "--json"])
    row = json.loads(out)["signatures"][0]
    assert (
        code == cli.EXIT_VERIFY_FAILED
        and row["trust_problem"] == "malformed"
        and row["seal_status"] == "invalid"
    )


def test_cli_says_valid_for_its_time(interop_dir: Path, tmp_path: Path, capsys):
    code, out = _cli(capsys, ["verify", str(interop_dir / "allprotected.ofd"), "--json"])
    data = json.loads(out)["signatures"][0]
    assert code == cli.EXIT_VERIFY_FAILED and data["seal_status"] == "untrusted_maker"  # no trusted roots
    assert data["intact"] and data["valid"] and data["picture_check"] == "match"


def test_report_html_and_pdf(tmp_path: Path, holder: SealHolder, signed_parts):
    import pymupdf

    parts = {**signed_parts, "Doc_0/extra.xml": b"<x/>"}
    path = write_parts(tmp_path / "report.ofd", parts)
    report = build_report(summarize_verification(_verify(path, holder)))
    assert report.rows[0].locations[0].page == 0 and report.rows[0].locations[0].rect_mm == (50, 50, 40, 40)
    assert report.marks() == [(0, (50.0, 50.0, 40.0, 40.0), "invalid")]
    html = report_html(report)
    assert "Doc_0/extra.xml" in html and "modified after signing" in html
    with pymupdf.open(stream=report_pdf_bytes(report), filetype="pdf") as pdf:
        text = "".join(page.get_text() for page in pdf)
    assert "Doc_0/extra.xml" in text.replace("\n", "")


def test_zip_with_directory_entries_still_verifies(tmp_path: Path, holder: SealHolder, signed_parts):
    path = tmp_path / "dirs.ofd"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Doc_0/", b"")
        for name, data in signed_parts.items():
            archive.writestr(name, data)
    assert _only(_verify(path, holder)).all_valid


def test_a_changed_interop_file_is_reported(interop_dir: Path, tmp_path: Path):
    parts = read_parts(interop_dir / "signedFile.ofd")
    parts["Doc_0/Attachs/original_invoice.xml"] += b"<!-- changed -->"
    del parts["Doc_0/Tags/CustomTag.xml"]
    path = write_parts(tmp_path / "invoice.ofd", parts)
    sig = _only(verify_document(path, trust_roots=interop_roots(interop_dir, "signedFile.ofd")))
    assert set(sig.file_changes) == {
        ("changed", "Doc_0/Attachs/original_invoice.xml"),
        ("removed", "Doc_0/Tags/CustomTag.xml"),
    }
    assert not sig.intact and sig.valid and not sig.all_valid


def test_the_benchmark_runs(interop_dir: Path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.bench_ofd_verify import bench_verify, report_lines

    timing = bench_verify(interop_dir / "allprotected.ofd", repeat=1)
    assert timing.samples and "allprotected.ofd" in report_lines({"allprotected.ofd": timing})[2]


def test_a_file_named_many_times_is_hashed_once(
    tmp_path: Path, holder: SealHolder, signed_parts, monkeypatch
):
    from app.core.ofd import verify as ofd_verify

    parts = dict(signed_parts)
    xml = parts[f"{SIGN}/Signature.xml"]
    ref = xml[xml.index(b"<ofd:Reference ") : xml.index(b"</ofd:Reference>") + len(b"</ofd:Reference>")]
    parts[f"{SIGN}/Signature.xml"] = xml.replace(ref, ref * 500)  # a hostile file: one Reference 500 times
    calls: list[int] = []
    real = ofd_verify.digest
    monkeypatch.setattr(ofd_verify, "digest", lambda method, data: calls.append(1) or real(method, data))
    sig = _only(_verify(_tampered(tmp_path, parts), holder))
    assert not sig.intact  # Signature.xml changed: the dataHash says so
    assert len(calls) == len(re.findall(rb"<ofd:Reference ", xml))


def test_a_hostile_reference_is_named_safely(tmp_path: Path, holder: SealHolder, signed_parts):
    parts = dict(signed_parts)
    xml = parts[f"{SIGN}/Signature.xml"]
    parts[f"{SIGN}/Signature.xml"] = xml.replace(
        b"</ofd:References>",
        b'<ofd:Reference FileRef="/../../etc/passwd&#10;Result: VALID"><ofd:CheckValue>AA==</ofd:CheckValue>'
        b"</ofd:Reference></ofd:References>",
    )
    sig = _only(_verify(_tampered(tmp_path, parts), holder))
    assert not sig.intact and len(sig.file_changes) == 1
    kind, name = sig.file_changes[0]
    assert kind == "unreadable" and "\n" not in name and "\\u000a" in name
