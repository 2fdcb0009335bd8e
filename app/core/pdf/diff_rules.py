"""pyHanko difference-analysis rules that recognise SealDesk's own seal stamping.

Why: SealDesk's first releases wrote, in the revision a new signature covers, /Stamp annotations for
the pictures after the first (multi-page copies, cross-page 骑缝章 slices). New stampings write widgets
of the signature field instead, which pyHanko's default policy accepts by itself (sign.py); these rules
remain only so that such OLD files keep verifying (docs/decisions.md). pyHanko's default policy
explains a new signature field and its widgets, but any other new annotation makes it raise
SuspiciousModification, so every *earlier* signature would be reported as followed by "other" changes. The two rules here explain exactly the objects such a
stamping adds, at ModificationLevel.ANNOTATIONS, and nothing else:

- `SealStampRule` (a global rule) explains, per page, the /Annots update that appends SealDesk stamp
  annotations (next to widgets of new signature fields), the stamp annotations and their appearance
  objects, all of which must be new.
- `SealStampAwareSigFieldCreationRule` replaces pyHanko's SigFieldCreationRule in the form rule: it
  behaves the same, except that a page whose new /Annots entries are not all widgets of new signature
  fields is left unexplained (for `SealStampRule`) instead of being rejected outright.

This module imports pyHanko at module level: import it lazily (verify.py does, inside
`acrobat_like_diff_policy`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import Reference
from pyhanko.pdf_utils.reader import HistoricalResolver, RawPdfPath
from pyhanko.sign.diff_analysis import (
    FieldComparisonContext,
    FormUpdate,
    ModificationLevel,
    QualifiedWhitelistRule,
    ReferenceUpdate,
    SigFieldCreationRule,
    SuspiciousModification,
)
from pyhanko.sign.diff_analysis.commons import compare_dicts
from pyhanko.sign.diff_analysis.rules_api import RelativeContext

from .sign import STAMP_ANNOT_FLAGS

STAMP_ANNOT_KEYS = frozenset({"/Type", "/Subtype", "/Rect", "/F", "/P", "/NM", "/Contents", "/AP"})
"""Every key a SealDesk stamp annotation may have (sign.py `_add_stamp_annotation`)."""

_REQUIRED_STAMP_KEYS = frozenset({"/Subtype", "/Rect", "/F", "/P", "/NM", "/AP"})
_FORM_KEYS = frozenset({"/Type", "/Subtype", "/BBox", "/Resources", "/Length", "/Filter", "/DecodeParms",
                        "/Matrix", "/FormType"})  # fmt: skip
_IMAGE_KEYS = frozenset({"/Type", "/Subtype", "/Width", "/Height", "/ColorSpace", "/BitsPerComponent",
                         "/Filter", "/DecodeParms", "/Length", "/SMask", "/Decode", "/Interpolate"})  # fmt: skip
_NUMBER = r"-?(?:\d+\.?\d*|\.\d+)"
_SEAL_CONTENT = re.compile(rb"\s*q\s+(?:%s\s+){6}cm\s+/Seal\s+Do\s+Q\s*" % _NUMBER.encode())
"""The whole content of a stamp's appearance: one `cm` and the seal picture, nothing else."""
_STAMP_NAME = re.compile(r"(?P<field>.+)-(?P<index>[1-9][0-9]{0,5})")
"""/NM of a stamp annotation: "<signature field name>-<index ≥ 1>" (sign.py)."""
_MAX_PAGE_TREE_DEPTH = 64
_MAX_FIELD_DEPTH = 32


# --- shared helpers -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _PagePair:
    """One leaf page in both revisions (the page tree's /Kids are identical, so one ref)."""

    ref: Reference
    old: generic.DictionaryObject
    new: generic.DictionaryObject


def _kid_refs(node) -> list[Reference]:
    kids = node.get("/Kids")
    if not isinstance(kids, generic.ArrayObject) or not all(isinstance(k, generic.IndirectObject) for k in kids):
        raise SuspiciousModification("/Kids of a page tree node is not an array of references")
    return [k.reference for k in kids]


def _leaf_pages(old: HistoricalResolver, new: HistoricalResolver) -> Iterator[_PagePair]:
    """All pages, walking both page trees together; SuspiciousModification if their shape differs."""

    def walk(old_node, new_node, seen: frozenset, depth: int) -> Iterator[_PagePair]:
        if depth > _MAX_PAGE_TREE_DEPTH:
            raise SuspiciousModification("page tree too deep")
        old_kids, new_kids = _kid_refs(old_node), _kid_refs(new_node)
        if old_kids != new_kids:
            raise SuspiciousModification("Unexpected change to page tree structure.")
        for ref in old_kids:
            if ref in seen:
                raise SuspiciousModification("Circular reference in page tree")
            old_kid, new_kid = old(ref), new(ref)
            if not isinstance(old_kid, generic.DictionaryObject) or not isinstance(new_kid, generic.DictionaryObject):
                raise SuspiciousModification("page tree node is not a dictionary")
            if old_kid.get("/Type") == "/Pages":
                yield from walk(old_kid, new_kid, seen | {ref}, depth + 1)
            else:
                yield _PagePair(ref, old_kid, new_kid)

    yield from walk(old.root["/Pages"], new.root["/Pages"], frozenset(), 0)


def _annots(page: generic.DictionaryObject) -> tuple[list[Reference], Reference | None]:
    """(/Annots entries as references, in order; the array's own reference when it is indirect)."""
    try:
        raw = page.raw_get("/Annots")
    except KeyError:
        return [], None
    array_ref = raw.reference if isinstance(raw, generic.IndirectObject) else None
    array = raw.get_object()
    if not isinstance(array, generic.ArrayObject) or not all(isinstance(a, generic.IndirectObject) for a in array):
        raise SuspiciousModification("/Annots is not an array of references")
    return [a.reference for a in array], array_ref


def _signature_fields(resolver: HistoricalResolver) -> dict[str, Reference]:
    """Fully qualified name → field reference of every signature field (/FT /Sig, inherited) in the
    revision's AcroForm; {} if there is no form."""
    try:
        fields = resolver.root["/AcroForm"]["/Fields"]
    except (KeyError, TypeError):
        return {}
    found: dict[str, Reference] = {}

    def walk(array, parent: str, inherited_ft, depth: int) -> None:
        if depth > _MAX_FIELD_DEPTH or not isinstance(array, generic.ArrayObject):
            return
        for item in array:
            if not isinstance(item, generic.IndirectObject):
                continue
            field = item.get_object()
            if not isinstance(field, generic.DictionaryObject) or "/T" not in field:
                continue  # a widget, not a field
            name = str(field["/T"])
            fq_name = f"{parent}.{name}" if parent else name
            ft = field.get("/FT", inherited_ft)
            if ft == "/Sig":
                found[fq_name] = item.reference
            if "/Kids" in field:
                walk(field["/Kids"], fq_name, ft, depth + 1)

    walk(fields.get_object() if isinstance(fields, generic.IndirectObject) else fields, "", None, 0)
    return found


def _widgets_of(field_ref: Reference, field: generic.DictionaryObject) -> list[Reference]:
    """The widget annotations of a signature field, as pyHanko's SigFieldCreationRule sees them:
    kids without /T, or the field itself when it has no /Kids."""
    if "/Kids" not in field:
        return [field_ref]
    kids = field["/Kids"]
    if not isinstance(kids, generic.ArrayObject):
        raise SuspiciousModification("/Kids of a signature field is not an array")
    return [k.reference for k in kids if isinstance(k, generic.IndirectObject) and "/T" not in k.get_object()]


# --- the stamp annotation check -------------------------------------------------------------------
def _is_new(old: HistoricalResolver, ref: Reference) -> bool:
    """The object did not exist (could not even have been assigned) in the old revision."""
    return old.is_ref_unassignable(ref)


def _new_indirect(old: HistoricalResolver, raw, what: str):
    """`raw` (a direct value or an indirect reference) resolved; an indirect one must be a new object."""
    if isinstance(raw, generic.IndirectObject):
        if not _is_new(old, raw.reference):
            raise SuspiciousModification(f"{what} {raw.reference} existed before this revision")
        return raw.get_object()
    return raw


def _numbers(value, count: int, what: str) -> list[float]:
    if not isinstance(value, generic.ArrayObject) or len(value) != count:
        raise SuspiciousModification(f"{what} is not an array of {count} numbers")
    if not all(isinstance(v, (generic.NumberObject, generic.FloatObject)) for v in value):
        raise SuspiciousModification(f"{what} is not an array of {count} numbers")
    return [float(v) for v in value]


def _check_image(old: HistoricalResolver, raw, what: str, allow_smask: bool) -> None:
    if not isinstance(raw, generic.IndirectObject) or not _is_new(old, raw.reference):
        raise SuspiciousModification(f"{what} is not a new indirect object")
    image = raw.get_object()
    if not isinstance(image, generic.StreamObject) or image.get("/Subtype") != "/Image":
        raise SuspiciousModification(f"{what} is not an image XObject")
    extra = set(image.keys()) - _IMAGE_KEYS
    if extra or (not allow_smask and "/SMask" in image):
        raise SuspiciousModification(f"{what} has unexpected keys {sorted(extra) or ['/SMask']}")
    if image.get("/Type", "/XObject") != "/XObject":
        raise SuspiciousModification(f"{what} has a wrong /Type")
    if "/SMask" in image:
        _check_image(old, image.raw_get("/SMask"), f"{what} /SMask", allow_smask=False)


def _check_appearance(old: HistoricalResolver, raw_ap, what: str) -> None:
    """/AP << /N form >>, the form drawing exactly one new image (/Seal) and nothing else."""
    ap = _new_indirect(old, raw_ap, f"{what} /AP")
    if not isinstance(ap, generic.DictionaryObject) or isinstance(ap, generic.StreamObject) or set(ap.keys()) != {"/N"}:
        raise SuspiciousModification(f"{what} /AP is not << /N form >>")
    raw_form = ap.raw_get("/N")
    if not isinstance(raw_form, generic.IndirectObject) or not _is_new(old, raw_form.reference):
        raise SuspiciousModification(f"{what} appearance stream is not a new object")
    form = raw_form.get_object()
    if not isinstance(form, generic.StreamObject) or form.get("/Subtype") != "/Form":
        raise SuspiciousModification(f"{what} appearance is not a form XObject")
    if set(form.keys()) - _FORM_KEYS or form.get("/Type", "/XObject") != "/XObject":
        raise SuspiciousModification(f"{what} appearance has unexpected keys {sorted(set(form.keys()) - _FORM_KEYS)}")
    _numbers(form.get("/BBox"), 4, f"{what} appearance /BBox")
    if "/Matrix" in form:
        _numbers(form["/Matrix"], 6, f"{what} appearance /Matrix")
    resources = _new_indirect(old, form.raw_get("/Resources"), f"{what} appearance /Resources")
    if not isinstance(resources, generic.DictionaryObject) or set(resources.keys()) != {"/XObject"}:
        raise SuspiciousModification(f"{what} appearance resources are not just the seal picture")
    xobjects = _new_indirect(old, resources.raw_get("/XObject"), f"{what} appearance /XObject")
    if not isinstance(xobjects, generic.DictionaryObject) or set(xobjects.keys()) != {"/Seal"}:
        raise SuspiciousModification(f"{what} appearance resources are not just the seal picture")
    _check_image(old, xobjects.raw_get("/Seal"), f"{what} seal picture", allow_smask=True)
    if _SEAL_CONTENT.fullmatch(form.data) is None:
        raise SuspiciousModification(f"{what} appearance draws more than the seal picture")


def _new_dependencies(old: HistoricalResolver, annot: generic.DictionaryObject, what: str) -> set[Reference]:
    """Every indirect object reachable from the annotation (its /P page link aside); each must be new."""
    found: set[Reference] = set()

    def walk(obj) -> None:
        if isinstance(obj, generic.IndirectObject):
            ref = obj.reference
            if ref in found:
                return
            if not _is_new(old, ref):
                raise SuspiciousModification(f"{what} uses {ref}, an object of an earlier revision")
            found.add(ref)
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):
            for key in obj:
                walk(obj.raw_get(key))
        elif isinstance(obj, generic.ArrayObject):
            for item in obj:
                walk(item)

    for key in annot:
        if key != "/P":
            walk(annot.raw_get(key))
    return found


def check_seal_stamp(
    old: HistoricalResolver,
    page_ref: Reference,
    annot_ref: Reference,
    new_signature_fields: dict[str, Reference],
) -> tuple[str, set[Reference]]:
    """Check that `annot_ref` (listed in the /Annots of page `page_ref` in the new revision) is a
    SealDesk seal stamp annotation added after `old`; return (its /NM, the objects to explain: the
    annotation and everything it references except its page). Raises SuspiciousModification.

    `new_signature_fields`: fully qualified name → reference of the signed signature fields that are
    new since `old`; the stamp's /NM "<field>-<n>" must name one created in the same revision.
    """
    what = f"stamp annotation {annot_ref}"
    if not _is_new(old, annot_ref):
        raise SuspiciousModification(f"{what} existed before this revision")
    annot = annot_ref.get_object()
    if not isinstance(annot, generic.DictionaryObject) or isinstance(annot, generic.StreamObject):
        raise SuspiciousModification(f"{what} is not a dictionary")
    keys = set(annot.keys())
    if not _REQUIRED_STAMP_KEYS <= keys <= STAMP_ANNOT_KEYS:
        raise SuspiciousModification(f"{what} has keys {sorted(keys)}, not those of a SealDesk stamp")
    if annot.get("/Type", "/Annot") != "/Annot" or annot["/Subtype"] != "/Stamp":
        raise SuspiciousModification(f"{what} is not a /Stamp annotation")
    flags = annot.raw_get("/F")
    if not isinstance(flags, generic.NumberObject) or int(flags) != STAMP_ANNOT_FLAGS:
        raise SuspiciousModification(f"{what} has flags {flags}, not {STAMP_ANNOT_FLAGS}")
    x0, y0, x1, y1 = _numbers(annot.raw_get("/Rect"), 4, f"{what} /Rect")
    if not (x0 < x1 and y0 < y1):
        raise SuspiciousModification(f"{what} has an empty /Rect")
    page_link = annot.raw_get("/P")
    if not isinstance(page_link, generic.IndirectObject) or page_link.reference != page_ref:
        raise SuspiciousModification(f"{what} /P does not point to the page that lists it")
    name = annot.raw_get("/NM")
    contents = annot.raw_get("/Contents") if "/Contents" in annot else generic.TextStringObject("")
    strings = (generic.TextStringObject, generic.ByteStringObject)
    if not isinstance(name, strings) or not isinstance(contents, strings):
        raise SuspiciousModification(f"{what} /NM or /Contents is not a direct string")
    match = _STAMP_NAME.fullmatch(str(name))
    field_ref = new_signature_fields.get(match["field"]) if match else None
    if field_ref is None:
        raise SuspiciousModification(f"{what} /NM {str(name)!r} names no signature field added since signing")
    xrefs = old.reader.xrefs
    if xrefs.get_introducing_revision(annot_ref) != xrefs.get_introducing_revision(field_ref):
        raise SuspiciousModification(f"{what} was not created with signature field {match['field']!r}")
    _check_appearance(old, annot.raw_get("/AP"), what)
    return str(name), {annot_ref} | _new_dependencies(old, annot, what)


def _holds_approval_signature(field) -> bool:
    """The field's value is a signature dictionary (/Type /Sig), not a document timestamp: only such a
    signature is reported and validated by SealDesk's verifier, so only it may own seal stamps."""
    try:
        value = field.get("/V")
        value = value.get_object() if hasattr(value, "get_object") else value
        return value is not None and value.get("/Type") == "/Sig"
    except Exception:  # noqa: BLE001 - anything unreadable owns nothing
        return False


# --- the rules ------------------------------------------------------------------------------------
def _new_signature_widgets(
    old: HistoricalResolver, new: HistoricalResolver
) -> tuple[dict[str, Reference], dict[Reference, str]]:
    """(the new *signed* signature fields by name: the possible owners of seal stamps; the widget
    references of all new signature fields → field name, as pyHanko's form rule knows them)."""
    old_names = _signature_fields(old).keys()
    fields: dict[str, Reference] = {}
    widgets: dict[Reference, str] = {}
    for name, ref in _signature_fields(new).items():
        if name in old_names:
            continue
        field = ref.get_object()
        if _holds_approval_signature(field):
            fields[name] = ref
        for widget in _widgets_of(ref, field):
            widgets[widget] = name
    return fields, widgets


class SealStampRule(QualifiedWhitelistRule):
    """Explain, at ModificationLevel.ANNOTATIONS, the SealDesk seal stamp annotations added after the
    signature under review, together with the page /Annots updates that list them.

    A page is only considered when its new /Annots entries are not all widgets of new signature
    fields (those pages stay with the form rule). For such a page, everything must hold, otherwise
    SuspiciousModification is raised:

    - the old /Annots entries are kept, in order, at the start of the new array (their objects are
      never explained here, so rewriting one stays suspicious), and no entry is listed twice;
    - every added entry is a widget of a new signature field or passes `check_seal_stamp`;
      no /NM is used twice in the document's added stamps;
    - no key of the page dictionary other than /Annots changed; an indirect /Annots array is the
      same object as before or a new one.

    It then explains the page (all its usages), the /Annots array, and each stamp annotation with
    the objects it references. Apart from the page and its /Annots array, no object that existed in
    the old revision is explained here.
    """

    def apply_qualified(
        self, old: HistoricalResolver, new: HistoricalResolver
    ) -> Iterable[tuple[ModificationLevel, ReferenceUpdate]]:
        try:
            yield from self._explain(old, new)
        except SuspiciousModification:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. an undecodable stream in a hostile revision
            # Any other exception would abort the validation of the signature altogether.
            raise SuspiciousModification(f"seal stamp analysis failed: {type(exc).__name__}: {exc}") from exc

    def _explain(
        self, old: HistoricalResolver, new: HistoricalResolver
    ) -> Iterator[tuple[ModificationLevel, ReferenceUpdate]]:
        level = ModificationLevel.ANNOTATIONS
        fields, widgets = _new_signature_widgets(old, new)
        if not fields:
            return  # stamps belong to a new signature: nothing to explain
        names_seen: set[str] = set()
        for page in _leaf_pages(old, new):
            old_annots, old_array_ref = _annots(page.old)
            new_annots, new_array_ref = _annots(page.new)
            added = [ref for ref in new_annots if ref not in set(old_annots)]
            if all(ref in widgets for ref in added):
                continue  # nothing, or signature widgets only: the form rule's business
            if new_annots[: len(old_annots)] != old_annots:
                raise SuspiciousModification(f"annotations of page {page.ref} were removed or reordered")
            if len(set(new_annots)) != len(new_annots):
                raise SuspiciousModification(f"an annotation is listed twice on page {page.ref}")
            compare_dicts(page.old, page.new, frozenset({"/Annots"}))
            explained: set[Reference] = set()
            for ref in added:
                if ref in widgets:
                    continue  # the signature field rules explain the widget itself
                name, refs = check_seal_stamp(old, page.ref, ref, fields)
                if name in names_seen:
                    raise SuspiciousModification(f"stamp annotation name {name!r} is used twice")
                names_seen.add(name)
                explained |= refs
            yield level, ReferenceUpdate(page.ref)  # pages are referenced from many places: blanket
            if new_array_ref is not None:
                if new_array_ref == old_array_ref:
                    context = RelativeContext(page.ref, RawPdfPath("/Annots"))
                    yield level, ReferenceUpdate(new_array_ref, context_checked=context)
                elif _is_new(old, new_array_ref):
                    yield level, ReferenceUpdate(new_array_ref)
                else:
                    raise SuspiciousModification(f"/Annots of page {page.ref} now reuses {new_array_ref}")
            for ref in sorted(explained, key=lambda r: (r.idnum, r.generation)):
                yield level, ReferenceUpdate(ref)


class SealStampAwareSigFieldCreationRule(SigFieldCreationRule):
    """pyHanko's SigFieldCreationRule, except for pages whose new /Annots entries are not all widgets
    of new signature fields: pyHanko rejects those outright; this rule leaves them unexplained, so
    that they pass only when another rule (SealStampRule) explains them.

    Field creation is delegated to pyHanko unchanged; the page walk for widget-only pages repeats
    pyHanko's (same checks, same updates at ModificationLevel.LTA_UPDATES).
    """

    def apply(self, context: FieldComparisonContext) -> Iterable[tuple[ModificationLevel, FormUpdate]]:
        fields_only = SigFieldCreationRule(
            approve_widget_bindings=False,
            allow_new_visible_after_certify=self.allow_new_visible_after_certify,
        )
        yield from fields_only.apply(context)
        if not self.approve_widget_bindings:
            return
        widgets: dict[Reference, str] = {}
        for fq_name, spec in context.field_specs.items():
            if spec.field_type == "/Sig" and spec.old_field_ref is None and spec.new_field_ref is not None:
                for widget in _widgets_of(spec.new_field_ref, spec.new_field):
                    widgets[widget] = fq_name
        if not widgets:
            return  # pyHanko: no new signature field → no page update to approve
        old = context.old
        for page in _leaf_pages(old, context.new):
            if "/Annots" not in page.new:
                continue
            old_annots, old_array_ref = _annots(page.old)
            new_annots, new_array_ref = _annots(page.new)
            old_set, new_set = set(old_annots), set(new_annots)
            if old_set == new_set:
                continue
            if old_set - new_set:
                raise SuspiciousModification(f"Annotations {old_set - new_set} were deleted.")
            added = new_set - old_set
            if added - widgets.keys():
                continue  # not only signature widgets: SealStampRule's business, or unexplained
            field_name = widgets[next(iter(added))] if len(added) == 1 else None
            compare_dicts(page.old, page.new, frozenset({"/Annots"}))
            yield (
                ModificationLevel.LTA_UPDATES,
                FormUpdate(updated_ref=page.ref, field_name=field_name, valid_when_locked=field_name is not None),
            )
            if new_array_ref is not None and (new_array_ref == old_array_ref or _is_new(old, new_array_ref)):
                yield (
                    ModificationLevel.LTA_UPDATES,
                    FormUpdate(
                        updated_ref=new_array_ref,
                        field_name=field_name,
                        valid_when_locked=field_name is not None,
                        context_checked=RelativeContext(page.ref, RawPdfPath("/Annots")),
                    ),
                )
