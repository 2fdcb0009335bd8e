"""The page's graphic objects in drawing order, each with its full transform into page mm.

Order (GB/T 33190 §8–9): background templates, the page's layers, foreground templates, then the
visible annotations' appearances. PageBlocks and CompositeObjects are walked into; a CompositeObject's
content comes from its CompositeGraphicUnit resource. Both the renderer and the text search use this walk,
so what is found is where it is drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from . import xml
from .model import Page
from .reader import OfdDocument, numbers

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
LEAVES = ("TextObject", "PathObject", "ImageObject")
MAX_DEPTH = 12
"""Nested blocks/composites deeper than this are not drawn (a composite that contains itself)."""


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF row-vector convention: p·m·n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n  # noqa: N806 - matrix notation
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def matrix_of(value: str, name: str) -> Matrix | None:
    values = numbers(value, name) if value else []
    return (values[0], values[1], values[2], values[3], values[4], values[5]) if len(values) == 6 else None


def boundary_of(element: xml.Element, name: str) -> tuple[float, float, float, float]:
    values = numbers(xml.attr(element, "Boundary"), name)
    return (values[0], values[1], values[2], values[3]) if len(values) == 4 else (0.0, 0.0, 0.0, 0.0)


def object_matrix(element: xml.Element, parent: Matrix, name: str) -> tuple[Matrix, Matrix]:
    """(boundary space → page, object space → page): the Boundary's origin, then the object's CTM."""
    bx, by, _, _ = boundary_of(element, name)
    at_boundary = multiply((1.0, 0.0, 0.0, 1.0, bx, by), parent)
    ctm = matrix_of(xml.attr(element, "CTM"), name)
    return at_boundary, (multiply(ctm, at_boundary) if ctm else at_boundary)


@dataclass(frozen=True)
class Placed:
    """One leaf object to draw."""

    element: xml.Element
    kind: str
    boundary_matrix: Matrix
    """Boundary space → page mm (clips without TransFlag live here)."""
    matrix: Matrix
    """Object space (after CTM) → page mm."""
    draw_params: tuple[str, ...]
    """DrawParam ids from the outermost (layer) to the innermost (object); the object's own attributes
    override them all."""


def _block(doc: OfdDocument, block: xml.Element, parent: Matrix, params: tuple[str, ...],
           depth: int) -> Iterator[Placed]:
    if depth > MAX_DEPTH:
        return
    for element in xml.children(block):
        kind = xml.local(element)
        own = (xml.attr(element, "DrawParam"),) if xml.attr(element, "DrawParam") else ()
        if kind in ("Layer", "PageBlock"):
            yield from _block(doc, element, parent, params + own, depth + 1)
        elif kind in LEAVES:
            if xml.attr(element, "Visible", "true") == "false":
                continue
            at_boundary, full = object_matrix(element, parent, doc.name)
            yield Placed(element, kind, at_boundary, full, params + own)
        elif kind == "CompositeObject":
            unit = doc.resources.composites.get(xml.attr(element, "ResourceID"))
            if unit is None or xml.attr(element, "Visible", "true") == "false":
                continue
            _, full = object_matrix(element, parent, doc.name)
            unit_content = xml.child(unit.element, "Content")
            yield from _block(doc, unit.element if unit_content is None else unit_content, full, params + own,
                              depth + 1)


def content_of(root: xml.Element) -> xml.Element:
    """The Content element of a page or template (the root itself when it has none)."""
    content = xml.child(root, "Content")
    return root if content is None else content


def walk_page(doc: OfdDocument, page: Page, base: Matrix = IDENTITY, *, annotations: bool = True) -> Iterator[Placed]:
    """Every leaf object of `page` in drawing order, with matrices into page mm (composed with `base`)."""
    ox, oy = page.box[0], page.box[1]
    origin = multiply((1.0, 0.0, 0.0, 1.0, -ox, -oy), base)
    for template in page.templates:
        if template.zorder.lower() != "foreground":
            yield from _block(doc, content_of(template.root), origin, (), 0)
    yield from _block(doc, content_of(page.root), origin, (), 0)
    for template in page.templates:
        if template.zorder.lower() == "foreground":
            yield from _block(doc, content_of(template.root), origin, (), 0)
    if annotations:
        for annot in page.annotations:
            if annot.visible and annot.appearance is not None:
                at, _ = object_matrix(annot.appearance, origin, doc.name)
                yield from _block(doc, annot.appearance, at, (), 1)
