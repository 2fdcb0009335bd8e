"""Every OFD in tests/data/interop opens and every page renders like its reference PNG (tests/data/ofd_ref,
made by SealDesk and checked by eye), within a tolerance; plus pixel checks of what the files describe.

Regenerate the references after a deliberate rendering change with
`SEALDESK_UPDATE_OFD_REF=1 pytest tests/test_ofd_render.py`, then look at every picture before committing.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from app.core import document as document_module
from app.core.ofd import fonts

DATA = Path(__file__).parent / "data"
INTEROP = DATA / "interop"
REF = DATA / "ofd_ref"
REF_DPI = 36
OFD_FILES = sorted(p.name for p in INTEROP.glob("*.ofd"))


@pytest.fixture(autouse=True)
def _no_installed_fonts(monkeypatch):
    """References are made with the embedded fonts and the built-in CJK fallback only, so that they do not
    depend on the fonts of the machine running the tests."""
    monkeypatch.setattr(fonts, "named_font_file", lambda name: None)


def _image(page) -> Image.Image:
    return Image.frombuffer("RGB", (page.width, page.height), page.samples, "raw", "RGB", page.stride, 1)


def _difference(a: Image.Image, b: Image.Image) -> tuple[float, float]:
    """(mean absolute difference 0..255, share of pixels differing by more than 80 in some channel)."""
    diff = ImageChops.difference(a, b)
    mean = sum(ImageStat.Stat(diff).mean) / 3
    grey = diff.convert("L").point(lambda v: 255 if v > 80 else 0)
    share = ImageStat.Stat(grey).mean[0] / 255
    return mean, share


@pytest.mark.parametrize("name", OFD_FILES)
def test_every_page_renders_like_its_reference(name: str):
    with document_module.open_document(INTEROP / name) as doc:
        assert isinstance(doc, document_module.OfdViewDocument)
        for index in range(doc.page_count):
            w_mm, h_mm = doc.page_size_mm(index)
            rendered = doc.render(index, REF_DPI)
            assert (rendered.width, rendered.height) == (round(w_mm / 25.4 * REF_DPI), round(h_mm / 25.4 * REF_DPI))
            image = _image(rendered)
            ref = REF / f"{Path(name).stem}_p{index + 1}.png"
            if os.environ.get("SEALDESK_UPDATE_OFD_REF") == "1":
                image.save(ref, optimize=True)
                continue
            expected = Image.open(ref).convert("RGB")
            assert expected.size == image.size
            mean, share = _difference(image, expected)
            assert mean < 2.0 and share < 0.01, f"{ref.name}: mean {mean:.2f}, {share:.2%} pixels differ"
            # a page that renders blank would match a blank reference: every reference has ink
            assert ImageStat.Stat(expected.convert("L")).extrema[0][0] < 128


def _pixel(doc, index: int, x_mm: float, y_mm: float, dpi: float = 72) -> tuple[int, int, int]:
    rendered = doc.render(index, dpi)
    image = _image(rendered)
    return image.getpixel((int(x_mm / 25.4 * dpi), int(y_mm / 25.4 * dpi)))


def test_the_seal_of_a_signed_ofd_is_drawn_in_its_stamp_annotation():
    """keyword.ofd's signature has a StampAnnot 90,110 42×42 mm on page 1: the seal's red ring shows
    there (from the picture inside SignedValue.dat), and nothing red outside the page's own design."""
    with document_module.open_document(INTEROP / "keyword.ofd") as doc:
        image = _image(doc.render(0, 72))
        scale = 72 / 25.4
        box = image.crop((int(90 * scale), int(110 * scale), int(132 * scale), int(152 * scale)))
        reds = sum(1 for r, g, b in box.get_flattened_data() if r > 180 and g < 90 and b < 90)
        assert reds > 100
    with document_module.open_document(INTEROP / "SESV4SignDoc.ofd") as doc:
        image = _image(doc.render(0, 72))
        inside = image.crop((int(50 * scale), int(50 * scale), int(90 * scale), int(90 * scale)))
        assert sum(1 for r, g, b in inside.get_flattened_data() if r > 150 and g < 100 and b < 100) > 100


def test_a_vector_ofd_seal_picture_is_drawn():
    """signedFile.ofd's seal picture is itself an OFD (the tax office's oval stamp): drawn by SealDesk's own
    renderer into the StampAnnot at 90,8 30×20 mm."""
    with document_module.open_document(INTEROP / "signedFile.ofd") as doc:
        image = _image(doc.render(0, 72))
        scale = 72 / 25.4
        stamp = image.crop((int(90 * scale), int(8 * scale), int(120 * scale), int(28 * scale)))
        assert sum(1 for r, g, b in stamp.get_flattened_data() if r > 180 and g < 90 and b < 90) > 100
        assert not doc.ofd.problems


def test_fill_colour_and_text_colour_from_the_file():
    """testPathFillOpacity.ofd: the red title (FillColor 255 0 0 via DrawParam/object) is red."""
    with document_module.open_document(INTEROP / "testPathFillOpacity.ofd") as doc:
        image = _image(doc.render(0, 50))
        top = image.crop((0, 0, image.width, image.height // 8))
        reds = sum(1 for r, g, b in top.get_flattened_data() if r > 180 and g < 80 and b < 80)
        assert reds > 500


def test_jbig2_image_and_template_of_an_invoice():
    """signedFile.ofd draws its QR code from a JBIG2 resource (dark modules top left) and its frame from a
    background template (brown lines)."""
    with document_module.open_document(INTEROP / "signedFile.ofd") as doc:
        image = _image(doc.render(0, 72))
        scale = 72 / 25.4
        qr = image.crop((int(5 * scale), int(4 * scale), int(25 * scale), int(24 * scale))).convert("L")
        assert ImageStat.Stat(qr).mean[0] < 200
        brown = sum(1 for r, g, b in image.get_flattened_data() if r > g + 25 and g > b + 15)  # 156 82 35, antialiased
        assert brown > 1000


def test_page_sizes_in_mm_from_the_physical_box():
    with document_module.open_document(INTEROP / "keyword.ofd") as doc:
        assert doc.page_size_mm(0) == (283.0, 196.0)
    with document_module.open_document(INTEROP / "path_unstd.ofd") as doc:
        assert doc.page_size_mm(0) == pytest.approx((209.95639, 297.027588))
        assert doc.page_size_mm(1) == (210.0, 297.0)  # its own Area overrides the document default


def test_rendered_page_is_a_valid_png_when_saved():
    """The renderer's pixels are what the GUI shows: save one and read it back."""
    with document_module.open_document(INTEROP / "helloworld.ofd") as doc:
        buffer = io.BytesIO()
        _image(doc.render(0, 30)).save(buffer, "PNG")
        assert Image.open(io.BytesIO(buffer.getvalue())).size == (248, 351)


def _synthetic(tmp_path: Path) -> Path:
    """One page exercising what the interop files do not: DrawParam inheritance (Relative, layer), a
    composite object with its own CTM, a clip, arcs, colour alpha, foreground and background templates."""
    from ofd_documents import NS, minimal_parts, write_ofd

    def path(oid: str, boundary: str, data: str, extra: str = "", inner: str = "") -> str:
        return (f'<ofd:PathObject ID="{oid}" Boundary="{boundary}" Fill="true" Stroke="false"{extra}>{inner}'
                f"<ofd:AbbreviatedData>{data}</ofd:AbbreviatedData></ofd:PathObject>")

    box = "M 0 0 L 50 0 L 50 50 L 0 50 C"
    parts = minimal_parts()
    parts["Doc_0/PublicRes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:DrawParams>'
        '<ofd:DrawParam ID="10"><ofd:FillColor Value="255 0 0"/></ofd:DrawParam>'
        '<ofd:DrawParam ID="11" Relative="10" LineWidth="2"/></ofd:DrawParams>'
        '<ofd:CompositeGraphicUnits><ofd:CompositeGraphicUnit ID="20" Width="10" Height="10"><ofd:Content>'
        + path("21", "0 0 10 10", "M 0 0 L 10 0 L 10 10 L 0 10 C", inner='<ofd:FillColor Value="0 255 0"/>')
        + "</ofd:Content></ofd:CompositeGraphicUnit></ofd:CompositeGraphicUnits></ofd:Res>"
    )
    clip = ('<ofd:Clips><ofd:Clip><ofd:Area><ofd:Path Boundary="0 0 25 50"><ofd:AbbreviatedData>M 0 0 L 25 0 '
            "L 25 50 L 0 50 C</ofd:AbbreviatedData></ofd:Path></ofd:Area></ofd:Clip></ofd:Clips>")
    content = (
        path("30", "10 10 50 50", box, ' DrawParam="11"')  # red via Relative
        + '<ofd:CompositeObject ID="31" Boundary="100 10 20 20" CTM="2 0 0 2 0 0" ResourceID="20"/>'  # green
        + path("32", "10 80 50 50", box, inner=clip + '<ofd:FillColor Value="0 0 255"/>')  # blue, left half
        + path("33", "100 80 50 50", "M 0 25 A 25 25 0 1 1 50 25 A 25 25 0 1 1 0 25 C",
               inner='<ofd:FillColor Value="0 0 0"/>')  # a black disc
        + path("34", "10 150 50 50", box, inner='<ofd:FillColor Value="0 0 0" Alpha="128"/>')  # 50 % grey
        + path("35", "100 150 50 50", box, inner='<ofd:FillColor Value="0 0 255"/>')  # under the foreground
    )
    layer_param = path("36", "10 220 50 50", box)  # no colour of its own: the layer's DrawParam (red)
    parts["Doc_0/Pages/Page_0/Content.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}">'
        '<ofd:Template TemplateID="40" ZOrder="Foreground"/><ofd:Template TemplateID="41"/>'
        f'<ofd:Content><ofd:Layer ID="2">{content}</ofd:Layer><ofd:Layer ID="3" DrawParam="10">{layer_param}'
        "</ofd:Layer></ofd:Content></ofd:Page>"
    )
    template = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="9">'
                "{}</ofd:Layer></ofd:Content></ofd:Page>")
    parts["Doc_0/Tpls/Fore.xml"] = template.format(path("50", "100 150 50 25", box, inner='<ofd:FillColor Value="255 255 0"/>'))
    parts["Doc_0/Tpls/Back.xml"] = template.format(path("51", "160 220 40 40", box, inner='<ofd:FillColor Value="255 0 255"/>'))
    parts["Doc_0/Document.xml"] = parts["Doc_0/Document.xml"].replace(
        "</ofd:CommonData>",
        '<ofd:TemplatePage ID="40" BaseLoc="Tpls/Fore.xml"/><ofd:TemplatePage ID="41" BaseLoc="Tpls/Back.xml" '
        'ZOrder="Background"/></ofd:CommonData>',
    )
    return write_ofd(tmp_path / "synthetic.ofd", parts)


def test_draw_params_composites_clips_arcs_alpha_templates(tmp_path: Path):
    with document_module.open_document(_synthetic(tmp_path)) as doc:
        image = _image(doc.render(0, 25.4))  # 1 px per mm

        def at(x: int, y: int) -> tuple[int, int, int]:
            return image.getpixel((x, y))

        assert at(35, 35) == (255, 0, 0)  # DrawParam 11 → Relative 10
        assert at(102, 12) == (0, 255, 0) and at(118, 28) == (0, 255, 0)  # 10 mm unit × CTM 2 at 100,10
        assert at(122, 25) == (255, 255, 255)
        assert at(20, 105) == (0, 0, 255) and at(45, 105) == (255, 255, 255)  # clipped to the left half
        assert at(125, 105) == (0, 0, 0) and at(102, 82) == (255, 255, 255)  # disc: centre in, corner out
        assert all(110 <= c <= 145 for c in at(35, 175))  # black at alpha 128 over white
        assert at(125, 160) == (255, 255, 0) and at(125, 190) == (0, 0, 255)  # foreground over content
        assert at(35, 245) == (255, 0, 0)  # the layer's DrawParam
        assert at(180, 240) == (255, 0, 255)  # background template
