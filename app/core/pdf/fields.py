"""The signature fields already in a PDF: which are empty, where they are, and whether one can be signed.

Why: a document certified with DocMDP P=2 may only be signed in the empty signature fields its author
prepared (`sealdesk stamp --field NAME`), so SealDesk must find those fields, show them to the user (GUI)
and refuse clearly when the named one does not exist, is already signed or is not a signature field.
Reads through the pyHanko reader the document was opened with (pdf.inspect.OpenedPdf).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import FieldAlreadySigned, FieldNotFound, NotASignatureField, PlacementInvalid
from ..i18n_marks import QT_TRANSLATE_NOOP

_MAX_DEPTH = 32


@dataclass(frozen=True)
class SignatureField:
    """One signature field of the document with its (only) widget."""

    name: str
    """Fully qualified field name (parts joined by ".")."""
    page_index: int | None
    """0-based page of the widget, None when the widget is on no page (hidden/orphaned)."""
    rect: tuple[float, float, float, float]
    """The widget's /Rect in default user space (x0 < x1, y0 < y1); all zero for invisible fields."""
    filled: bool
    """The field already holds a signature (/V)."""
    widget_count: int
    """Number of widget annotations (SealDesk fills only fields with exactly one)."""

    @property
    def visible(self) -> bool:
        x0, y0, x1, y1 = self.rect
        return self.page_index is not None and x1 > x0 and y1 > y0


def _get(d, key: str, default: Any = None) -> Any:
    """d[key] dereferenced (pyHanko's dict.get would return the raw IndirectObject)."""
    return d[key] if key in d else default


def _numbers(value: Any) -> tuple[float, float, float, float] | None:
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _page_maps(reader) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """One walk of the page tree (cycle-safe): page reference → 0-based index, and annotation reference →
    the index of the page whose /Annots lists it (where viewers find a widget)."""
    page_of: dict[tuple[int, int], int] = {}
    widget_page: dict[tuple[int, int], int] = {}
    stack = [reader.root.raw_get("/Pages")]
    seen: set[tuple[int, int]] = set()
    while stack:
        ref = stack.pop()
        key = (ref.idnum, ref.generation) if hasattr(ref, "idnum") else (id(ref), -1)
        if key in seen:
            continue
        seen.add(key)
        node = ref.get_object()
        if "/Kids" in node:
            stack.extend(reversed(list(node.raw_get("/Kids"))))
            continue
        index = page_of[key] = len(page_of)
        for annot in _get(node, "/Annots") or ():
            if hasattr(annot, "idnum"):
                widget_page[(annot.idnum, annot.generation)] = index
    return page_of, widget_page


def _walk(fields, prefix: str, inherited_ft, depth: int):
    """(name, field dict, field reference, /FT) of every terminal field."""
    if depth > _MAX_DEPTH:
        return
    for ref in fields or ():
        field = ref.get_object()
        part = _get(field, "/T")
        name = f"{prefix}.{part}" if prefix and part is not None else (str(part) if part is not None else prefix)
        ft = _get(field, "/FT", inherited_ft)
        kids = _get(field, "/Kids")
        child_fields = [k for k in kids or () if "/T" in k.get_object()]
        if child_fields:
            yield from _walk(child_fields, name, ft, depth + 1)
        else:
            yield name, field, ref, ft


def _all_fields(reader):
    form = _get(reader.root, "/AcroForm")
    if form is None:
        return []
    return list(_walk(_get(form, "/Fields"), "", None, 0))


def signature_fields(reader) -> list[SignatureField]:
    """Every signature field of the document (filled or not), in the AcroForm's order."""
    page_of, widget_page = _page_maps(reader)
    result = []
    for name, field, ref, ft in _all_fields(reader):
        if ft != "/Sig":
            continue
        kids = _get(field, "/Kids")
        widgets = list(kids) if kids else [ref]
        widget = widgets[0].get_object()
        rect = _numbers(_get(widget, "/Rect", (0, 0, 0, 0))) or (0.0, 0.0, 0.0, 0.0)
        w_ref = widgets[0]
        page = widget_page.get((w_ref.idnum, w_ref.generation)) if hasattr(w_ref, "idnum") else None
        if page is None and "/P" in widget:
            p_ref = widget.raw_get("/P")
            page = page_of.get((p_ref.idnum, p_ref.generation)) if hasattr(p_ref, "idnum") else None
        result.append(
            SignatureField(
                name=name,
                page_index=page if page is not None and page >= 0 else None,
                rect=rect,
                filled=_get(field, "/V") is not None,
                widget_count=len(widgets),
            )
        )
    return result


def empty_signature_fields(reader) -> list[SignatureField]:
    """The empty signature fields (what `--field` may name)."""
    return [f for f in signature_fields(reader) if not f.filled]


def field_names_text(fields: list[SignatureField]) -> str:
    """The names for a user message ("—" when there is none)."""
    return ", ".join(f"“{f.name}”" for f in fields) or "—"


def find_empty_field(reader, name: str) -> SignatureField:
    """The empty, visible signature field `name`, or a typed error listing the empty signature fields."""
    every = signature_fields(reader)
    empty = [f for f in every if not f.filled]
    listing = field_names_text(empty)
    for field in every:
        if field.name != name:
            continue
        if field.filled:
            raise FieldAlreadySigned(f"field {name!r} has /V", field=name, fields=listing)
        if field.widget_count != 1 or not field.visible:
            raise PlacementInvalid(
                f"field {name!r}: {field.widget_count} widgets, page {field.page_index}, rect {field.rect}",
                reason=QT_TRANSLATE_NOOP(
                    "errors", "the signature field has no single visible box on a page to draw the seal in"
                ),
            )
        return field
    if any(n == name for n, *_ in _all_fields(reader)):
        raise NotASignatureField(f"field {name!r} is not /FT /Sig", field=name, fields=listing)
    raise FieldNotFound(f"no field {name!r}", field=name, fields=listing)
