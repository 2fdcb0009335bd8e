"""The parts of an OFD document as plain data: what the renderer, the keyword search and the signature
code (stamping, verification) need. Units are millimetres, origin at the page's top-left, y downwards —
OFD's own convention, and SealDesk's visible-page mm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .xml import Element

Box = tuple[float, float, float, float]
"""x, y, w, h in mm."""


@dataclass(frozen=True)
class FontRes:
    id: str
    name: str
    family: str
    bold: bool
    italic: bool
    file_part: str | None
    """The embedded font's part, None when only named."""


@dataclass(frozen=True)
class MediaRes:
    id: str
    type: str
    format: str
    file_part: str


@dataclass(frozen=True)
class ColorSpaceRes:
    id: str
    type: str
    """GRAY, RGB or CMYK (upper-cased)."""
    bits: int


@dataclass(frozen=True)
class DrawParamRes:
    id: str
    relative: str | None
    element: Element


@dataclass(frozen=True)
class CompositeUnit:
    id: str
    width: float
    height: float
    element: Element


@dataclass
class Resources:
    """PublicRes and DocumentRes merged (ids are unique across a document)."""

    fonts: dict[str, FontRes] = field(default_factory=dict)
    media: dict[str, MediaRes] = field(default_factory=dict)
    colour_spaces: dict[str, ColorSpaceRes] = field(default_factory=dict)
    draw_params: dict[str, DrawParamRes] = field(default_factory=dict)
    composites: dict[str, CompositeUnit] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)
    """The resource files themselves."""


@dataclass(frozen=True)
class Template:
    id: str
    part: str
    zorder: str
    """"Background" (under the page content) or "Foreground"."""
    root: Element


@dataclass(frozen=True)
class Annotation:
    id: str
    type: str
    subtype: str
    visible: bool
    appearance: Element | None
    """The Appearance element (a page block with a Boundary), None when the annotation draws nothing."""


@dataclass(frozen=True)
class Attachment:
    id: str
    name: str
    format: str
    file_part: str | None


@dataclass(frozen=True)
class Reference:
    file_ref: str
    """As written (usually absolute, "/Doc_0/…")."""
    part: str | None
    """The normalised part it names; None when it names nothing safe."""
    check_value: str
    """Base64 as written."""


@dataclass(frozen=True)
class StampAnnot:
    id: str
    page_ref: str
    """The ID of the page it lies on (Page@ID, not the index)."""
    page_index: int | None
    """0-based index of that page, None when no page has that ID."""
    boundary: Box
    clip: Box | None


@dataclass(frozen=True)
class SignatureEntry:
    """One Signatures.xml entry with its Signature.xml read."""

    id: str
    type: str
    """"Seal" (电子签章) or "Sign" (plain signature)."""
    part: str
    """The Signature.xml part."""
    check_method: str
    signature_method: str
    date_time: str
    references: tuple[Reference, ...]
    stamp_annots: tuple[StampAnnot, ...]
    seal_part: str | None
    signed_value_part: str | None
    root: Element


@dataclass(frozen=True)
class Page:
    index: int
    id: str
    part: str
    box: Box
    """PhysicalBox in mm (x, y, w, h); the visible page is w × h mm."""
    root: Element
    templates: tuple[Template, ...]
    annotations: tuple[Annotation, ...]

    @property
    def size_mm(self) -> tuple[float, float]:
        return self.box[2], self.box[3]
