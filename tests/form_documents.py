"""Form PDFs the way two common producers write them, for "forms keep their look" tests.

- LibreOffice style: text fields with values (/V) but NO appearance streams, and /NeedAppearances true
  in the AcroForm (viewers draw the values themselves).
- LaTeX/hyperref style: text fields with values AND appearance streams (/AP /N), /NeedAppearances false.

Both carry /DA and /DR (Helvetica as /Helv) in the AcroForm; `extra_acroform` adds more entries (e.g. an
/XFA stub) to check that stamping keeps every entry. Pages come from PyMuPDF; the form is added with
pyHanko's writer as one incremental update (both tools are independent of SealDesk's signing code).
"""

from __future__ import annotations

from pathlib import Path

FIELDS = (("name", "Zhang San", (100.0, 700.0, 300.0, 724.0)), ("amount", "RMB 10,000.00", (100.0, 650.0, 300.0, 674.0)))
"""(name, value, /Rect on page 1) of the text fields."""


def make_form_pdf(path: Path, style: str, *, pages: int = 3, extra_acroform: dict | None = None) -> Path:
    """A `pages`-page PDF with a form in `style` ("libreoffice" or "latex") on page 1."""
    import pymupdf as fitz
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    base = path.with_suffix(".base.pdf")
    doc = fitz.open()
    for index in range(pages):
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 72), f"Form test page {index + 1}", fontsize=14)
        page.insert_text((40, 130), "Name:", fontsize=11)
        page.insert_text((40, 180), "Amount:", fontsize=11)
    doc.save(str(base))
    doc.close()

    with open(base, "rb") as inf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        helv = writer.add_object(
            generic.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Font"),
                    pdf_name("/Subtype"): pdf_name("/Type1"),
                    pdf_name("/BaseFont"): pdf_name("/Helvetica"),
                    pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
                }
            )
        )
        font_res = generic.DictionaryObject({pdf_name("/Font"): generic.DictionaryObject({pdf_name("/Helv"): helv})})
        page_ref, _ = writer.find_page_for_modification(0)
        field_refs = generic.ArrayObject()
        for name, value, rect in FIELDS:
            field = generic.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Annot"),
                    pdf_name("/Subtype"): pdf_name("/Widget"),
                    pdf_name("/FT"): pdf_name("/Tx"),
                    pdf_name("/T"): pdf_string(name),
                    pdf_name("/V"): pdf_string(value),
                    pdf_name("/DA"): pdf_string("/Helv 12 Tf 0 g"),
                    pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in rect),
                    pdf_name("/F"): generic.NumberObject(4),
                    pdf_name("/P"): page_ref,
                    pdf_name("/MK"): generic.DictionaryObject(),
                }
            )
            if style == "latex":
                w, h = rect[2] - rect[0], rect[3] - rect[1]
                text = value.replace("(", r"\(").replace(")", r"\)")
                stream = generic.StreamObject(
                    {
                        pdf_name("/Type"): pdf_name("/XObject"),
                        pdf_name("/Subtype"): pdf_name("/Form"),
                        pdf_name("/BBox"): generic.ArrayObject(generic.FloatObject(v) for v in (0, 0, w, h)),
                        pdf_name("/Resources"): font_res,
                    },
                    stream_data=f"/Tx BMC q BT /Helv 12 Tf 0 g 2 7 Td ({text}) Tj ET Q EMC".encode("latin-1"),
                )
                field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): writer.add_object(stream)})
            elif style != "libreoffice":
                raise ValueError(style)
            ref = writer.add_object(field)
            writer.register_annotation(page_ref, ref)
            field_refs.append(ref)
        acroform = generic.DictionaryObject(
            {
                pdf_name("/Fields"): field_refs,
                pdf_name("/NeedAppearances"): generic.BooleanObject(style == "libreoffice"),
                pdf_name("/DA"): pdf_string("/Helv 0 Tf 0 g"),
                pdf_name("/DR"): font_res,
            }
        )
        for key, value in (extra_acroform or {}).items():
            acroform[pdf_name(key)] = value
        writer.root[pdf_name("/AcroForm")] = writer.add_object(acroform)
        writer.update_root()
        with open(path, "wb") as outf:
            writer.write(outf)
    base.unlink()
    return path
