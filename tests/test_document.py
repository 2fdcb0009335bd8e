"""app/core/document.py on real PDFs: sizes, rendering (also from several threads), search, empty fields, errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pymupdf
import pytest
from documents import make_pdf
from PIL import Image

from app.core import errors, placement
from app.core.document import Document, EmptyField, TextHit, open_document

MM = 25.4 / 72
A4_MM = (595.28 * MM, 841.89 * MM)


def _dark_pixels(render, box_px) -> int:
    image = Image.frombytes("RGB", (render.width, render.height), render.samples)
    crop = image.crop(box_px).convert("L")
    return sum(1 for v in crop.get_flattened_data() if v < 128)


def test_page_sizes_follow_cropbox_and_rotation(tmp_path: Path):
    pdf = make_pdf(
        tmp_path / "mixed.pdf",
        pages=3,
        rotations={1: 90},
        cropboxes={2: (50, 100, 450, 700)},
    )
    with open_document(pdf) as doc:
        assert isinstance(doc, Document)
        assert doc.path == pdf and doc.page_count == 3
        assert doc.page_size_mm(0) == pytest.approx(A4_MM, abs=0.01)
        assert doc.page_size_mm(1) == pytest.approx((A4_MM[1], A4_MM[0]), abs=0.01)  # landscape as displayed
        assert doc.page_size_mm(2) == pytest.approx((400 * MM, 600 * MM), abs=0.01)
        with pytest.raises(errors.PageOutOfRange):
            doc.page_size_mm(3)


def test_render_is_the_visible_page_at_any_dpi(tmp_path: Path):
    pdf = make_pdf(tmp_path / "r.pdf", pages=2, rotations={1: 270})
    with open_document(pdf) as doc:
        page = doc.render(0, 72)
        assert page.width in (595, 596) and page.height == 842  # 595.28 pt
        assert page.stride == page.width * 3 and len(page.samples) == page.stride * page.height
        odd = doc.render(0, 137.5)  # fractional dpi (zoom 143 %) works
        assert odd.width == pytest.approx(595.28 * 137.5 / 72, abs=1)
        rotated = doc.render(1, 72)
        assert rotated.width == 842 and rotated.height in (595, 596)
        # the body text line at 72 pt from the top is dark in the rendering
        assert _dark_pixels(page, (72, 60, 300, 75)) > 50
        with pytest.raises(errors.InvalidArgument):
            doc.render(0, 100_000)


def test_render_from_threads_while_searching(tmp_path: Path):
    """The GUI renders on a worker thread while its own thread searches: results must not change."""
    pdf = make_pdf(tmp_path / "t.pdf", pages=6, keyword_at={i: (100, 300) for i in range(6)})
    with open_document(pdf) as doc:
        expected = [doc.render(i, 50).samples for i in range(6)]
        results: dict[tuple[int, int], bytes] = {}
        failures: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                for _ in range(3):
                    for i in range(6):
                        results[(worker, i)] = doc.render(i, 50).samples
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(3)]
        for t in threads:
            t.start()
        hits = [len(doc.search("盖章")) for _ in range(5)]
        for t in threads:
            t.join()
        assert not failures
        assert hits == [6] * 5
        assert all(results[(w, i)] == expected[i] for w in range(3) for i in range(6))


def test_search_hits_are_where_the_text_is_drawn(tmp_path: Path):
    pdf = make_pdf(
        tmp_path / "k.pdf",
        pages=3,
        rotations={1: 90},
        cropboxes={2: (40, 60, 500, 760)},
        keyword_at={0: (300, 500), 1: (200, 400), 2: (250, 450)},
    )
    with open_document(pdf) as doc:
        hits = doc.search("（盖章）")
        assert [h.page for h in hits] == [0, 1, 2]
        assert all(isinstance(h, TextHit) for h in hits)
        for hit in hits:
            x, y, w, h = hit.rect_mm
            assert w > 5 and h > 2  # four 14 pt characters
            dpi = 150
            render = doc.render(hit.page, dpi)
            px = [round(v * dpi / 25.4) for v in (x, y, x + w, y + h)]
            assert _dark_pixels(render, px) > 30  # the glyphs are inside the box on the rendered page
        assert hits[0].rect_mm[0] == pytest.approx(300 * MM, abs=0.5)
        assert doc.search("（盖章）", pages=[1]) == [hits[1]]
        assert doc.search("not in the document") == []
        with pytest.raises(errors.InvalidArgument):
            doc.search("  ")


def test_empty_signature_fields_only_unsigned_ones(tmp_path: Path, signer):
    from pdf_helpers import seal_png, spot
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    from app.core.pdf.sign import SignSettings, sign_pdf

    base = make_pdf(tmp_path / "base.pdf", pages=2, rotations={1: 90})
    with_fields = tmp_path / "fields.pdf"
    with open(base, "rb") as inf, open(with_fields, "wb") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        fields.append_signature_field(writer, fields.SigFieldSpec("甲方", on_page=0, box=(100, 600, 250, 680)))
        fields.append_signature_field(writer, fields.SigFieldSpec("乙方", on_page=1, box=(100, 200, 180, 300)))
        writer.write(outf)
    with open_document(with_fields) as doc:
        found = doc.empty_signature_fields()
    assert [f.name for f in found] == ["甲方", "乙方"]
    first, second = found
    assert isinstance(first, EmptyField) and (first.page, second.page) == (0, 1)
    # page 0 unrotated: x from the left, y from the top edge (841.89 pt high)
    assert first.rect_mm == pytest.approx((100 * MM, (841.89 - 680) * MM, 150 * MM, 80 * MM), abs=0.01)
    # page 1 turned 90° clockwise: the displayed top-left is the unrotated bottom-left corner, so the
    # displayed x runs up the unrotated page and y runs right
    assert second.rect_mm == pytest.approx((200 * MM, 100 * MM, 100 * MM, 80 * MM), abs=0.01)
    geometry = placement.page_geometries(with_fields)[1]
    x, y, _, _ = second.rect_mm
    assert placement.visible_mm_to_user(geometry, x, y) == pytest.approx((100, 200), abs=0.01)

    signed = tmp_path / "signed.pdf"
    with open(signed, "wb") as out:
        sign_pdf(with_fields, out, signer=signer, spots=[spot(0, (300, 300, 400, 400))],
                 spot_images=[seal_png()], seal_der=None, settings=SignSettings())  # fmt: skip
    with open_document(signed) as doc:
        assert [f.name for f in doc.empty_signature_fields()] == ["甲方", "乙方"]  # SealDesk's own field is signed
    with open_document(base) as doc:
        assert doc.empty_signature_fields() == []


def test_bad_inputs_are_typed_errors(tmp_path: Path):
    with pytest.raises(errors.DocumentNotFound):
        open_document(tmp_path / "missing.pdf")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\nthis is not a PDF at all")
    with pytest.raises(errors.DocumentDamaged) as damaged:
        open_document(junk)
    assert "junk.pdf" in damaged.value.user_message()
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(errors.DocumentDamaged):
        open_document(text)
    locked = tmp_path / "locked.pdf"
    doc = pymupdf.open()
    doc.new_page()
    doc.save(locked, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="u")
    doc.close()
    with pytest.raises(errors.DocumentEncrypted):
        open_document(locked)
    opened = open_document(make_pdf(tmp_path / "ok.pdf", pages=1))
    opened.close()
    opened.close()  # twice is harmless
    with pytest.raises(errors.InvalidArgument) as closed:
        opened.render(0, 72)
    assert "已关闭" in closed.value.user_message(_zh)


def _zh(context: str, text: str) -> str:
    """The zh_CN catalogue's translation (tests run in English)."""
    from app.i18n import _catalog

    return _catalog("zh_CN").get((context, text), text)


def test_large_renders_come_in_bands_that_leave_the_gui_thread_running(tmp_path: Path):
    """A page at 400 %+ is rasterised in bands: byte for byte what one MuPDF call gives, yet another
    thread (the GUI's) gets the GIL between bands instead of waiting for the whole page."""
    import time

    pdf = make_pdf(tmp_path / "big.pdf", pages=3, rotations={1: 180}, cropboxes={2: (30, 50, 500, 800)})
    with open_document(pdf) as doc:
        for index in range(3):
            rendered = doc.render(index, 300)
            w_pt, h_pt = doc.geometry(index).visible_size_pt
            matrix = pymupdf.Matrix(rendered.width / w_pt, rendered.height / h_pt)
            whole = doc._doc[index].get_pixmap(matrix=matrix, alpha=False)  # one call, for comparison
            assert (whole.width, whole.height) == (rendered.width, rendered.height)
            assert bytes(whole.samples) == rendered.samples

        done = threading.Event()

        def work() -> None:
            for index in range(3):
                doc.render(index, 700)
            done.set()

        worker = threading.Thread(target=work)
        last, worst = time.perf_counter(), 0.0
        worker.start()
        while not done.is_set():
            now = time.perf_counter()
            worst, last = max(worst, now - last), now
            time.sleep(0.001)
        worker.join()
        assert worst < 0.100, f"the other thread waited {worst * 1000:.0f} ms"
