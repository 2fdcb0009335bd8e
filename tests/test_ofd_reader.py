"""Reading OFD packages: the model the viewer and the signature code use (parts, pages in mm, resources,
templates, annotations, attachments, Signatures.xml with References and StampAnnots, both BaseLoc forms,
namespace variants), and hostile or damaged packages refused with typed, translated errors."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest
from ofd_documents import NS, minimal_parts, write_ofd

from app.core import errors
from app.core.document import OfdViewDocument, PdfDocument, open_document
from app.core.ofd import ZipLimits, read_ofd
from app.core.ses.parse import parse_ses_signature

INTEROP = Path(__file__).parent / "data" / "interop"


def test_every_interop_ofd_opens_with_its_pages_in_mm():
    expected = {
        "20240531141733.ofd": [(210, 140)], "Page5.ofd": [(210, 297)] * 5, "VPage7.ofd": [(210, 297)] * 5,
        "helloworld.ofd": [(210, 297)], "keyword.ofd": [(283, 196)], "keyword2.ofd": [(210, 297)] * 2,
        "z.ofd": [(210, 297)] * 4, "signedFile.ofd": [(210, 140)], "SESV4SignDoc.ofd": [(210, 297)],
    }
    for name, sizes in expected.items():
        with open_document(INTEROP / name) as doc:
            assert isinstance(doc, OfdViewDocument)
            assert [doc.page_size_mm(i) for i in range(doc.page_count)] == [(float(w), float(h)) for w, h in sizes], name


def test_signatures_references_and_stamp_annotations():
    """SESV4SignDoc.ofd (ofdrw): one seal signature; every reference names a part whose SM3 the file
    states; the StampAnnot is on page 1 at 50,50 40×40 mm; SignedValue.dat is a v4 SES_Signature."""
    from app.core.gm import sm3

    ofd = read_ofd(INTEROP / "SESV4SignDoc.ofd")
    try:
        assert ofd.signatures_part == "Doc_0/Signs/Signatures.xml"
        (sig,) = ofd.signatures
        assert (sig.type, sig.part, sig.check_method) == ("Seal", "Doc_0/Signs/Sign_0/Signature.xml", "SM3")
        assert {r.part for r in sig.references} == {
            "OFD.xml", "Doc_0/PublicRes.xml", "Doc_0/Pages/Page_0/Content.xml", "Doc_0/Signs/Sign_0/Seal.esl",
            "Doc_0/Document.xml",
        }
        for ref in sig.references:
            assert base64.b64decode(ref.check_value) == sm3(ofd.part_bytes(ref.part))
        (stamp,) = sig.stamp_annots
        assert (stamp.page_index, stamp.boundary) == (0, (50.0, 50.0, 40.0, 40.0))
        value = parse_ses_signature(ofd.part_bytes(sig.signed_value_part))
        assert value.data_hash == sm3(ofd.part_bytes(sig.part))
        assert set(ofd.part_names()) >= {"OFD.xml", sig.part, sig.signed_value_part}
    finally:
        ofd.close()


def test_older_namespace_absolute_locations_and_plain_signatures():
    """keyword.ofd: namespace http://www.ofdspec.org (no /2016), absolute BaseLoc "/Doc_0/Signs/…", a Seal
    and a plain Type="Sign" signature, a background template, an Annotations.xml that is named but absent."""
    ofd = read_ofd(INTEROP / "keyword.ofd")
    try:
        assert [(s.id, s.type) for s in ofd.signatures] == [("2", "Seal"), ("4", "Sign")]
        assert ofd.signatures[1].stamp_annots == ()
        assert [t.zorder for t in ofd.pages[0].templates] == ["Background"]
        assert ofd.resources.fonts["7"].file_part == "Doc_0/Res/Font7.ttf"
        assert ofd.resources.media["5"].file_part == "Doc_0/Res/image_1_5.png"
        assert any("Annotations.xml" in p for p in ofd.problems)
    finally:
        ofd.close()


def test_attachments_annotations_draw_params_and_relative_and_absolute_pages():
    ofd = read_ofd(INTEROP / "signedFile.ofd")
    try:
        (attachment,) = ofd.attachments
        assert (attachment.name, attachment.file_part) == ("original_invoice", "Doc_0/Attachs/original_invoice.xml")
        assert ofd.part_bytes(attachment.file_part).startswith(b"<?xml")
        assert [a.type for a in ofd.pages[0].annotations] == ["Stamp"]
        assert ofd.resources.draw_params["4"].element is not None
        assert ofd.resources.media["80"].format == "GBIG2"
    finally:
        ofd.close()
    ofd = read_ofd(INTEROP / "path_unstd.ofd")  # "/Doc_0/Pages/Page_0/…" and "Pages/Page_Insert_55_2/…"
    try:
        assert [p.part for p in ofd.pages] == ["Doc_0/Pages/Page_0/Content.xml",
                                                "Doc_0/Pages/Page_Insert_55_2/Content.xml"]
        assert [t.id for t in ofd.pages[1].templates] == ["57"]
    finally:
        ofd.close()


@pytest.mark.parametrize("variant", ["default-namespace", "no-namespace"])
def test_namespace_variants(tmp_path: Path, variant: str):
    parts = minimal_parts()
    for name, text in parts.items():
        text = text.replace("ofd:", "")
        text = text.replace("xmlns:ofd=", "xmlns=") if variant == "default-namespace" else text.replace(
            f' xmlns:ofd="{NS}"', "")
        parts[name] = text
    with open_document(write_ofd(tmp_path / "ns.ofd", parts)) as doc:
        assert doc.page_size_mm(0) == (210.0, 297.0)
        assert [h.page for h in doc.search("缝章")] == [0]
        page = doc.render(0, 25.4)  # 1 px per mm: the blue box at 20..70, 40..70 mm
        pixel = page.samples[55 * page.stride + 45 * 3: 55 * page.stride + 45 * 3 + 3]
        assert tuple(pixel) == (0, 0, 255)


def test_pdf_still_opens_as_pdf(tmp_path: Path):
    import pymupdf

    pdf = pymupdf.open()
    pdf.new_page()
    pdf.save(tmp_path / "a.pdf")
    with open_document(tmp_path / "a.pdf") as doc:
        assert isinstance(doc, PdfDocument)


# --- hostile and damaged packages ------------------------------------------------------------------
def _refused(path: Path, kind: type[errors.SealDeskError]) -> errors.SealDeskError:
    with pytest.raises(kind) as caught:
        open_document(path)
    message = caught.value.user_message()
    assert path.name in message and "Traceback" not in message
    assert caught.value.exit_code == errors.DocumentError.exit_code
    return caught.value


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path):
    parts = minimal_parts()
    parts["Doc_0/Res/zeros.bin"] = b"\0" * (8 << 20)  # 8 MiB of zeros deflate to ~8 KiB: ratio ~1000
    error = _refused(write_ofd(tmp_path / "bomb.ofd", parts), errors.OfdUnsafe)
    assert "zip bomb" in error.user_message()
    small = ZipLimits(max_total_bytes=1000)
    with pytest.raises(errors.OfdUnsafe):
        read_ofd(write_ofd(tmp_path / "big.ofd", minimal_parts() | {"x.bin": b"1" * 2000}), small)
    with pytest.raises(errors.OfdUnsafe):
        read_ofd(write_ofd(tmp_path / "many.ofd", minimal_parts()), ZipLimits(max_entries=3))


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/evil.xml", "Doc_0\\..\\evil.xml", "Doc_0/../../evil.xml",
                                  "C:/evil.xml"])
def test_path_traversal_in_entries_is_refused(tmp_path: Path, name: str):
    error = _refused(write_ofd(tmp_path / "t.ofd", minimal_parts() | {name: "x"}), errors.OfdUnsafe)
    assert "outside the package" in error.user_message()


@pytest.mark.parametrize("location", ["../../../etc/passwd", "Pages\\Page_0\\Content.xml", "/../x.xml"])
def test_path_traversal_in_locations_is_refused(tmp_path: Path, location: str):
    parts = minimal_parts()
    parts["Doc_0/Document.xml"] = parts["Doc_0/Document.xml"].replace("Pages/Page_0/Content.xml", location)
    _refused(write_ofd(tmp_path / "loc.ofd", parts), errors.OfdUnsafe)


def test_billion_laughs_and_external_entities_are_refused(tmp_path: Path):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
        + f']><ofd:Document xmlns:ofd="{NS}"><ofd:Pages>&lol9;</ofd:Pages></ofd:Document>'
    )
    error = _refused(write_ofd(tmp_path / "laughs.ofd", minimal_parts() | {"Doc_0/Document.xml": laughs}),
                     errors.OfdUnsafe)
    assert "entities" in error.user_message()
    external = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                f'<ofd:Document xmlns:ofd="{NS}">&x;</ofd:Document>')
    _refused(write_ofd(tmp_path / "xxe.ofd", minimal_parts() | {"Doc_0/Document.xml": external}), errors.OfdUnsafe)
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY x "y">]>'
             f'<ofd:Document xmlns:ofd="{NS}">&x;</ofd:Document>').encode("utf-16")
    _refused(write_ofd(tmp_path / "utf16.ofd", minimal_parts() | {"Doc_0/Document.xml": utf16}), errors.OfdUnsafe)


def test_missing_parts_are_named(tmp_path: Path):
    parts = minimal_parts()
    del parts["Doc_0/Document.xml"]
    error = _refused(write_ofd(tmp_path / "nodoc.ofd", parts), errors.OfdPartMissing)
    assert "Doc_0/Document.xml" in error.user_message()
    parts = minimal_parts()
    del parts["Doc_0/Pages/Page_0/Content.xml"]
    error = _refused(write_ofd(tmp_path / "nopage.ofd", parts), errors.OfdPartMissing)
    assert "Doc_0/Pages/Page_0/Content.xml" in error.user_message()
    parts = minimal_parts()
    del parts["OFD.xml"]
    assert "OFD.xml" in _refused(write_ofd(tmp_path / "noroot.ofd", parts), errors.OfdPartMissing).user_message()


def test_truncated_non_zip_and_broken_xml(tmp_path: Path):
    whole = write_ofd(tmp_path / "whole.ofd", minimal_parts()).read_bytes()
    (tmp_path / "cut.ofd").write_bytes(whole[: len(whole) // 2])
    _refused(tmp_path / "cut.ofd", errors.OfdDamaged)
    (tmp_path / "text.ofd").write_text("not a zip at all")
    assert "not a zip" in _refused(tmp_path / "text.ofd", errors.OfdDamaged).user_message()
    broken = minimal_parts() | {"Doc_0/Pages/Page_0/Content.xml": "<ofd:Page xmlns:ofd='x'><unclosed>"}
    assert "well-formed" in _refused(write_ofd(tmp_path / "xml.ofd", broken), errors.OfdDamaged).user_message()
    no_box = minimal_parts()
    no_box["Doc_0/Document.xml"] = no_box["Doc_0/Document.xml"].replace("0 0 210 297", "0 0 0 0")
    _refused(write_ofd(tmp_path / "nobox.ofd", no_box), errors.OfdDamaged)


def test_encrypted_entry_is_a_typed_error(tmp_path: Path):
    path = write_ofd(tmp_path / "enc.ofd", minimal_parts())
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo("OFD.xml").header_offset
    data[offset + 6] |= 1  # the local header's "encrypted" flag; the central directory's too
    central = data.rfind(b"PK\x01\x02", 0)
    while central >= 0:
        data[central + 8] |= 1
        central = data.rfind(b"PK\x01\x02", 0, central)
    path.write_bytes(bytes(data))
    _refused(path, errors.OfdDamaged)


def test_messages_are_translated(tmp_path: Path):
    """The OFD errors read in Chinese with the zh_CN catalogue."""
    from app import i18n

    parts = minimal_parts()
    del parts["Doc_0/Document.xml"]
    with pytest.raises(errors.OfdPartMissing) as caught:
        open_document(write_ofd(tmp_path / "missing.ofd", parts))
    i18n.set_language("zh_CN")
    try:
        text = caught.value.user_message(i18n.translate)
    finally:
        i18n.set_language("en")
    assert "Doc_0/Document.xml" in text and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_sm3_of_parts_matches_hashlib_free_digest():
    """part_bytes gives the bytes exactly as stored (the check values of signatures are computed on them)."""
    ofd = read_ofd(INTEROP / "helloworld.ofd")
    try:
        with zipfile.ZipFile(INTEROP / "helloworld.ofd") as archive:
            for name in ofd.part_names():
                assert hashlib.sha256(ofd.part_bytes(name)).digest() == hashlib.sha256(archive.read(name)).digest()
    finally:
        ofd.close()


def test_the_ofd_benchmark_runs_at_a_tiny_size(tmp_path: Path, qapp):
    """benchmarks/bench_ofd.py end to end with 3 pages, so it cannot rot."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import bench_ofd

    result = bench_ofd.bench_ofd(tmp_path, pages=3, repeat=1)
    assert result.open_first_paint.median > 0 and result.render_first.samples and result.render_again.samples
    assert "100-page" not in "\n".join(bench_ofd.report_lines(result)) and len(bench_ofd.report_lines(result)) == 5
