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
