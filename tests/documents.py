"""Real PDFs for stamping tests, made with PyMuPDF, plus a renderer that finds the seal's red pixels."""

from __future__ import annotations

from pathlib import Path

import pymupdf as fitz

A4 = (595.28, 841.89)


def make_pdf(
    path: Path,
    *,
    pages: int = 3,
    size: tuple[float, float] = A4,
    rotations: dict[int, int] | None = None,
    cropboxes: dict[int, tuple[float, float, float, float]] | None = None,
    keyword_at: dict[int, tuple[float, float]] | None = None,
    keyword: str = "（盖章）",
) -> Path:
    """A multi-page PDF with body text; `keyword_at` puts `keyword` at (x, y) pt (PyMuPDF top-left coords)."""
    doc = fitz.open()
    for index in range(pages):
        page = doc.new_page(width=size[0], height=size[1])
        page.insert_text((72, 72), f"SealDesk test document — page {index + 1}", fontsize=12)
        page.insert_text((72, 100), "本合同一式两份，双方各执一份。", fontname="china-s", fontsize=12)
        if keyword_at and index in keyword_at:
            page.insert_text(keyword_at[index], keyword, fontname="china-s", fontsize=14)
        if cropboxes and index in cropboxes:
            page.set_cropbox(fitz.Rect(*cropboxes[index]))
        if rotations and index in rotations:
            page.set_rotation(rotations[index])
    doc.save(path)
    doc.close()
    return path


def red_box_mm(pdf: Path, page_index: int, dpi: int = 150) -> tuple[float, float, float, float] | None:
    """Bounding box (x0, y0, x1, y1) in visible-page mm of strongly red pixels on a rendered page."""
    from PIL import Image, ImageChops

    with fitz.open(pdf) as doc:
        pix = doc[page_index].get_pixmap(dpi=dpi, alpha=False)
    image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    red, green, blue = image.split()
    mask = ImageChops.multiply(
        red.point(lambda v: 255 if v > 180 else 0),
        ImageChops.multiply(green.point(lambda v: 255 if v < 90 else 0), blue.point(lambda v: 255 if v < 90 else 0)),
    )
    box = mask.getbbox()
    if box is None:
        return None
    mm = 25.4 / dpi
    return (box[0] * mm, box[1] * mm, box[2] * mm, box[3] * mm)
