"""What a signature shows on the page, and whether that is the picture of the seal it carries.

Why: the signature's cryptography says *who* signed and which seal they hold, but a reader trusts the
red picture on the page. A holder of any trusted key could sign with their personal seal while drawing
the company's official seal picture. So verification collects every picture a signature draws — the
appearance streams of its field's widgets (the field itself or its /Kids) and SealDesk's older extra
pictures, /Stamp annotations whose /NM is "<field name>-<n>" (sign.py `_add_stamp_annotation`) — and
compares their DECODED pixels with the picture inside the seal (tolerant of resampling and compression,
not of another drawing). Cross-page slices are compared with the matching slice of the seal picture.

Only image XObjects can be checked: an appearance that paints anything else (paths, text, inline
images, shadings) cannot be proven to be the seal's picture and counts as a mismatch for a seal.
Each distinct image XObject is decoded once per document.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

SAMPLE_LONG_SIDE = 256
"""Pictures are compared with at most this many pixels on the long side (a seal's characters stay legible)."""

TILE_PX = 16
"""Side of the tiles whose share of differing pixels is measured."""

PIXEL_TOLERANCE = 64
"""A pixel differs when a premultiplied R, G, B or alpha value is this far from all its neighbours' in
the other picture."""

MAX_DIFFERING_SHARE = 0.1
"""The pictures match when no tile has this share of differing pixels or more. Measured (tests): a
seal against itself resampled to a third and JPEG-compressed scores < 0.02; two official seals that
differ in one character of the name score ≥ 0.3."""

MAX_ASPECT_ERROR = 0.08
"""Relative error allowed between the drawn picture's aspect ratio and the seal's (or a slice's)."""

MAX_SLICES = 64

_MAX_FORM_DEPTH = 8
_MAX_IMAGE_PIXELS = 6000 * 6000

PROBLEM_OTHER_CONTENT = "other_content"
"""The appearance paints something besides image XObjects (vector drawing, text, inline image)."""
PROBLEM_UNDECODABLE = "undecodable"
"""An image XObject SealDesk cannot decode (filter, colour space)."""
PROBLEM_UNREADABLE = "unreadable"
"""The appearance or annotation structure is broken."""

_STAMP_NAME = re.compile(r"(?P<field>.+)-(?P<index>[1-9][0-9]{0,5})")


@dataclass(frozen=True)
class DrawnPicture:
    """One picture a signature draws on a page (or why it cannot be checked)."""

    page_index: int | None
    """Zero-based page of the annotation, None when unknown."""
    origin: str
    """"widget" (the signature field's own annotations) or "stamp" (a SealDesk stamp annotation)."""
    image: Any = field(default=None, compare=False, repr=False)
    """Decoded PIL image in RGBA mode; None when `problem` is set."""
    problem: str | None = None
    """PROBLEM_* when the picture cannot be checked (counts as a mismatch for a seal)."""


def _get(dictionary, key: str, default=None):
    """dictionary[key] with indirect references resolved (pyHanko's .get does not resolve them)."""
    value = dictionary.get(key, default)
    return value.get_object() if hasattr(value, "get_object") and value is not default else value


# --- content streams ------------------------------------------------------------------------------
_PAINTING = frozenset(
    {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"sh", b"Tj", b"TJ", b"'", b'"', b"BI", b"ID"}
)
_DELIMS = b"()<>[]{}/%"
_WS = b"\x00\t\n\x0c\r "
_TOKEN = re.compile(
    rb"[\x00\t\n\x0c\r ]+|%[^\r\n]*|<<|>>|<[0-9A-Fa-f\x00\t\n\x0c\r ]*>|[\[\]{}]"
    rb"|/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*|[^\x00\t\n\x0c\r ()<>\[\]{}/%]+"
)


def _skip_string(data: bytes, pos: int) -> int:
    """Position after the literal string starting at data[pos] == '('."""
    depth = 0
    i = pos
    n = len(data)
    while i < n:
        c = data[i]
        if c == 0x5C:  # backslash escapes the next byte
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unterminated string in content stream")


def scan_content(data: bytes, graphics_states: list[bytes] | None = None) -> tuple[list[bytes], bool]:
    """(names used with `Do`, in order; whether anything else is painted) for a content stream.
    The names used with `gs` are appended to `graphics_states` when given."""
    names: list[bytes] = []
    painted = False
    last_name: bytes | None = None
    pos = 0
    n = len(data)
    while pos < n:
        if data[pos] == 0x28:
            pos = _skip_string(data, pos)
            last_name = None
            continue
        match = _TOKEN.match(data, pos)
        if match is None:
            raise ValueError(f"unexpected byte at {pos} in content stream")
        token = match.group()
        pos = match.end()
        first = token[:1]
        if first in b"\x00\t\n\x0c\r " or first == b"%":
            continue
        if first == b"/":
            last_name = token[1:]
            continue
        if token in _PAINTING:
            painted = True
            if token in (b"BI", b"ID"):
                break  # an inline image: painting; its binary data cannot be tokenised safely
        elif token == b"Do":
            if last_name is None:
                raise ValueError("Do without a name")
            names.append(last_name)
        elif token == b"gs" and graphics_states is not None and last_name is not None:
            graphics_states.append(last_name)
        last_name = None
    return names, painted


# --- images ---------------------------------------------------------------------------------------
def _filters(stream) -> list[str]:
    from pyhanko.pdf_utils import generic

    value = _get(stream, "/Filter")
    if value is None:
        return []
    if isinstance(value, generic.ArrayObject):
        return [str(v) for v in value]
    return [str(value)]


def _component_count(colour_space) -> int | None:
    from pyhanko.pdf_utils import generic

    cs = colour_space.get_object() if isinstance(colour_space, generic.IndirectObject) else colour_space
    if isinstance(cs, generic.NameObject):
        return {"/DeviceRGB": 3, "/DeviceGray": 1, "/DeviceCMYK": 4, "/CalRGB": 3, "/CalGray": 1}.get(str(cs))
    if isinstance(cs, generic.ArrayObject) and cs:
        family = str(cs[0])
        if family == "/ICCBased":
            return int(_get(cs[1].get_object(), "/N", 0)) or None
        if family in ("/CalRGB", "/CalGray", "/Lab"):
            return {"/CalRGB": 3, "/CalGray": 1, "/Lab": 3}[family]
        if family == "/Indexed":
            return 1
    return None


def _raster(stream, *, as_mask: bool = False):
    """The image XObject `stream` as a PIL image ("RGB" or "L"); ValueError when not supported."""
    from PIL import Image
    from pyhanko.pdf_utils import generic

    width, height = int(stream["/Width"]), int(stream["/Height"])
    if width <= 0 or height <= 0 or width * height > _MAX_IMAGE_PIXELS:
        raise ValueError(f"image size {width}x{height}")
    if "/Decode" in stream:
        raise ValueError("/Decode arrays are not supported")
    filters = _filters(stream)
    if filters and filters[-1] in ("/DCTDecode", "/JPXDecode"):
        if len(filters) != 1:
            raise ValueError(f"filter chain {filters}")
        with Image.open(io.BytesIO(stream.encoded_data)) as img:
            img.load()
            image = img.convert("L" if as_mask or img.mode in ("L", "1") else "RGB")
        if image.size != (width, height):
            image = image.resize((width, height))
        return image
    data = stream.data  # pyHanko decodes Flate/LZW/ASCII filters (and PNG predictors)
    bits = int(_get(stream, "/BitsPerComponent", 8))
    if bits != 8:
        raise ValueError(f"{bits} bits per component")
    colour_space = stream.get("/ColorSpace", generic.NameObject("/DeviceGray"))
    cs = colour_space.get_object() if isinstance(colour_space, generic.IndirectObject) else colour_space
    if as_mask:
        return Image.frombytes("L", (width, height), bytes(data[: width * height]))
    components = _component_count(cs)
    if components is None:
        raise ValueError(f"colour space {cs}")
    needed = width * height * components
    if len(data) < needed:
        raise ValueError("image data too short")
    raw = bytes(data[:needed])
    if isinstance(cs, generic.ArrayObject) and str(cs[0]) == "/Indexed":
        base_count = _component_count(cs[1])
        lookup = cs[3].get_object()
        table = lookup.data if isinstance(lookup, generic.StreamObject) else bytes(lookup.original_bytes)
        if base_count not in (1, 3):
            raise ValueError("indexed image over an unsupported base")
        palette = Image.frombytes("P", (width, height), raw)
        rgb = table if base_count == 3 else bytes(b for v in table for b in (v, v, v))
        palette.putpalette(rgb[: 3 * 256])
        return palette.convert("RGB")
    mode = {1: "L", 3: "RGB", 4: "CMYK"}[components]
    return Image.frombytes(mode, (width, height), raw).convert("L" if mode == "L" else "RGB")


def decode_image(stream):
    """RGBA PIL image of an image XObject, its /SMask (soft mask) becoming the alpha channel."""
    from PIL import Image

    if _get(stream, "/ImageMask"):
        raise ValueError("stencil masks are not supported")
    base = _raster(stream).convert("RGBA")
    smask = stream.get("/SMask")
    if smask is not None:
        alpha = _raster(smask.get_object(), as_mask=True)
        if alpha.size != base.size:
            alpha = alpha.resize(base.size)
        base.putalpha(alpha)
    elif "/Mask" in stream:
        raise ValueError("/Mask is not supported")
    return base if base.mode == "RGBA" else Image.Image.convert(base, "RGBA")


def _masks_content(resources, states: list[bytes]) -> bool:
    """Whether a graphics state used with `gs` sets a soft mask: its mask group (any drawing) would
    cut the seal's picture into another shape, and it is not an image we could compare."""
    from pyhanko.pdf_utils import generic

    ext = _get(resources, "/ExtGState") if isinstance(resources, generic.DictionaryObject) else None
    for name in states:
        key = "/" + name.decode("latin-1")
        state = _get(ext, key) if isinstance(ext, generic.DictionaryObject) and key in ext else None
        if not isinstance(state, generic.DictionaryObject):
            return True  # a state we cannot read: assume the worst
        mask = _get(state, "/SMask")
        if mask is not None and mask != "/None":
            return True
    return False


def _content_key(stream) -> bytes:
    """Digest of everything that decides an image's pixels: its dictionary, its data, its soft mask."""
    import hashlib

    digest = hashlib.sha256()
    for part in (stream, stream.get("/SMask")):
        if part is None:
            continue
        part = part.get_object()
        keys = sorted(k for k in part.keys() if k not in ("/Length", "/SMask"))
        digest.update(repr([(k, part.raw_get(k)) for k in keys]).encode())
        digest.update(part.encoded_data)
    return digest.digest()


# --- what an annotation draws ---------------------------------------------------------------------
class PictureCollector:
    """Collects the pictures of annotations; one decode per image XObject for the whole document."""

    def __init__(self) -> None:
        self._images: dict[bytes, tuple[Any, str | None]] = {}
        self._by_ref: dict[Any, tuple[Any, str | None]] = {}

    def _image(self, ref, stream):
        """(RGBA image, None) or (None, problem). Identical images (every stamping with the same seal
        embeds the same bytes) are decoded once and share one image object, so comparisons cache too."""
        by_ref = self._by_ref.get(ref) if ref is not None else None
        if by_ref is not None:
            return by_ref
        try:
            key = _content_key(stream)
        except Exception:  # noqa: BLE001
            key = None
        cached = self._images.get(key) if key is not None else None
        if cached is None:
            try:
                cached = (decode_image(stream), None)
            except Exception:  # noqa: BLE001 - whatever we cannot decode cannot be shown to match
                cached = (None, PROBLEM_UNDECODABLE)
            if key is not None:
                self._images[key] = cached
        if ref is not None:
            self._by_ref[ref] = cached
        return cached

    def _form(self, stream, out: list, problems: set, depth: int) -> None:
        from pyhanko.pdf_utils import generic

        if depth > _MAX_FORM_DEPTH:
            problems.add(PROBLEM_UNREADABLE)
            return
        states: list[bytes] = []
        names, painted = scan_content(stream.data, states)
        if painted:
            problems.add(PROBLEM_OTHER_CONTENT)
        resources = _get(stream, "/Resources")
        if states and _masks_content(resources, states):
            problems.add(PROBLEM_OTHER_CONTENT)
        if not names:
            return
        xobjects = _get(resources, "/XObject") if isinstance(resources, generic.DictionaryObject) else None
        for name in names:
            if not isinstance(xobjects, generic.DictionaryObject):
                problems.add(PROBLEM_UNREADABLE)
                continue
            key = "/" + name.decode("latin-1")
            raw = xobjects.raw_get(key) if key in xobjects else None
            if raw is None:
                problems.add(PROBLEM_UNREADABLE)
                continue
            ref = raw.reference if isinstance(raw, generic.IndirectObject) else None
            xobject = raw.get_object()
            subtype = xobject.get("/Subtype")
            if subtype == "/Image":
                image, problem = self._image(ref, xobject)
                if problem:
                    problems.add(problem)
                else:
                    out.append(image)
            elif subtype == "/Form":
                self._form(xobject, out, problems, depth + 1)
            else:
                problems.add(PROBLEM_OTHER_CONTENT)

    def annotation(
        self, annot, page_index: int | None, origin: str, *, images_only: bool = False
    ) -> list[DrawnPicture]:
        """Every picture the appearance streams of `annot` draw (normal, rollover and down).
        `images_only`: what else they paint (text of a comment, a filled-in field) is not a problem."""
        from pyhanko.pdf_utils import generic

        try:
            ap = _get(annot, "/AP")
            if ap is None:
                return []
            streams = []
            for key in ("/N", "/R", "/D"):
                entry = _get(ap, key)
                if isinstance(entry, generic.StreamObject):
                    streams.append(entry)
                elif isinstance(entry, generic.DictionaryObject):  # appearance states
                    streams.extend(
                        v.get_object()
                        for v in entry.values()
                        if isinstance(v.get_object(), generic.StreamObject)
                    )
            images: list = []
            problems: set[str] = set()
            for stream in streams:
                self._form(stream, images, problems, 0)
        except Exception:  # noqa: BLE001 - a broken appearance cannot be shown to be the seal
            return [DrawnPicture(page_index, origin, problem=PROBLEM_UNREADABLE)]
        if images_only:
            problems.discard(PROBLEM_OTHER_CONTENT)
        drawn = [DrawnPicture(page_index, origin, image=img) for img in images]
        drawn += [DrawnPicture(page_index, origin, problem=p) for p in sorted(problems)]
        return drawn


def page_indexes(reader) -> dict:
    """Reference of each page → its zero-based index."""
    return {ref: index for index, (_, ref) in enumerate(_pages(reader))}


def _page_of(annot, pages: dict) -> int | None:
    from pyhanko.pdf_utils import generic

    page = annot.raw_get("/P") if "/P" in annot else None
    if isinstance(page, generic.IndirectObject):
        return pages.get(page.reference)
    return None


@dataclass(frozen=True)
class _Annotation:
    """One annotation of the document as readers see it (latest revision)."""

    key: tuple[int, int]
    """(object number, generation) of the annotation dictionary."""
    annot: Any
    page_index: int
    subtype: str
    stamp_of: str | None
    """The signature field an older SealDesk stamp annotation belongs to (its /NM), else None."""
    objects: frozenset
    """(number, generation) of the annotation and of every object its appearance uses."""


def _appearance_objects(annot, limit: int = 512) -> frozenset:
    """Objects reachable from the annotation's /AP (forms, images, masks, colour spaces, fonts)."""
    from pyhanko.pdf_utils import generic

    found: set[tuple[int, int]] = set()
    stack = [annot.raw_get("/AP")] if "/AP" in annot else []
    while stack and len(found) < limit:
        item = stack.pop()
        if isinstance(item, generic.IndirectObject):
            key = (item.idnum, item.generation)
            if key in found:
                continue
            found.add(key)
            item = item.get_object()
        if isinstance(item, generic.DictionaryObject):
            stack.extend(item.raw_get(k) for k in item.keys() if k not in ("/Parent", "/P"))
        elif isinstance(item, generic.ArrayObject):
            stack.extend(item)
    return frozenset(found)


def annotation_index(reader) -> list[_Annotation]:
    """Every annotation on every page, with what a signature's revision may have written of it."""
    from pyhanko.pdf_utils import generic

    out: list[_Annotation] = []
    for index, (page, _) in enumerate(_pages(reader)):
        annots = _get(page, "/Annots")
        if not isinstance(annots, generic.ArrayObject):
            continue
        for raw in annots:
            if not isinstance(raw, generic.IndirectObject):
                continue
            annot = raw.get_object()
            if not isinstance(annot, generic.DictionaryObject):
                continue
            subtype = str(annot.get("/Subtype", ""))
            name = _get(annot, "/NM")
            match = _STAMP_NAME.fullmatch(str(name)) if isinstance(name, generic.TextStringObject) else None
            key = (raw.idnum, raw.generation)
            out.append(
                _Annotation(
                    key=key,
                    annot=annot,
                    page_index=index,
                    subtype=subtype,
                    stamp_of=match.group("field") if match and subtype == "/Stamp" else None,
                    objects=frozenset({key}) | _appearance_objects(annot),
                )
            )
    return out


def _pages(reader):
    from pyhanko.pdf_utils import generic

    def walk(node, depth: int):
        if depth > 64:
            return
        for kid in _get(node, "/Kids", ()):
            if not isinstance(kid, generic.IndirectObject):
                continue
            obj = kid.get_object()
            if obj.get("/Type") == "/Pages":
                yield from walk(obj, depth + 1)
            else:
                yield obj, kid.reference

    yield from walk(reader.root["/Pages"], 0)


def signature_pictures(
    reader,
    sig_field,
    field_name: str,
    collector: PictureCollector,
    annotations: list[_Annotation],
    pages: dict,
    revision_objects: set | None = None,
) -> tuple[DrawnPicture, ...]:
    """Every picture the signature shows: its field's widgets (the field itself or its /Kids), the
    SealDesk stamp annotations tied to it by /NM and — `revision_objects` being the (number,
    generation) of every object the signature's own revision wrote — any other annotation that
    revision added or changed: a /Stamp with everything it paints, other kinds (comments, form
    fields filled in while signing) with their images only."""
    from pyhanko.pdf_utils import generic

    drawn: list[DrawnPicture] = []
    kids = _get(sig_field, "/Kids")
    if isinstance(kids, generic.ArrayObject):
        widgets = [k.get_object() for k in kids]
    elif sig_field.get("/Subtype") == "/Widget" or "/AP" in sig_field:
        widgets = [sig_field]
    else:
        widgets = []
    for widget in widgets:
        if isinstance(widget, generic.DictionaryObject):
            drawn += collector.annotation(widget, _page_of(widget, pages), "widget")
    own = {id(w) for w in widgets}
    for entry in annotations:
        if entry.stamp_of == field_name:
            drawn += collector.annotation(entry.annot, entry.page_index, "stamp")
        elif (
            revision_objects
            and entry.objects & revision_objects
            and id(entry.annot) not in own
            and not _signed_signature_widget(entry.annot)
        ):
            strict = entry.subtype == "/Stamp"
            drawn += collector.annotation(entry.annot, entry.page_index, "annotation", images_only=not strict)
    return tuple(drawn)


def _signed_signature_widget(annot) -> bool:
    """A widget of a signature field that holds a signature (checked with that signature instead)."""
    from pyhanko.pdf_utils import generic

    if annot.get("/Subtype") != "/Widget":
        return False
    field = annot if "/FT" in annot or "/T" in annot else _get(annot, "/Parent")
    return isinstance(field, generic.DictionaryObject) and field.get("/FT") == "/Sig" and "/V" in field


# --- comparing pixels -----------------------------------------------------------------------------
def _premultiplied(image, size: tuple[int, int]):
    """`image` resampled to `size` as RGBA whose colour is premultiplied by alpha (the colour of
    transparent pixels is meaningless): Pillow's "RGBa" bytes relabelled as "RGBA"."""
    from PIL import Image

    shrink = image.width >= size[0] and image.height >= size[1]
    resized = image.convert("RGBA").resize(size, Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR)
    return Image.frombytes("RGBA", size, resized.convert("RGBa").tobytes())


def _neighbourhood(image, pick):
    """3 × 3 maximum (pick=lighter) or minimum (pick=darker) of every pixel, per band — what
    ImageFilter.MaxFilter(3) computes, separably with shifted copies (20× faster; the border wraps)."""
    from PIL import ImageChops

    rows = pick(pick(image, ImageChops.offset(image, 1, 0)), ImageChops.offset(image, -1, 0))
    return pick(pick(rows, ImageChops.offset(rows, 0, 1)), ImageChops.offset(rows, 0, -1))


_THRESHOLD_TABLES: dict[int, list[int]] = {}


def _over(band_image, limit: int):
    """255 where a value exceeds `limit`, else 0 (every band)."""
    table = _THRESHOLD_TABLES.setdefault(limit, [255 if v > limit else 0 for v in range(256)])
    return band_image.point(table * len(band_image.getbands()))


def difference_score(drawn, reference) -> float:
    """How differently two RGBA pictures look, 0 (same) … 1: the largest share of differing pixels in
    any tile of TILE_PX × TILE_PX, after resampling both to the drawn picture's aspect ratio at the
    lower of their resolutions (at most SAMPLE_LONG_SIDE px). A pixel differs when a premultiplied
    channel is more than PIXEL_TOLERANCE away from every pixel of its 3 × 3 neighbourhood in the other
    picture, so resampling and compression (edges move by a pixel) do not count, a changed character
    does — and tiles keep a small local change from being diluted by the rest of the seal."""
    from PIL import Image, ImageChops

    side = max(8, min(SAMPLE_LONG_SIDE, max(drawn.size), max(reference.size)))
    scale = side / max(drawn.width, drawn.height)
    size = (max(1, round(drawn.width * scale)), max(1, round(drawn.height * scale)))
    a, b = _premultiplied(drawn, size), _premultiplied(reference, size)
    diff = None
    for p, q in ((a, b), (b, a)):
        over = ImageChops.subtract(p, _neighbourhood(q, ImageChops.lighter))
        under = ImageChops.subtract(_neighbourhood(q, ImageChops.darker), p)
        found = ImageChops.lighter(over, under)
        diff = found if diff is None else ImageChops.lighter(diff, found)
    r, g, b_, alpha = _over(diff, PIXEL_TOLERANCE).split()
    mask = ImageChops.lighter(ImageChops.lighter(r, g), ImageChops.lighter(b_, alpha))
    tiles = (max(1, round(size[0] / TILE_PX)), max(1, round(size[1] / TILE_PX)))
    worst = mask.resize(tiles, Image.Resampling.BOX).getextrema()[1]
    return worst / 255


def matches_seal(drawn, seal_rgba) -> bool:
    """Whether `drawn` (RGBA) shows the seal picture `seal_rgba`, or one of its N equal vertical slices
    (cross-page seal; slices cut as appearance.slice_bounds does), upright or turned by a multiple of
    90° in its pixels (software that pre-rotates pictures for rotated pages; SealDesk turns the
    drawing matrix instead). N follows from the aspect ratios."""
    from PIL import Image

    if _matches_upright(drawn, seal_rgba):
        return True
    turns = (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270)
    return any(_matches_upright(drawn.transpose(turn), seal_rgba) for turn in turns)


def _matches_upright(drawn, seal_rgba) -> bool:
    from ..appearance import slice_bounds

    seal_aspect = seal_rgba.width / seal_rgba.height
    drawn_aspect = drawn.width / drawn.height
    count = max(1, round(seal_aspect / drawn_aspect))
    if count > MAX_SLICES or count > seal_rgba.width:
        return False
    # rounding to whole pixels (of either picture) moves a thin slice's aspect ratio noticeably
    tolerance = MAX_ASPECT_ERROR * drawn_aspect + 1 / drawn.height + count / seal_rgba.height
    if abs(seal_aspect / count - drawn_aspect) > tolerance:
        return False
    if count == 1:
        return difference_score(drawn, seal_rgba) < MAX_DIFFERING_SHARE
    bounds = slice_bounds(seal_rgba.width, count)
    return any(
        difference_score(drawn, seal_rgba.crop((bounds[i], 0, bounds[i + 1], seal_rgba.height)))
        < MAX_DIFFERING_SHARE
        for i in range(count)
    )
