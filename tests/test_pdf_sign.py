"""Signing PDFs through pyHanko with a DigestSigner: checked with poppler's pdfsig, pyHanko's validator,
qpdf --check, openssl cms/asn1parse and PyMuPDF renderings."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from pdf_helpers import (
    SoftwareCA,
    SoftwareDigestSigner,
    dark_pixels,
    extract_contents,
    make_pdf,
    marker_png,
    pdfsig_signatures,
    qpdf_check,
    red_pixels,
    render_page,
    seal_png,
    spot,
    user_rect_to_pixels,
)

from app.core.errors import InvalidArgument, PageOutOfRange, PlacementInvalid, SigningFailed
from app.core.pdf.sign import SEAL_ATTRIBUTE_OID, SignSettings, image_matrix, sign_pdf
from app.core.pdf.verify import verify_pdf

VALID = "Signature Validation: Signature is Valid."
WHOLE = "Total document signed"


@pytest.fixture(scope="module")
def ec_signer(ca) -> SoftwareDigestSigner:
    return SoftwareDigestSigner.from_issued(ca.issue("张三", key_type="ec"))


@pytest.fixture(scope="module")
def rsa_issued(ca):
    return ca.issue("李四", key_type="rsa", org="某某区财政局")


@pytest.fixture(scope="module")
def seal_der(interop_dir: Path) -> bytes:
    # A real GB/T 38540 SESeal (DER) from the interop set: what SealDesk carries in the signature.
    return (interop_dir / "UserV4.esl").read_bytes()


def _sign(src: Path, dst: Path, signer, spots, images=None, seal=b"\x04\x01\x00", **settings):
    images = images or [seal_png() for _ in spots]
    with open(dst, "wb") as fh:
        return sign_pdf(
            src, fh, signer=signer, spots=spots, spot_images=images, seal_der=seal, settings=SignSettings(**settings)
        )


def _revisions(path: Path) -> int:
    return path.read_bytes().count(b"%%EOF")


def _pyhanko_status(path: Path, root_der: bytes, index: int = -1):
    """pyHanko's own validation, independent of app.core.pdf.verify."""
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    with open(path, "rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        vc = ValidationContext(trust_roots=[x509.Certificate.load(root_der)], allow_fetching=False)
        return validate_pdf_signature(reader.embedded_signatures[index], vc)


@pytest.mark.parametrize("kind", ["ec", "rsa", "rsa-pss"])
def test_one_spot_is_valid_for_pdfsig_pyhanko_and_qpdf(tmp_path, ca, ec_signer, rsa_issued, kind):
    if kind == "ec":
        signer = ec_signer
    else:
        signer = SoftwareDigestSigner.from_issued(rsa_issued, scheme="pss" if kind == "rsa-pss" else "pkcs1v15")
    src = make_pdf(tmp_path / "in.pdf", pages=2)
    out = tmp_path / "out.pdf"
    outcome = _sign(src, out, signer, [spot(1, (300, 100, 420, 220))], reason="合同用印", location="某某市")

    assert outcome.pages_stamped == (1,) and outcome.extra_pictures == 0 and not outcome.timestamped
    assert outcome.field_name.startswith("Seal-")
    assert out.read_bytes().startswith(src.read_bytes()), "signing must be an incremental update"
    assert _revisions(out) == _revisions(src) + 1

    (block,) = pdfsig_signatures(out)
    assert VALID in block and WHOLE in block
    assert outcome.field_name in block and "ETSI.CAdES.detached" in block

    status = _pyhanko_status(out, ca.root_der)
    assert status.summary().startswith("INTACT:") and status.trusted and status.bottom_line
    assert qpdf_check(out).returncode == 0

    report = verify_pdf(out, trust_roots=[ca.root_der])
    (sig,) = report.signatures
    assert report.all_valid and sig.coverage == "entire_file" and sig.modification_level == "none"
    assert sig.field_name == outcome.field_name


def test_signature_algorithm_matches_the_scheme(tmp_path, rsa_issued):
    from asn1crypto import cms

    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "pss.pdf"
    _sign(src, out, SoftwareDigestSigner.from_issued(rsa_issued, scheme="pss"), [spot(0, (50, 50, 150, 150))])
    info = cms.ContentInfo.load(extract_contents(out))["content"]["signer_infos"][0]
    algo = info["signature_algorithm"]
    assert algo["algorithm"].native == "rsassa_pss"
    assert algo["parameters"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert algo["parameters"]["salt_length"].native == 32


def test_copies_and_cross_page_slices_share_the_signature_revision(tmp_path, ca, ec_signer):
    src = make_pdf(tmp_path / "in.pdf", pages=3)
    out = tmp_path / "out.pdf"
    spots = [
        spot(0, (300, 100, 420, 220)),  # the signature widget
        spot(2, (300, 100, 420, 220)),  # a copy on the last page
        spot(0, (555, 400, 595, 520), slice_index=0, slice_count=3),  # 骑缝章 slices, right edge
        spot(1, (555, 400, 595, 520), slice_index=1, slice_count=3),
        spot(2, (555, 400, 595, 520), slice_index=2, slice_count=3),
    ]
    images = [seal_png(), seal_png(), seal_png(40, 120), seal_png(40, 120), seal_png(40, 120)]
    outcome = _sign(src, out, ec_signer, spots, images)
    assert outcome.pages_stamped == (0, 1, 2) and outcome.extra_pictures == 4
    assert _revisions(out) == _revisions(src) + 1

    blocks = pdfsig_signatures(out)  # poppler < 23 lists the field once per widget: all must check out
    assert blocks and all(VALID in b and WHOLE in b for b in blocks)
    assert qpdf_check(out).returncode == 0
    assert verify_pdf(out, trust_roots=[ca.root_der]).all_valid

    import pymupdf as fitz

    with fitz.open(str(out)) as doc:
        assert not any(list(doc[i].annots(types=[fitz.PDF_ANNOT_STAMP])) for i in range(3))
        widgets = {i: [(w.field_name, w.field_type_string, w.rect) for w in doc[i].widgets()] for i in range(3)}
        flags = [w.field_flags for w in doc[2].widgets()]
    # every picture is a widget of the one signature field (its /Kids)
    assert all(name == outcome.field_name and kind == "Signature" for i in range(3) for name, kind, _ in widgets[i])
    assert [len(widgets[i]) for i in range(3)] == [2, 1, 2]
    assert len(flags) == 2
    # page 2 (unrotated, 842 high): user-space y 400..520 → MuPDF y 322..442
    ((_, _, slice_rect),) = widgets[1]
    assert slice_rect.x0 == pytest.approx(555, abs=0.1) and slice_rect.y0 == pytest.approx(322, abs=0.1)
    for page, rect in ((0, (300, 100, 420, 220)), (1, (555, 400, 595, 520)), (2, (300, 100, 420, 220))):
        img, matrix = render_page(out, page)
        assert len(red_pixels(img, user_rect_to_pixels(rect, matrix))) > 100, page


def test_second_signature_keeps_the_first_valid(tmp_path, ca, ec_signer, rsa_issued):
    src = make_pdf(tmp_path / "in.pdf", pages=2)
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    o1 = _sign(src, first, ec_signer, [spot(0, (100, 100, 220, 220))], seal=b"\x04\x01\x01")
    o2 = _sign(first, second, SoftwareDigestSigner.from_issued(rsa_issued), [spot(1, (100, 100, 220, 220))], seal=b"\x04\x01\x02")
    assert second.read_bytes().startswith(first.read_bytes())

    b1, b2 = pdfsig_signatures(second)
    assert VALID in b1 and "Not total document signed" in b1
    assert VALID in b2 and WHOLE in b2

    report = verify_pdf(second, trust_roots=[ca.root_der])
    s1, s2 = report.signatures
    assert (s1.field_name, s2.field_name) == (o1.field_name, o2.field_name)
    assert s1.intact and s1.valid and s1.trusted and s1.coverage == "entire_revision"
    # pyHanko's difference analysis: a new signature field with its widget is "form filling" level.
    assert s1.modification_level == "form_filling"
    assert s2.coverage == "entire_file" and s2.modification_level == "none"
    assert (s1.seal_der, s2.seal_der) == (b"\x04\x01\x01", b"\x04\x01\x02")
    assert report.all_valid
    assert _pyhanko_status(second, ca.root_der, 0).bottom_line


def test_second_signature_with_extra_pictures_keeps_the_first_at_form_filling(tmp_path, ca, ec_signer):
    """Extra pictures after an earlier signature are widgets of the new signature field: pyHanko's
    DEFAULT difference analysis calls that form filling, SealDesk's verify_pdf agrees, pdfsig too."""
    src = make_pdf(tmp_path / "in.pdf", pages=2)
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    _sign(src, first, ec_signer, [spot(0, (100, 100, 220, 220))])
    _sign(first, second, ec_signer, [spot(1, (100, 100, 220, 220)), spot(0, (300, 300, 420, 420))])
    blocks = pdfsig_signatures(second)
    assert len(blocks) >= 2 and all(VALID in b for b in blocks)
    report = verify_pdf(second, trust_roots=[ca.root_der])
    s1, s2 = report.signatures
    assert s1.intact and s1.valid and s1.trusted
    assert s1.modification_level == "form_filling"
    assert s2.modification_level == "none" and s2.trusted
    assert report.all_valid
    status = _pyhanko_status(second, ca.root_der, 0)
    assert status.bottom_line and status.modification_level.name == "FORM_FILLING"


def test_seal_attribute_round_trips_and_openssl_reads_the_cms(tmp_path, ca, ec_signer, seal_der):
    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "out.pdf"
    _sign(src, out, ec_signer, [spot(0, (100, 100, 220, 220))], seal=seal_der)
    (sig,) = verify_pdf(out, trust_roots=[ca.root_der]).signatures
    assert sig.seal_der == seal_der

    cms_der = extract_contents(out)
    cms_file = tmp_path / "sig.p7s"
    cms_file.write_bytes(cms_der)
    parsed = subprocess.run(
        ["openssl", "asn1parse", "-inform", "DER", "-in", str(cms_file)], capture_output=True, text=True, check=True
    ).stdout
    assert SEAL_ATTRIBUTE_OID in parsed
    # The attribute's value follows its OID: an OCTET STRING as long as the seal.
    lines = parsed.splitlines()
    at = next(i for i, ln in enumerate(lines) if SEAL_ATTRIBUTE_OID in ln)
    octet = next(ln for ln in lines[at:] if "OCTET STRING" in ln)
    assert int(re.search(r"\bl=\s*(\d+)", octet).group(1)) == len(seal_der)

    # openssl checks the CMS signature against the signed byte ranges (-noverify: no trust check).
    data = out.read_bytes()
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(out, "rb") as fh:
        byte_range = list(PdfFileReader(fh, strict=False).embedded_signatures[0].sig_object["/ByteRange"])
    a, b, c, d = (int(v) for v in byte_range)
    content = tmp_path / "signed.bin"
    content.write_bytes(data[a : a + b] + data[c : c + d])
    proc = subprocess.run(
        ["openssl", "cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in", str(cms_file),
         "-content", str(content), "-out", "/dev/null"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Verification successful" in proc.stderr


def test_seal_picture_renders_inside_its_rect_and_stays_transparent(tmp_path, ec_signer):
    rect = (200.0, 350.0, 340.0, 490.0)
    # "UNDER" is drawn at the middle of the rect (PyMuPDF coords from the top: y = 842 - 420).
    src = make_pdf(tmp_path / "in.pdf", texts={0: [(230, 842 - 415, "UNDER")]})
    out = tmp_path / "out.pdf"
    _sign(src, out, ec_signer, [spot(0, rect)])
    img, matrix = render_page(out, 0, zoom=2)
    box = user_rect_to_pixels(rect, matrix)
    reds = red_pixels(img)
    assert len(reds) > 500
    assert all(box[0] - 2 <= x <= box[2] + 2 and box[1] - 2 <= y <= box[3] + 2 for x, y in reds)
    inner = (box[0] + 40, box[1] + 100, box[2] - 40, box[3] - 80)  # inside the ring, below the dot
    assert dark_pixels(img, inner) > 50, "transparent pixels of the seal must not hide the text beneath"


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_seal_looks_upright_on_rotated_pages(tmp_path, ec_signer, rotation):
    src = make_pdf(tmp_path / "in.pdf", pages=2, rotate={0: rotation, 1: rotation})
    out = tmp_path / "out.pdf"
    # The picture is 120×200 px upright (red band on top); on a 90/270 page its user-space rect is
    # wide (the page is shown turned), on a 180 page it is tall.
    rect = (150.0, 300.0, 350.0, 420.0) if rotation in (90, 270) else (150.0, 300.0, 270.0, 500.0)
    _sign(src, out, ec_signer, [spot(0, rect, rotation), spot(1, rect, rotation)], images=[marker_png()] * 2)
    for page in (0, 1):  # the two widgets of the signature field
        img, matrix = render_page(out, page, zoom=1)
        left, top, right, bottom = user_rect_to_pixels(rect, matrix)
        assert (right - left) < (bottom - top), "upright picture is taller than wide on screen"
        reds = red_pixels(img)
        assert len(reds) > 300
        band = top + (bottom - top) // 4 + 2
        assert all(left - 2 <= x <= right + 2 and top - 2 <= y <= band for x, y in reds), (
            f"red band must be at the top of the displayed box {(left, top, right, bottom)}"
        )


def test_image_matrix_maps_unit_square_onto_the_box():
    for rotation in (0, 90, 180, 270):
        a, b, c, d, e, f = image_matrix(30, 50, rotation)
        corners = {(round(a * u + c * v + e), round(b * u + d * v + f)) for u in (0, 1) for v in (0, 1)}
        assert corners == {(0, 0), (30, 0), (0, 50), (30, 50)}


def test_bad_arguments_raise_before_writing(tmp_path, ec_signer, rsa_issued):
    src = make_pdf(tmp_path / "in.pdf", pages=2)
    out = io.BytesIO()
    cases = [
        (PageOutOfRange, dict(spots=[spot(2, (1, 1, 50, 50))])),
        (PlacementInvalid, dict(spots=[spot(0, (50, 50, 10, 80))])),
        (InvalidArgument, dict(spots=[])),
        (InvalidArgument, dict(spots=[spot(0, (1, 1, 50, 50))], spot_images=[b"not a png"])),
    ]
    for error, kw in cases:
        kw.setdefault("spot_images", [seal_png() for _ in kw["spots"]])
        with pytest.raises(error):
            sign_pdf(src, out, signer=ec_signer, seal_der=None, settings=SignSettings(), **kw)
    with pytest.raises(InvalidArgument):
        sign_pdf(src, out, signer=ec_signer, spots=[spot(0, (1, 1, 50, 50))], spot_images=[seal_png()],
                 seal_der=None, settings=SignSettings(hash_name="md5"))  # fmt: skip

    # A key that does not belong to the certificate: the token "signs", the check refuses the result.
    mismatched = SoftwareDigestSigner.from_issued(rsa_issued)
    mismatched.certificate = SoftwareDigestSigner.from_issued(SoftwareCA.create().issue("x", key_type="rsa")).certificate
    with pytest.raises(SigningFailed):
        sign_pdf(src, out, signer=mismatched, spots=[spot(0, (1, 1, 50, 50))], spot_images=[seal_png()],
                 seal_der=None, settings=SignSettings())  # fmt: skip
    assert out.getvalue() == b""


def test_softhsm_ec_key_signs_a_valid_pdf(tmp_path, ca, fresh_token, softhsm_module):
    import pkcs11
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from pkcs11 import Attribute, KeyType, Mechanism
    from pkcs11.util.ec import encode_ec_public_key, encode_ecdsa_signature, encode_named_curve_parameters

    lib = pkcs11.lib(softhsm_module)
    if fresh_token not in {s.get_token().label for s in lib.get_slots(token_present=True)}:
        lib.reinitialize()  # SoftHSM sees tokens created after C_Initialize only after re-initialising
    token = lib.get_token(token_label=fresh_token)
    with token.open(rw=True, user_pin="123456") as session:
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
        )
        public, private = params.generate_keypair(store=True, label="seal-key")
        issued = ca.certify_key(load_der_public_key(encode_ec_public_key(public)), "王五 (SoftHSM)")

        class HsmSigner:
            certificate = issued.cert_der
            key_type = "ec"
            scheme = "ecdsa"

            def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
                # SoftHSM has no hashed ECDSA mechanism: raw ECDSA over our digest, DER-encoded.
                return encode_ecdsa_signature(private.sign(digest, mechanism=Mechanism.ECDSA))

        src = make_pdf(tmp_path / "in.pdf")
        out = tmp_path / "out.pdf"
        _sign(src, out, HsmSigner(), [spot(0, (100, 100, 220, 220))], seal=b"\x04\x02hi")

    (block,) = pdfsig_signatures(out)
    assert VALID in block and WHOLE in block
    (sig,) = verify_pdf(out, trust_roots=[ca.root_der]).signatures
    assert sig.trusted and sig.intact and sig.seal_der == b"\x04\x02hi" and "王五" in sig.signer_subject


def test_extra_pictures_as_widgets_keep_earlier_signatures_at_form_filling(tmp_path, ca, ec_signer):
    """Extra pictures as more widgets of the new signature field, on a rotated page too."""
    import pymupdf as fitz

    src = make_pdf(tmp_path / "in.pdf", pages=2, rotate={1: 90})
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    _sign(src, first, ec_signer, [spot(0, (100, 100, 220, 220))])
    spots = [spot(1, (100, 100, 220, 220), 90), spot(0, (300, 300, 420, 420))]
    o2 = _sign(first, second, ec_signer, spots)
    assert second.read_bytes().startswith(first.read_bytes()) and _revisions(second) == _revisions(first) + 1

    report = verify_pdf(second, trust_roots=[ca.root_der])
    s1, s2 = report.signatures
    assert s1.modification_level == "form_filling" and s1.trusted
    assert s2.field_name == o2.field_name and s2.coverage == "entire_file" and s2.trusted
    assert report.all_valid
    assert qpdf_check(second).returncode == 0
    with fitz.open(str(second)) as doc:
        names = [[w.field_name for w in doc[i].widgets()] for i in range(2)]
    assert names[1] == [o2.field_name] and o2.field_name in names[0]
    # poppler < 23 lists each widget of the new field as a field of its own; each finds the signature
    assert all(VALID in b for b in pdfsig_signatures(second))
    img, matrix = render_page(second, 1)
    assert len(red_pixels(img, user_rect_to_pixels((100, 100, 220, 220), matrix))) > 300
