"""Read an OFD package into the model: OFD.xml → DocBody → Document.xml → pages, templates, resources,
annotations, attachments and signatures.

Required parts (OFD.xml, the document root, every page's content) missing → OfdPartMissing naming the
part. Optional parts a document names but lacks (annotations, attachments, a resource file) are recorded
in `OfdDocument.problems` and skipped: real producers ship such files (keyword.ofd names an
Annotations.xml it does not contain) and readers show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import errors
from ..i18n_marks import QT_TRANSLATE_NOOP
from . import xml
from .model import (
    Annotation,
    Attachment,
    Box,
    ColorSpaceRes,
    CompositeUnit,
    DrawParamRes,
    FontRes,
    MediaRes,
    Page,
    Reference,
    Resources,
    SignatureEntry,
    StampAnnot,
    Template,
)
from .package import DEFAULT_LIMITS, OfdPackage, ZipLimits, directory_of

NO_DOCUMENT = QT_TRANSLATE_NOOP("errors", "it names no document (DocBody/DocRoot)")
NO_PAGES = QT_TRANSLATE_NOOP("errors", "it has no pages")
BAD_NUMBER = QT_TRANSLATE_NOOP("errors", "a part holds a number that cannot be read")
NO_PAGE_SIZE = QT_TRANSLATE_NOOP("errors", "a page has no usable size (PhysicalBox)")
MAX_PAGES = 50_000


def numbers(value: str, name: str, part: str = "") -> list[float]:
    """Space-separated decimals ("0 0 210 297"); unreadable → OfdDamaged."""
    try:
        out = [float(v) for v in value.replace(",", " ").split()]
    except ValueError as exc:
        raise errors.OfdDamaged(f"{part}: {value[:60]!r}", name=name, problem=BAD_NUMBER) from exc
    if any(v != v or v in (float("inf"), float("-inf")) for v in out):
        raise errors.OfdDamaged(f"{part}: {value[:60]!r}", name=name, problem=BAD_NUMBER)
    return out


def box(value: str, name: str, part: str = "") -> Box | None:
    """An OFD box "x y w h", None when absent or not four numbers."""
    values = numbers(value, name, part) if value else []
    return (values[0], values[1], values[2], values[3]) if len(values) == 4 else None


@dataclass
class OfdDocument:
    """One opened OFD (the first document of the package: DocBody 1). Close it to release the file."""

    package: OfdPackage
    ofd_part: str
    document_part: str
    pages: list[Page]
    resources: Resources
    templates: dict[str, Template]
    attachments: list[Attachment]
    signatures_part: str | None
    signatures: list[SignatureEntry]
    doc_info: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """Optional parts that were named but missing or unreadable (technical, for logs)."""

    @property
    def name(self) -> str:
        return self.package.name

    def part_bytes(self, part: str) -> bytes:
        """Any part's bytes (signature references, SignedValue.dat, images)."""
        return self.package.read(part)

    def part_names(self) -> list[str]:
        return self.package.names()

    def page_by_id(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)

    def close(self) -> None:
        self.package.close()


class _Reader:
    def __init__(self, package: OfdPackage) -> None:
        self.pkg = package
        self.name = package.name
        self.problems: list[str] = []

    def xml(self, part: str) -> xml.Element:
        return xml.parse(self.pkg.read(part), part, self.name)

    def optional_xml(self, location: str, base: str) -> tuple[str, xml.Element] | None:
        try:
            part = self.pkg.resolve(location, base)
            return part, self.xml(part)
        except errors.OfdPartMissing as exc:
            self.problems.append(exc.detail)
            return None

    def read(self) -> OfdDocument:
        ofd_part = "OFD.xml"
        root = self.xml(ofd_part)
        body = xml.child(root, "DocBody")
        doc_root = xml.text(body, "DocRoot")
        if not doc_root:
            raise errors.OfdDamaged("OFD.xml: no DocRoot", name=self.name, problem=NO_DOCUMENT)
        doc_part = self.pkg.resolve(doc_root)
        document = self.xml(doc_part)
        base = directory_of(doc_part)
        common = xml.child(document, "CommonData")
        resources = Resources()
        for tag in ("PublicRes", "DocumentRes"):
            for element in xml.children(common, tag):
                loaded = self.optional_xml(xml.text(element), base)
                if loaded:
                    self.resources(resources, *loaded)
        default_box = box(xml.text(common, "PageArea", "PhysicalBox"), self.name, doc_part)
        templates: dict[str, Template] = {}
        for element in xml.children(common, "TemplatePage"):
            part = self.pkg.resolve(xml.attr(element, "BaseLoc"), base)
            tid = xml.attr(element, "ID")
            templates[tid] = Template(tid, part, xml.attr(element, "ZOrder", "Background"), self.xml(part))
        annotations = self.annotations(document, base)
        page_elements = list(xml.children(xml.child(document, "Pages"), "Page"))
        if not page_elements:
            raise errors.OfdDamaged(f"{doc_part}: no Page", name=self.name, problem=NO_PAGES)
        if len(page_elements) > MAX_PAGES:
            raise errors.OfdUnsafe(f"{len(page_elements)} pages", name=self.name,
                                   problem=QT_TRANSLATE_NOOP("errors", "it has too many pages"))
        pages = [
            self.page(i, element, base, default_box, templates, annotations)
            for i, element in enumerate(page_elements)
        ]
        attachments = self.attachments(document, base)
        signatures_loc = xml.text(body, "Signatures")
        signatures_part, signatures = None, []
        if signatures_loc:
            signatures_part = self.pkg.resolve(signatures_loc)
            signatures = self.signatures(signatures_part, pages)
        info = {xml.local(e): (e.text or "").strip() for e in xml.children(xml.child(body, "DocInfo"))
                if len(e) == 0}
        return OfdDocument(self.pkg, ofd_part, doc_part, pages, resources, templates, attachments,
                           signatures_part, signatures, info, self.problems)

    def resources(self, res: Resources, part: str, root: xml.Element) -> None:
        res.parts.append(part)
        folder = directory_of(part)
        res_base = self.pkg.resolve(xml.attr(root, "BaseLoc"), folder) if xml.attr(root, "BaseLoc") else folder

        def file_part(location: str) -> str | None:
            if not location:
                return None
            if location.startswith("/"):
                return self.pkg.resolve(location)
            candidate = self.pkg.resolve(location, res_base)
            if not self.pkg.has(candidate):  # some producers write it relative to the resource file
                other = self.pkg.resolve(location, folder)
                if self.pkg.has(other):
                    return other
            return candidate

        for group in xml.children(root):
            for element in xml.children(group):
                tag, rid = xml.local(element), xml.attr(element, "ID")
                if tag == "Font":
                    res.fonts[rid] = FontRes(
                        rid, xml.attr(element, "FontName"), xml.attr(element, "FamilyName"),
                        xml.attr(element, "Bold") == "true", xml.attr(element, "Italic") == "true",
                        file_part(xml.text(element, "FontFile")),
                    )
                elif tag == "MultiMedia":
                    media = file_part(xml.text(element, "MediaFile"))
                    if media:
                        res.media[rid] = MediaRes(rid, xml.attr(element, "Type"), xml.attr(element, "Format"), media)
                elif tag == "ColorSpace":
                    res.colour_spaces[rid] = ColorSpaceRes(
                        rid, xml.attr(element, "Type", "RGB").upper(), int(xml.attr(element, "BitsPerComponent", "8") or 8)
                    )
                elif tag == "DrawParam":
                    res.draw_params[rid] = DrawParamRes(rid, xml.attr(element, "Relative") or None, element)
                elif tag == "CompositeGraphicUnit":
                    res.composites[rid] = CompositeUnit(
                        rid, float(xml.attr(element, "Width", "0") or 0), float(xml.attr(element, "Height", "0") or 0),
                        element,
                    )

    def annotations(self, document: xml.Element, base: str) -> dict[str, list[Annotation]]:
        by_page: dict[str, list[Annotation]] = {}
        location = xml.text(document, "Annotations")
        loaded = self.optional_xml(location, base) if location else None
        if not loaded:
            return by_page
        part, root = loaded
        for page in xml.children(root, "Page"):
            page_file = self.optional_xml(xml.text(page, "FileLoc"), directory_of(part))
            if not page_file:
                continue
            for annot in xml.children(page_file[1], "Annot"):
                by_page.setdefault(xml.attr(page, "PageID"), []).append(Annotation(
                    xml.attr(annot, "ID"), xml.attr(annot, "Type"), xml.attr(annot, "Subtype"),
                    xml.attr(annot, "Visible", "true") != "false", xml.child(annot, "Appearance"),
                ))
        return by_page

    def page(self, index: int, element: xml.Element, base: str, default_box: Box | None,
             templates: dict[str, Template], annotations: dict[str, list[Annotation]]) -> Page:
        part = self.pkg.resolve(xml.attr(element, "BaseLoc"), base)
        root = self.xml(part)
        page_box = box(xml.text(root, "Area", "PhysicalBox"), self.name, part) or default_box
        used: list[Template] = []
        for ref in xml.children(root, "Template"):
            template = templates.get(xml.attr(ref, "TemplateID"))
            if template is not None:
                zorder = xml.attr(ref, "ZOrder") or template.zorder
                used.append(Template(template.id, template.part, zorder, template.root))
        if page_box is None:
            page_box = next((b for t in used if (b := box(xml.text(t.root, "Area", "PhysicalBox"), self.name))), None)
        if page_box is None or not (0 < page_box[2] < 10_000 and 0 < page_box[3] < 10_000):
            raise errors.OfdDamaged(f"{part}: PhysicalBox {page_box}", name=self.name, problem=NO_PAGE_SIZE)
        page_id = xml.attr(element, "ID")
        return Page(index, page_id, part, page_box, root, tuple(used), tuple(annotations.get(page_id, ())))

    def attachments(self, document: xml.Element, base: str) -> list[Attachment]:
        location = xml.text(document, "Attachments")
        loaded = self.optional_xml(location, base) if location else None
        if not loaded:
            return []
        part, root = loaded
        out = []
        for element in xml.children(root, "Attachment"):
            file_loc = xml.text(element, "FileLoc")
            out.append(Attachment(xml.attr(element, "ID"), xml.attr(element, "Name"), xml.attr(element, "Format"),
                                  self.pkg.resolve(file_loc, directory_of(part)) if file_loc else None))
        return out

    def signatures(self, part: str, pages: list[Page]) -> list[SignatureEntry]:
        root = self.xml(part)
        index_of = {p.id: p.index for p in pages}
        out = []
        for element in xml.children(root, "Signature"):
            sig_part = self.pkg.resolve(xml.attr(element, "BaseLoc"), directory_of(part))
            sig = self.xml(sig_part)
            info = xml.child(sig, "SignedInfo")
            refs_element = xml.child(info, "References")
            references = []
            for ref in xml.children(refs_element, "Reference"):
                file_ref = xml.attr(ref, "FileRef")
                try:
                    target: str | None = self.pkg.resolve(file_ref, directory_of(sig_part))
                except errors.OfdUnsafe:
                    target = None
                references.append(Reference(file_ref, target, xml.text(ref, "CheckValue")))
            stamps = []
            for stamp in xml.children(info, "StampAnnot"):
                boundary = box(xml.attr(stamp, "Boundary"), self.name, sig_part) or (0.0, 0.0, 0.0, 0.0)
                page_ref = xml.attr(stamp, "PageRef")
                stamps.append(StampAnnot(xml.attr(stamp, "ID"), page_ref, index_of.get(page_ref), boundary,
                                         box(xml.attr(stamp, "Clip"), self.name, sig_part)))
            seal_loc = xml.text(info, "Seal", "BaseLoc")
            value_loc = xml.text(sig, "SignedValue")
            out.append(SignatureEntry(
                xml.attr(element, "ID"), xml.attr(element, "Type", "Seal") or "Seal", sig_part,
                xml.attr(refs_element, "CheckMethod"), xml.text(info, "SignatureMethod"),
                xml.text(info, "SignatureDateTime"), tuple(references), tuple(stamps),
                self.pkg.resolve(seal_loc, directory_of(sig_part)) if seal_loc else None,
                self.pkg.resolve(value_loc, directory_of(sig_part)) if value_loc else None,
                sig,
            ))
        return out


def read_ofd(path: str | Path, limits: ZipLimits = DEFAULT_LIMITS, *, data: bytes | None = None) -> OfdDocument:
    """Open and read an OFD package: the file at `path`, or the package in `data` (then `path` only names
    it, e.g. an OFD seal picture). Typed errors only (OfdDamaged, OfdPartMissing, OfdUnsafe,
    DocumentNotFound)."""
    path = Path(path)
    if data is None and not path.is_file():
        raise errors.DocumentNotFound(detail=str(path), name=str(path))
    try:
        package = OfdPackage(path, limits, data)
    except errors.SealDeskError:
        raise
    except Exception as exc:  # zipfile's own surprises on damaged directories
        raise errors.OfdDamaged(f"{type(exc).__name__}: {exc}", name=path.name,
                                problem=QT_TRANSLATE_NOOP("errors", "its structure is broken")) from exc
    try:
        return _Reader(package).read()
    except errors.SealDeskError:
        package.close()
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        package.close()
        raise errors.OfdDamaged(f"{type(exc).__name__}: {exc}", name=path.name,
                                problem=QT_TRANSLATE_NOOP("errors", "its structure is broken")) from exc
