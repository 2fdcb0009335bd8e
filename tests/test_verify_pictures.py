"""验章 checks what the page shows: every picture a signature draws must be the picture of its seal.

The attack: a holder of a trusted key signs with their own (personal) seal while the widget draws
another seal's picture (a company's official seal). Signed here with pyHanko directly — not through
SealDesk's stamping path — so the check cannot rely on how SealDesk draws.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import lang
import pytest
from documents import make_pdf
from pdf_helpers import Issued, SoftwareCA, SoftwareDigestSigner, spot
from PIL import Image
from seal_helpers import make_seal

from app import cli
from app.core.appearance import seal_image, slice_image
from app.core.pdf.sign import SignSettings, sign_pdf, token_pdf_signer
from app.core.seal_art import draw_round_seal, draw_square_name_seal
from app.core.ses import SealPicture, kinds
from app.core.verification import CONTEXT, PICTURE_NOT_SHOWN, verify_document
from app.i18n import translate


@dataclass
class World:
    """A holder with a personal seal, and pictures of their seal and of a company's official seal."""

    holder: Issued
    seal_der: bytes
    own_png: bytes
    """The holder's seal picture as stored in the seal."""
    official_png: bytes
    """Another seal's picture (the company's official seal): what the attacker draws."""
    roots: list[bytes]


@pytest.fixture(scope="module")
def world() -> World:
    holder_ca = SoftwareCA.create("Holder Root")
    maker_ca = SoftwareCA.create("Seal Maker Root")
    holder = holder_ca.issue("张三")
    own = draw_square_name_seal("张三", size_mm=20, suffix="印")
    official = draw_round_seal("示例科技有限公司", "合同专用章", diameter_mm=42)
    seal_der = make_seal(maker_ca.issue("Seal Maker"), [holder.cert_der], name="张三", picture=own)
    return World(holder, seal_der, own, official, [holder_ca.root_der, maker_ca.root_der])


def _rgba(png: bytes, size_mm: float) -> Image.Image:
    """The picture as SealDesk stamps it (paper transparent), decoded."""
    return Image.open(io.BytesIO(seal_image(SealPicture("PNG", png, size_mm, size_mm)).png)).convert("RGBA")


def _jpeg_xobject(writer, image: Image.Image, quality: int):
    """An image XObject in DCTDecode (JPEG) with the alpha channel as a Flate /SMask."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name

    jpeg = io.BytesIO()
    image.convert("RGB").save(jpeg, "JPEG", quality=quality)
    common = {
        pdf_name("/Type"): pdf_name("/XObject"),
        pdf_name("/Subtype"): pdf_name("/Image"),
        pdf_name("/Width"): generic.NumberObject(image.width),
        pdf_name("/Height"): generic.NumberObject(image.height),
        pdf_name("/BitsPerComponent"): generic.NumberObject(8),
    }
    smask = generic.StreamObject(
        {**common, pdf_name("/ColorSpace"): pdf_name("/DeviceGray")},
        stream_data=image.getchannel("A").tobytes(),
    )
    smask.compress()
    stream = generic.StreamObject(
        {
            **common,
            pdf_name("/ColorSpace"): pdf_name("/DeviceRGB"),
            pdf_name("/Filter"): pdf_name("/DCTDecode"),
            pdf_name("/SMask"): writer.add_object(smask),
        },
        encoded_data=jpeg.getvalue(),
    )
    return writer.add_object(stream)


def _picture_style(image: Image.Image, *, jpeg_quality: int | None = None, soft_mask: bool = False):
    """A pyHanko stamp style that draws `image` over the whole widget (plain pyHanko API)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.content import AppearanceContent, ResourceType
    from pyhanko.pdf_utils.images import pil_image
    from pyhanko.pdf_utils.layout import BoxConstraints
    from pyhanko.stamp import BaseStampStyle

    class Picture(AppearanceContent):
        def render(self) -> bytes:
            if jpeg_quality is None:
                ref = pil_image(image, self.writer)
            else:
                ref = _jpeg_xobject(self.writer, image, jpeg_quality)
            self.set_resource(ResourceType.XOBJECT, generic.pdf_name("/Im0"), ref)
            prefix = b""
            if soft_mask:  # a luminosity mask whose group (a vector drawing) cuts the picture
                pdf_name = generic.pdf_name
                group = generic.StreamObject(
                    {
                        pdf_name("/Type"): pdf_name("/XObject"),
                        pdf_name("/Subtype"): pdf_name("/Form"),
                        pdf_name("/BBox"): generic.ArrayObject(generic.NumberObject(v) for v in (0, 0, 57, 57)),
                    },
                    stream_data=b"1 g 0 0 30 57 re f",
                )
                mask = generic.DictionaryObject(
                    {pdf_name("/S"): pdf_name("/Luminosity"), pdf_name("/G"): self.writer.add_object(group)}
                )
                state = generic.DictionaryObject({pdf_name("/SMask"): mask})
                self.set_resource(ResourceType.EXT_G_STATE, pdf_name("/GS0"), state)
                prefix = b"/GS0 gs "
            return b"q " + prefix + b"%.3f 0 0 %.3f 0 0 cm /Im0 Do Q" % (self.box.width, self.box.height)

    @dataclass(frozen=True)
    class PictureStyle(BaseStampStyle):
        border_width: int = 0

        def create_stamp(self, writer, box, text_params):
            return Picture(writer=writer, box=BoxConstraints(width=box.width, height=box.height))

    return PictureStyle()


def _pyhanko_sign(
    tmp_path: Path,
    holder: Issued,
    seal_der: bytes | None,
    *,
    image: Image.Image | None = None,
    jpeg_quality: int | None = None,
    soft_mask: bool = False,
    box: tuple[float, float, float, float] | None = (100, 500, 157, 557),
    text_appearance: bool = False,
    name: str = "signed.pdf",
    before_signing=None,
) -> Path:
    """Sign a fresh one-page PDF with pyHanko's PdfSigner; the CMS carries `seal_der` in SealDesk's
    signed attribute. The widget draws `image`, pyHanko's default text appearance, or (box=None) nothing."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    source = make_pdf(tmp_path / f"src-{name}", pages=1)
    cms = token_pdf_signer(SoftwareDigestSigner.from_issued(holder), seal_der=seal_der)
    style = None
    if image is not None:
        style = _picture_style(image, jpeg_quality=jpeg_quality, soft_mask=soft_mask)
    elif not text_appearance:
        assert box is None
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="Sig", subfilter=fields.SigSeedSubFilter.PADES),
        signer=cms,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec("Sig", on_page=0, box=box),
    )
    out = io.BytesIO()
    with source.open("rb") as fh:
        writer = IncrementalPdfFileWriter(fh, strict=False)
        if before_signing is not None:
            before_signing(writer)  # in the revision the signature covers
        pdf_signer.sign_pdf(writer, output=out)
    target = tmp_path / name
    target.write_bytes(out.getvalue())
    return target


def _cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _trust_args(tmp_path: Path, roots: list[bytes]) -> list[str]:
    args = []
    for index, der in enumerate(roots):
        path = tmp_path / f"root{index}.der"
        path.write_bytes(der)
        args += ["--trust", str(path)]
    return args


# --- the attack -----------------------------------------------------------------------------------
def test_drawing_another_seals_picture_is_reported_and_fails(tmp_path, world, capsys):
    signed = _pyhanko_sign(tmp_path, world.holder, world.seal_der, image=_rgba(world.official_png, 42))
    sig = verify_document(signed, trust_roots=world.roots).signatures[0]
    # the cryptography is fine: only the picture betrays the forgery
    assert sig.intact and sig.valid and sig.trusted and sig.seal_id
    assert sig.picture_check == "mismatch"
    assert sig.seal_status == "picture_mismatch"
    assert "the picture does not match the seal" in sig.seal_problems
    assert not sig.all_valid

    code, out, _ = _cli(capsys, ["verify", str(signed), "--json", *_trust_args(tmp_path, world.roots)])
    assert code == cli.EXIT_VERIFY_FAILED
    row = json.loads(out)["signatures"][0]
    assert row["seal_status"] == "picture_mismatch" and row["picture_check"] == "mismatch"
    assert row["electronic_seal"] is True and row["all_valid"] is False

    code, out, _ = _cli(capsys, ["verify", str(signed), *_trust_args(tmp_path, world.roots)])
    assert code == cli.EXIT_VERIFY_FAILED
    mismatch = lang.status("INVALID: the picture does not match the seal")
    assert lang.cli("{label}: {value}", label=lang.cli("Seal verification"), value=mismatch) in out
    assert lang.cli_line("Result", "NOT VALID") in out


def test_the_seals_own_picture_drawn_by_pyhanko_is_valid(tmp_path, world):
    signed = _pyhanko_sign(tmp_path, world.holder, world.seal_der, image=_rgba(world.own_png, 20))
    report = verify_document(signed, trust_roots=world.roots)
    sig = report.signatures[0]
    assert sig.picture_check == "match" and sig.seal_status == "valid" and report.all_valid


def test_the_seals_picture_at_another_resolution_as_jpeg_still_matches(tmp_path, world):
    """Other software may embed the picture resampled and JPEG-compressed: decoded pixels are compared."""
    own = _rgba(world.own_png, 20)
    third = own.resize((own.width // 3, own.height // 3), Image.Resampling.LANCZOS)
    signed = _pyhanko_sign(tmp_path, world.holder, world.seal_der, image=third, jpeg_quality=60)
    assert b"/DCTDecode" in signed.read_bytes()
    sig = verify_document(signed, trust_roots=world.roots).signatures[0]
    assert sig.picture_check == "match" and sig.all_valid


def test_the_seals_picture_turned_in_its_pixels_still_matches(tmp_path, world):
    """Software that pre-rotates the picture's pixels for a rotated page still shows the seal."""
    turned = _rgba(world.own_png, 20).transpose(Image.Transpose.ROTATE_90)
    signed = _pyhanko_sign(tmp_path, world.holder, world.seal_der, image=turned)
    assert verify_document(signed, trust_roots=world.roots).signatures[0].picture_check == "match"


def test_another_seal_as_jpeg_does_not_match(tmp_path, world):
    signed = _pyhanko_sign(
        tmp_path, world.holder, world.seal_der, image=_rgba(world.official_png, 42), jpeg_quality=90
    )
    sig = verify_document(signed, trust_roots=world.roots).signatures[0]
    assert sig.picture_check == "mismatch" and not sig.all_valid


def test_a_seal_that_differs_in_one_character_does_not_match(tmp_path):
    """The realistic forgery: a look-alike official seal, one character of the name changed."""
    holder_ca, maker_ca = SoftwareCA.create("Holder Root"), SoftwareCA.create("Maker Root")
    holder = holder_ca.issue("示例科技有限公司")
    real = draw_round_seal("示例科技有限公司", "合同专用章", diameter_mm=42)
    forged = draw_round_seal("示范科技有限公司", "合同专用章", diameter_mm=42)
    seal_der = make_seal(
        maker_ca.issue("Maker"), [holder.cert_der], seal_type=kinds.CONTRACT, size_mm=42, picture=real
    )
    roots = [holder_ca.root_der, maker_ca.root_der]
    good = _pyhanko_sign(tmp_path, holder, seal_der, image=_rgba(real, 42), name="good.pdf")
    bad = _pyhanko_sign(tmp_path, holder, seal_der, image=_rgba(forged, 42), name="bad.pdf")
    assert verify_document(good, trust_roots=roots).signatures[0].picture_check == "match"
    assert verify_document(bad, trust_roots=roots).signatures[0].picture_check == "mismatch"


def test_the_seals_picture_cut_by_a_soft_mask_is_a_mismatch(tmp_path, world):
    """A graphics-state soft mask can cut the right picture into another shape (hide characters)."""
    signed = _pyhanko_sign(tmp_path, world.holder, world.seal_der, image=_rgba(world.own_png, 20), soft_mask=True)
    assert b"/SMask" in signed.read_bytes() and b"/GS0 gs" in signed.read_bytes()
    sig = verify_document(signed, trust_roots=world.roots).signatures[0]
    assert sig.picture_check == "mismatch" and not sig.all_valid


def test_vector_or_text_drawing_with_a_seal_is_a_mismatch(tmp_path, world):
    """Only pictures can be compared: a seal signature whose widget paints text (or paths) could be
    drawing any seal, so it does not pass."""
    signed = _pyhanko_sign(tmp_path, world.holder, world.seal_der, text_appearance=True)
    sig = verify_document(signed, trust_roots=world.roots).signatures[0]
    assert sig.picture_check == "mismatch" and sig.seal_status == "picture_mismatch" and not sig.all_valid


def test_a_seal_whose_widget_draws_nothing_is_valid_and_says_so(tmp_path, world, capsys):
    """Nothing on the page can mislead a reader: the seal stays valid, the report says it is not shown."""
    signed = _pyhanko_sign(tmp_path, world.holder, world.seal_der, box=None)
    report = verify_document(signed, trust_roots=world.roots)
    sig = report.signatures[0]
    assert sig.picture_check == "not_shown" and not sig.draws_picture
    assert sig.seal_status == "valid" and report.all_valid
    code, out, _ = _cli(capsys, ["verify", str(signed), *_trust_args(tmp_path, world.roots)])
    not_shown = translate(CONTEXT, PICTURE_NOT_SHOWN)
    assert code == 0 and lang.cli("{label}: {value}", label=lang.cli("Picture on the page"), value=not_shown) in out


def test_a_picture_without_a_seal_is_a_plain_signature(tmp_path, world, capsys):
    signed = _pyhanko_sign(tmp_path, world.holder, None, image=_rgba(world.official_png, 42))
    report = verify_document(signed, trust_roots=world.roots)
    sig = report.signatures[0]
    assert not sig.has_seal and sig.draws_picture
    assert sig.seal_id is None and sig.seal_status is None and sig.picture_check is None
    assert report.all_valid  # a valid signature — but never called a seal
    code, out, _ = _cli(capsys, ["verify", str(signed), "--json", *_trust_args(tmp_path, world.roots)])
    row = json.loads(out)["signatures"][0]
    assert code == 0 and row["electronic_seal"] is False and row["draws_picture"] is True
    code, out, _ = _cli(capsys, ["verify", str(signed), *_trust_args(tmp_path, world.roots)])
    assert lang.cli_line("Seal", "none — a signature without an electronic seal; the picture it shows is not a seal") in out
    assert lang.cli("Seal verification") not in out


def _annotation_adder(subtype: str, *, image: Image.Image | None = None, text: bytes | None = None, nm=None):
    """A callback adding one annotation on page 1 whose appearance draws `image` or the `text`."""

    def add(writer) -> None:
        from pyhanko.pdf_utils import generic
        from pyhanko.pdf_utils.generic import pdf_name, pdf_string
        from pyhanko.pdf_utils.images import pil_image

        page_ref, _ = writer.find_page_for_modification(0)
        resources = generic.DictionaryObject()
        if image is not None:
            resources[pdf_name("/XObject")] = generic.DictionaryObject({pdf_name("/Im0"): pil_image(image, writer)})
            content = b"q 57 0 0 57 0 0 cm /Im0 Do Q"
        else:
            font = generic.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Font"),
                    pdf_name("/Subtype"): pdf_name("/Type1"),
                    pdf_name("/BaseFont"): pdf_name("/Helvetica"),
                }
            )
            resources[pdf_name("/Font")] = generic.DictionaryObject({pdf_name("/F1"): font})
            content = b"BT /F1 9 Tf 2 20 Td (" + (text or b"") + b") Tj ET"
        appearance = generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): generic.ArrayObject(generic.NumberObject(v) for v in (0, 0, 57, 57)),
                pdf_name("/Resources"): resources,
            },
            stream_data=content,
        )
        annot = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name(subtype),
                pdf_name("/Rect"): generic.ArrayObject(generic.NumberObject(v) for v in (300, 500, 357, 557)),
                pdf_name("/P"): page_ref,
                pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): writer.add_object(appearance)}),
            }
        )
        if nm is not None:
            annot[pdf_name("/NM")] = pdf_string(nm)
        writer.register_annotation(page_ref, writer.add_object(annot))

    return add


@pytest.mark.parametrize("subtype", ["/Stamp", "/Square"])
def test_another_seal_in_an_extra_annotation_of_the_signed_revision_is_caught(tmp_path, world, subtype):
    """The widget shows the right seal, but the same signed revision adds an annotation (not tied to
    the field) showing the official seal next to it: the signer drew it, so it must be their seal."""
    signed = _pyhanko_sign(
        tmp_path,
        world.holder,
        world.seal_der,
        image=_rgba(world.own_png, 20),
        before_signing=_annotation_adder(subtype, image=_rgba(world.official_png, 42), nm="Other-1"),
    )
    sig = verify_document(signed, trust_roots=world.roots).signatures[0]
    assert {p.origin for p in sig.pictures} == {"widget", "annotation"}
    assert sig.picture_check == "mismatch" and not sig.all_valid


def test_a_comment_added_while_signing_does_not_spoil_the_seal(tmp_path, world):
    """Text painted by other annotations of the signed revision is not a seal picture: only their
    images are compared."""
    signed = _pyhanko_sign(
        tmp_path,
        world.holder,
        world.seal_der,
        image=_rgba(world.own_png, 20),
        before_signing=_annotation_adder("/FreeText", text=b"Approved"),
    )
    report = verify_document(signed, trust_roots=world.roots)
    assert [p.origin for p in report.signatures[0].pictures] == ["widget"]
    assert report.signatures[0].picture_check == "match" and report.all_valid


# --- extra pictures of one signature: /Kids widgets and older /Stamp annotations -------------------
@pytest.mark.parametrize("mode", ["widgets", "stamp_annotations"])
def test_a_wrong_extra_picture_is_caught(tmp_path, world, mode):
    """The first widget shows the right seal, the second (a /Kids widget or a SealDesk stamp
    annotation on page 2) another seal."""
    source = make_pdf(tmp_path / "doc.pdf", pages=2)
    own = seal_image(SealPicture("PNG", world.own_png, 20, 20)).png
    other = seal_image(SealPicture("PNG", world.official_png, 20, 20)).png
    results = {}
    for label, second in (("right", own), ("wrong", other)):
        out = io.BytesIO()
        sign_pdf(
            source,
            out,
            signer=SoftwareDigestSigner.from_issued(world.holder),
            spots=[spot(0, (100, 500, 157, 557)), spot(1, (100, 500, 157, 557))],
            spot_images=[own, second],
            seal_der=world.seal_der,
            settings=SignSettings(extra_pictures=mode),
        )
        path = tmp_path / f"{label}.pdf"
        path.write_bytes(out.getvalue())
        report = verify_document(path, trust_roots=world.roots)
        sig = report.signatures[0]
        results[label] = (len(sig.pictures), {p.origin for p in sig.pictures}, sig.picture_check)
        pictures = report.to_json()["signatures"][0]["pictures"]
        # the report says which picture is wrong, and where
        assert [(p["page"], p["matches_seal"]) for p in pictures] == [(1, True), (2, label == "right")]
    origin = {"widget"} if mode == "widgets" else {"widget", "stamp"}
    assert results["right"] == (2, origin, "match")
    assert results["wrong"] == (2, origin, "mismatch")


def test_a_cross_page_slice_of_another_seal_is_caught(tmp_path, world):
    source = make_pdf(tmp_path / "doc.pdf", pages=3)
    own = seal_image(SealPicture("PNG", world.own_png, 20, 20))
    other = seal_image(SealPicture("PNG", world.official_png, 20, 20))
    spots = [spot(i, (560, 400, 560 + 57 / 3, 457), slice_index=i, slice_count=3) for i in range(3)]
    for label, middle, expected in (("right", own, "match"), ("wrong", other, "mismatch")):
        images = [slice_image(own, 0, 3).png, slice_image(middle, 1, 3).png, slice_image(own, 2, 3).png]
        out = io.BytesIO()
        sign_pdf(
            source,
            out,
            signer=SoftwareDigestSigner.from_issued(world.holder),
            spots=spots,
            spot_images=images,
            seal_der=world.seal_der,
            settings=SignSettings(),
        )
        path = tmp_path / f"{label}.pdf"
        path.write_bytes(out.getvalue())
        sig = verify_document(path, trust_roots=world.roots).signatures[0]
        assert len(sig.pictures) == 3 and sig.picture_check == expected, label


# --- SealDesk's own stampings on the demo key stay valid -------------------------------------------
@pytest.fixture(scope="module")
def demo_session(demo_key, softhsm_module):
    from app.core import demo
    from app.core.keys import TokenManager

    manager = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    token = manager.find_token(label=demo.DEMO_LABEL)
    with manager.open_session(token, demo.DEMO_PIN) as opened:
        yield opened
    manager.close()


def _demo_root(demo_key) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_certificate(demo_key.root_cert_path.read_bytes()).public_bytes(Encoding.DER)


def test_sealdesk_stampings_match_their_seal(tmp_path, demo_key, demo_session):
    """Spot, multi-page and cross-page stampings, one after the other on one document, with the
    contract seal and the personal seal: every picture matches, the document is valid."""
    from app.core.stamping import CrossPagePlacement, SpotPlacement, Stamper, StampOptions, StampRequest
    from app.core.usage.log import UsageLog

    def seal_id(seal_type: int) -> str:
        return next(s.es_id for s in demo_key.seals if s.seal_type == seal_type)

    log = UsageLog(tmp_path / "usage.sqlite3")
    try:
        contract = Stamper(demo_session, seal_id(kinds.CONTRACT), usage_log=log, options=StampOptions())
        personal = Stamper(demo_session, seal_id(kinds.PERSONAL), usage_log=log, options=StampOptions())
        path = make_pdf(tmp_path / "contract.pdf", pages=3)
        path = contract.stamp(
            StampRequest(path, SpotPlacement((120.0, 200.0), pages="1"), approval_ref="A-1")
        ).output_path
        path = personal.stamp(
            StampRequest(path, SpotPlacement((60.0, 250.0), pages="1-3"), output_path=tmp_path / "two.pdf")
        ).output_path
        path = contract.stamp(
            StampRequest(path, CrossPagePlacement(pages="all"), approval_ref="A-2", output_path=tmp_path / "three.pdf")
        ).output_path
    finally:
        log.close()
    report = verify_document(path, trust_roots=[_demo_root(demo_key)])
    assert [len(s.pictures) for s in report.signatures] == [1, 3, 3]
    assert [s.picture_check for s in report.signatures] == ["match"] * 3
    assert all(s.seal_status == "valid" for s in report.signatures)
    assert report.all_valid


def test_the_demo_keys_personal_seal_drawing_the_contract_seal_is_caught(tmp_path, demo_key, demo_session):
    """The attack with the demo key itself: its personal seal's key, the contract seal's picture."""
    from app.core.seals import key_seals

    seals = {s.seal.kind.category.value: s for s in key_seals(demo_session)}
    personal, official = seals["personal"], seals["official"]
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    out = io.BytesIO()
    sign_pdf(
        source,
        out,
        signer=demo_session.digest_signer(personal.key_id),
        spots=[spot(0, (100, 500, 219, 619))],
        spot_images=[seal_image(official.seal.picture).png],
        seal_der=personal.seal.der,
        settings=SignSettings(),
    )
    path = tmp_path / "forged.pdf"
    path.write_bytes(out.getvalue())
    sig = verify_document(path, trust_roots=[_demo_root(demo_key)]).signatures[0]
    assert sig.valid and sig.trusted and sig.seal_status == "picture_mismatch" and not sig.all_valid


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
