"""Difference analysis of OLD SealDesk files (app/core/pdf/diff_rules.py): SealDesk's first releases wrote
extra pictures as /Stamp annotations (made here with the legacy extra_pictures="stamp_annotations"; new
stampings write widgets of the signature field). Such a stamping after an earlier signature is an
"annotations" change; anything else that looks like it
but is not exactly what SealDesk writes stays "other". Real PDFs, checked with verify_pdf, pyHanko's
own policies and poppler's pdfsig."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pdf_helpers import (
    SoftwareCA,
    SoftwareDigestSigner,
    certify_pdf,
    make_pdf,
    pdfsig_signatures,
    qpdf_check,
    seal_png,
    spot,
)

from app.core.pdf.sign import STAMP_ANNOT_FLAGS, SignSettings, sign_pdf
from app.core.pdf.verify import acrobat_like_diff_policy, verify_pdf

VALID = "Signature Validation: Signature is Valid."
WIDGET = (100.0, 100.0, 220.0, 220.0)


def _sign(src: Path, dst: Path, signer, spots, field: str, **settings) -> Path:
    settings.setdefault("extra_pictures", "stamp_annotations")  # the legacy layout under test
    images = [seal_png(60, 60) if s.slice_count is None else seal_png(20, 60) for s in spots]
    with open(dst, "wb") as fh:
        sign_pdf(src, fh, signer=signer, spots=spots, spot_images=images, seal_der=b"\x04\x00",
                 settings=SignSettings(field_name=field, **settings))  # fmt: skip
    return dst


def _slices(x: float = 555.0, y: float = 400.0) -> list:
    """A cross-page seal (骑缝章) over the three pages' right edges."""
    return [spot(i, (x, y, 595.0, y + 120), slice_index=i, slice_count=3) for i in range(3)]


@pytest.fixture(scope="module")
def first(tmp_path_factory, signer) -> Path:
    """A 3-page contract already stamped by the counterparty (field "A"): widget on page 1, a copy on
    page 3, a cross-page seal: the earlier signature whose modification level is under test."""
    d = tmp_path_factory.mktemp("first")
    src = make_pdf(d / "in.pdf", pages=3)
    return _sign(src, d / "first.pdf", signer, [spot(0, WIDGET), spot(2, WIDGET), *_slices()], "A")


def _review(path: Path, policy=None, index: int = 0):
    """pyHanko's verdict on the changes after signature `index`: DiffResult or SuspiciousModification."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        emb = reader.embedded_regular_signatures[index]
        return (policy or acrobat_like_diff_policy()).review_file(
            reader, emb.signed_revision, doc_mdp=emb.docmdp_level
        )


def _levels(path: Path, ca) -> tuple[bool, list[str]]:
    report = verify_pdf(path, trust_roots=[ca.root_der])
    assert all(s.intact and s.valid and s.trusted for s in report.signatures)
    return report.all_valid, [s.modification_level for s in report.signatures]


def _default_policy():
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY

    return DEFAULT_DIFF_POLICY


def _default_policy_rejects(path: Path, index: int = 0) -> bool:
    from pyhanko.sign.diff_analysis import SuspiciousModification

    return isinstance(_review(path, _default_policy(), index), SuspiciousModification)


# --- real SealDesk stampings ----------------------------------------------------------------------
def test_later_stamping_with_extra_pictures_is_an_annotations_change(tmp_path, ca, first, issued):
    # The second party stamps the widget on page 3 (where A's copy sits), plus its own cross-page seal.
    second = _sign(first, tmp_path / "second.pdf", SoftwareDigestSigner.from_issued(ca.issue("李四")),
                   [spot(2, (300, 300, 420, 420)), *_slices(y=200)], "B")  # fmt: skip
    assert second.read_bytes().startswith(first.read_bytes())

    report = verify_pdf(second, trust_roots=[ca.root_der])
    s1, s2 = report.signatures
    assert (s1.field_name, s2.field_name) == ("A", "B")
    assert s1.intact and s1.valid and s1.trusted and s1.coverage == "entire_revision" and s1.docmdp_ok
    assert s1.modification_level == "annotations"
    assert s2.modification_level == "none" and s2.coverage == "entire_file"
    assert report.all_valid
    # pyHanko's default policy calls the same revision suspicious: that is what the rule fixes.
    assert _default_policy_rejects(second)
    b1, b2 = pdfsig_signatures(second)
    assert VALID in b1 and VALID in b2
    assert qpdf_check(second).returncode == 0

    # A third stamping: each earlier signature is compared with every later revision.
    third = _sign(second, tmp_path / "third.pdf", SoftwareDigestSigner.from_issued(issued),
                  [spot(1, WIDGET), spot(0, (300, 600, 420, 720))], "C")  # fmt: skip
    assert _levels(third, ca) == (True, ["annotations", "annotations", "none"])


def test_indirect_annots_arrays_are_updated_in_place(tmp_path, ca, signer):
    """Pages whose /Annots is an indirect array (pyHanko then rewrites the array, not the page)."""
    from pyhanko.pdf_utils import generic

    def indirect_annots(writer):
        for i in range(3):
            page_ref, _ = writer.find_page_for_modification(i)
            page_ref.get_object()[generic.NameObject("/Annots")] = writer.add_object(generic.ArrayObject())
            writer.mark_update(page_ref)

    src = _update(make_pdf(tmp_path / "in.pdf", pages=3), tmp_path / "prepared.pdf", indirect_annots)
    first = _sign(src, tmp_path / "first.pdf", signer, [spot(0, WIDGET), *_slices()], "A")
    second = _sign(first, tmp_path / "second.pdf", signer, [spot(1, (300, 300, 420, 420)), *_slices(y=200)], "B")
    assert _levels(second, ca) == (True, ["annotations", "none"])
    assert b"/Annots [" not in second.read_bytes()[len(first.read_bytes()) :], "arrays stay indirect"


@pytest.mark.parametrize("extra", ["widgets", "single_picture"])
def test_other_stampings_keep_form_filling(tmp_path, ca, first, signer, extra):
    spots = [spot(1, WIDGET)] + (_slices(y=200) if extra == "widgets" else [])
    second = _sign(first, tmp_path / "second.pdf", signer, spots, "B", extra_pictures="widgets")
    assert _levels(second, ca) == (True, ["form_filling", "none"])


# --- changes made with pyHanko's writer -----------------------------------------------------------
def _seal_stamp(writer, page_index: int, field: str, index: int, rect=(300.0, 600.0, 420.0, 720.0)):
    """A stamp annotation exactly as sign.py writes it; returns (its reference, its dictionary)."""
    from app.core.pdf.sign import _add_stamp_annotation, _load_png

    _add_stamp_annotation(writer, spot(page_index, rect), _load_png(seal_png(60, 60), 0), 0, field, index)
    page_ref, _ = writer.find_page_for_modification(page_index)
    ref = page_ref.get_object()["/Annots"][-1]
    return ref, ref.get_object()


def _annotation(writer, page_index: int, entries: dict):
    """Register a new annotation dictionary (`entries`: name → pyHanko object) on a page."""
    from pyhanko.pdf_utils import generic

    page_ref, _ = writer.find_page_for_modification(page_index)
    annot = generic.DictionaryObject({generic.NameObject(k): v for k, v in entries.items()})
    annot[generic.NameObject("/P")] = page_ref
    ref = writer.add_object(annot)
    writer.register_annotation(page_ref, ref)
    return ref


def _old_stamp(writer, name: str):
    """The reference of an existing stamp annotation (by /NM) of the input file."""
    for i in range(3):
        page_ref, _ = writer.find_page_for_modification(i)
        for ref in page_ref.get_object().get("/Annots", []):
            if str(ref.get_object().get("/NM", "")) == name:
                return ref
    raise AssertionError(name)


def _update(src: Path, dst: Path, change: Callable) -> Path:
    """An unsigned incremental update made by `change(writer)`."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with open(src, "rb") as inf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        change(writer)
        with open(dst, "wb") as outf:
            writer.write(outf)
    return dst


def _pyhanko_sign(src: Path, dst: Path, issued, field: str, change: Callable) -> Path:
    """A signature revision made directly with pyHanko (field `field`, widget on page 1), with
    `change(writer, field)` applied to the revision before it is signed."""
    from asn1crypto import keys
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = ax509.Certificate.load(issued.cert_der)
    signer = signers.SimpleSigner(
        signing_cert=cert,
        signing_key=keys.PrivateKeyInfo.load(issued.key_der),
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )
    with open(src, "rb") as inf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        change(writer, field)
        pdf_signer = signers.PdfSigner(
            signers.PdfSignatureMetadata(field_name=field),
            signer=signer,
            new_field_spec=fields.SigFieldSpec(sig_field_name=field, on_page=0, box=(300, 300, 420, 420)),
        )
        with open(dst, "wb") as outf:
            pdf_signer.sign_pdf(writer, output=outf)
    return dst


def _text_stream(writer, content: bytes = b"BT /F1 12 Tf 10 10 Td (PAID) Tj ET"):
    from pyhanko.pdf_utils import generic

    return writer.add_object(generic.StreamObject(stream_data=content))


def _foreign_stamp(writer, page_index: int, name: str):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string

    form = generic.StreamObject(
        {pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Form"),
         pdf_name("/BBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 120, 40)))},
        stream_data=b"1 0 0 rg 0 0 120 40 re f",
    )  # fmt: skip
    return _annotation(writer, page_index, {
        "/Type": pdf_name("/Annot"), "/Subtype": pdf_name("/Stamp"), "/NM": pdf_string(name),
        "/Rect": generic.ArrayObject(map(generic.NumberObject, (300, 500, 420, 540))),
        "/F": generic.NumberObject(4), "/AP": generic.DictionaryObject({pdf_name("/N"): writer.add_object(form)}),
    })  # fmt: skip


def _freetext(writer, page_index: int):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string

    return _annotation(writer, page_index, {
        "/Type": pdf_name("/Annot"), "/Subtype": pdf_name("/FreeText"), "/Contents": pdf_string("Amount: 1,000,000"),
        "/Rect": generic.ArrayObject(map(generic.NumberObject, (100, 500, 300, 540))),
        "/DA": pdf_string("/Helv 12 Tf 0 g"),
    })  # fmt: skip


@pytest.mark.parametrize("kind", ["foreign_stamp", "freetext", "sealdesk_stamp_of_old_field"])
def test_annotations_added_without_a_new_signature_stay_other(tmp_path, ca, first, kind):
    def change(writer):
        if kind == "foreign_stamp":
            _foreign_stamp(writer, 1, "Foreign-1")
        elif kind == "freetext":
            _freetext(writer, 1)
        else:  # looks exactly like A's stamps, but A signed an earlier revision
            _seal_stamp(writer, 1, "A", 9)

    changed = _update(first, tmp_path / "changed.pdf", change)
    assert _levels(changed, ca) == (False, ["other"])
    assert _default_policy_rejects(changed)


def _mutate_stamp(mutation: Callable) -> Callable:
    """A change: one SealDesk stamp for the new field on page 2, then `mutation(writer, ref, stamp)`."""

    def change(writer, field):
        ref, stamp = _seal_stamp(writer, 1, field, 1)
        mutation(writer, ref, stamp)

    return change


def _set(key: str, value_of: Callable) -> Callable:
    from pyhanko.pdf_utils import generic

    return lambda writer, ref, stamp: stamp.__setitem__(generic.NameObject(key), value_of(writer))


def _name(text: str):
    from pyhanko.pdf_utils.generic import pdf_string

    return lambda writer: pdf_string(text)


def _number(value: int):
    from pyhanko.pdf_utils.generic import NumberObject

    return lambda writer: NumberObject(value)


def _reuse_old_appearance(writer, ref, stamp):
    # Case: the stamp shows an appearance stream that already existed (A's stamp on page 3).
    from pyhanko.pdf_utils import generic

    old = _old_stamp(writer, "A-1").get_object()
    stamp["/AP"][generic.NameObject("/N")] = old["/AP"].raw_get("/N")


def _reuse_old_image(writer, ref, stamp):
    from pyhanko.pdf_utils import generic

    old_form = _old_stamp(writer, "A-1").get_object()["/AP"]["/N"]
    old_image = old_form["/Resources"]["/XObject"].raw_get("/Seal")
    stamp["/AP"]["/N"]["/Resources"]["/XObject"][generic.NameObject("/Seal")] = old_image


def _draw_more(writer, ref, stamp):
    # The same form XObject (keys, resources) whose content also paints a rectangle.
    from pyhanko.pdf_utils import generic

    form = stamp["/AP"]["/N"]
    bigger = generic.StreamObject({k: form.raw_get(k) for k in form if k != "/Length"},
                                  stream_data=form.data + b" 0 0 1 rg 0 0 50 50 re f")  # fmt: skip
    stamp["/AP"][generic.NameObject("/N")] = writer.add_object(bigger)


def _link_other_page(writer, ref, stamp):
    from pyhanko.pdf_utils import generic

    stamp[generic.NameObject("/P")] = writer.find_page_for_modification(2)[0]


def _add_action(writer, ref, stamp):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string

    stamp[pdf_name("/A")] = generic.DictionaryObject(
        {pdf_name("/S"): pdf_name("/URI"), pdf_name("/URI"): pdf_string("http://example.invalid/")}
    )


def _also(extra: Callable) -> Callable:
    """A correct SealDesk stamp plus `extra(writer, field)` in the same signed revision."""

    def change(writer, field):
        _seal_stamp(writer, 1, field, 1)
        extra(writer, field)

    return change


def _page_content(writer, field):
    # New content on the page that also gets the stamp (the page dictionary changes beyond /Annots).
    writer.add_stream_to_page(1, _text_stream(writer))


def _empty_field(writer, field):
    # A new, empty signature field (for a next signer) with its widget on page 3: pyHanko accepts it.
    from pyhanko.sign import fields

    fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name="E", on_page=2, box=(10, 10, 60, 60)))


def _empty_field_stamp(writer, field):
    # A stamp named after a new signature field that is never signed.
    _empty_field(writer, field)
    _seal_stamp(writer, 2, "E", 1)


def _rewrite_old_widget(writer, field):
    # Case: the earlier signature's widget gets a new appearance (an existing annotation rewritten).
    from pyhanko.pdf_utils import generic

    widget_ref = writer.root["/AcroForm"]["/Fields"].raw_get(0)
    widget = widget_ref.get_object()
    assert widget["/T"] == "A"
    form = generic.StreamObject(
        {generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
         generic.pdf_name("/BBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 120, 120)))},
        stream_data=b"0 0 0 rg 0 0 120 120 re f",
    )  # fmt: skip
    widget["/AP"][generic.NameObject("/N")] = writer.add_object(form)
    writer.mark_update(widget_ref)


def _rewrite_old_stamp(writer, field):
    from pyhanko.pdf_utils import generic

    ref = _old_stamp(writer, "A-1")
    ref.get_object()[generic.NameObject("/Rect")] = generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842)))
    writer.mark_update(ref)


def _reorder_annots(writer, field):
    page_ref, _ = writer.find_page_for_modification(1)
    annots = page_ref.get_object()["/Annots"]
    annots.reverse()


SIGNED_CASES = {
    "sealdesk_stamp": (_mutate_stamp(lambda w, r, s: None), "annotations"),
    "names_other_field": (_mutate_stamp(_set("/NM", _name("Other-1"))), "other"),
    "names_earlier_field": (_mutate_stamp(_set("/NM", _name("A-7"))), "other"),
    "index_not_a_number": (_mutate_stamp(_set("/NM", _name("B-x"))), "other"),
    "hidden_flag": (_mutate_stamp(_set("/F", _number(STAMP_ANNOT_FLAGS | 2))), "other"),
    "uri_action": (_mutate_stamp(_add_action), "other"),
    "links_other_page": (_mutate_stamp(_link_other_page), "other"),
    "appearance_draws_more": (_mutate_stamp(_draw_more), "other"),
    "reuses_old_appearance": (_mutate_stamp(_reuse_old_appearance), "other"),
    "reuses_old_image": (_mutate_stamp(_reuse_old_image), "other"),
    "empty_field_next_to_stamp": (_also(_empty_field), "annotations"),
    "empty_field_without_stamp": (_empty_field, "form_filling"),
    "names_unsigned_new_field": (_also(_empty_field_stamp), "other"),
    "freetext_next_to_stamp": (_also(lambda w, f: _freetext(w, 2)), "other"),
    "foreign_stamp_next_to_stamp": (_also(lambda w, f: _foreign_stamp(w, 2, f"{f}-2")), "other"),
    "page_content_with_stamp": (_also(_page_content), "other"),
    "rewrites_earlier_widget": (_also(_rewrite_old_widget), "other"),
    "rewrites_earlier_stamp": (_also(_rewrite_old_stamp), "other"),
    "reorders_annotations": (_also(_reorder_annots), "other"),
}


@pytest.mark.parametrize("case", list(SIGNED_CASES))
def test_only_exact_sealdesk_stamps_are_explained(tmp_path, ca, first, issued, case):
    """A later signature revision made with pyHanko directly: the plain SealDesk stamp (as sign.py
    writes it) is accepted; every deviation from it, or any other change next to it, is not."""
    change, expected = SIGNED_CASES[case]
    signed = _pyhanko_sign(first, tmp_path / "b.pdf", issued, "B", change)
    all_valid, levels = _levels(signed, ca)
    assert levels == [expected, "none"]
    assert all_valid == (expected != "other")
    if expected == "form_filling":  # no stamps: exactly pyHanko's verdict
        assert _review(signed).modification_level == _review(signed, _default_policy()).modification_level
    else:  # pyHanko's default rejects every revision with a stamp; the rule never does better otherwise
        assert _default_policy_rejects(signed)


def test_stamp_added_after_the_new_signature_is_not_its_stamp(tmp_path, ca, first, signer):
    """A stamp named after B but written in a later, unsigned revision: not part of B's stamping."""
    second = _sign(first, tmp_path / "second.pdf", signer, [spot(1, WIDGET), spot(2, (300, 300, 420, 420))], "B")
    late = _update(second, tmp_path / "late.pdf", lambda writer: _seal_stamp(writer, 0, "B", 9))
    assert _levels(late, ca) == (False, ["other", "other"])
    result = _review(late)
    assert "not created with signature field 'B'" in str(result)


def test_certification_p2_still_forbids_the_stamps(tmp_path, ca, issued):
    """The rule explains the stamps as annotations: a DocMDP P=2 certification (form filling only)
    is still violated by them (sign_pdf refuses to write such a file; pyHanko's signer does not)."""
    src = make_pdf(tmp_path / "in.pdf", pages=3)
    certified = tmp_path / "certified.pdf"
    certify_pdf(src, certified, issued, permission=2)
    signed = _pyhanko_sign(certified, tmp_path / "b.pdf", issued, "B", _mutate_stamp(lambda w, r, s: None))
    report = verify_pdf(signed, trust_roots=[ca.root_der])
    s1, _ = report.signatures
    assert s1.docmdp == 2 and s1.modification_level == "annotations"
    assert not s1.docmdp_ok and not report.all_valid


def test_stamp_owned_by_a_document_timestamp_is_not_explained(tmp_path):
    """Regression (review): a picture added after signing, named after an (untrusted) document timestamp
    added in the same revision, must not pass as a seal stamp of a new signature."""
    import io

    from asn1crypto import keys
    from asn1crypto import x509 as ax509
    from PIL import Image
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    from app.core.pdf.sign import SignSettings, _add_stamp_annotation, sign_pdf
    from app.core.verification import verify_document

    ca = SoftwareCA.create()
    issued = ca.issue("Holder A")
    src = make_pdf(tmp_path / "in.pdf")
    signed = tmp_path / "signed.pdf"
    with open(signed, "wb") as out:
        sign_pdf(
            src,
            out,
            signer=SoftwareDigestSigner.from_issued(issued),
            spots=[spot(0, (100, 100, 200, 200))],
            spot_images=[seal_png()],
            seal_der=None,
            settings=SignSettings(),
        )
    assert verify_document(signed, trust_roots=[ca.root_der]).all_valid
    evil = SoftwareCA.create("Evil root")
    tsa = evil.issue("Evil TSA", tsa=True, key_type="rsa")
    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()), strict=False)
    white = Image.new("RGBA", (400, 60), (255, 255, 255, 255))
    _add_stamp_annotation(writer, spot(0, (60, 740, 400, 790)), white, 0, "TS1", 1)
    stamper = DummyTimeStamper(
        tsa_cert=ax509.Certificate.load(tsa.cert_der), tsa_key=keys.PrivateKeyInfo.load(tsa.key_der)
    )
    out = io.BytesIO()
    PdfTimeStamper(stamper, field_name="TS1").timestamp_pdf(writer, "sha256", timestamper=stamper, output=out)
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(out.getvalue())
    report = verify_document(tampered, trust_roots=[ca.root_der])
    assert report.signatures[0].modification_level == "other"
    assert not report.all_valid
