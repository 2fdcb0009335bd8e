"""A hardened XML parser for OFD parts, and helpers that ignore the namespace.

lxml with entity resolution, DTD loading, network access and huge trees switched off; any DOCTYPE with
entity declarations is refused outright (billion laughs and external entities never get a chance).
Real OFD files use the namespace http://www.ofdspec.org/2016, the older http://www.ofdspec.org, or none,
with or without the `ofd:` prefix: every lookup here compares local names only.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from .. import errors
from ..i18n_marks import QT_TRANSLATE_NOOP

Element = etree._Element

XML_ENTITIES = QT_TRANSLATE_NOOP("errors", "a part declares XML entities")
XML_BROKEN = QT_TRANSLATE_NOOP("errors", "a part is not well-formed XML")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False,
        remove_comments=True, remove_pis=True,
    )


def parse(data: bytes, part: str, name: str) -> Element:
    """The root element of part `part` of document `name`; typed errors for entities and broken XML."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # OFD parts never need one; UTF-16 parts fail below
        raise errors.OfdUnsafe(f"{part}: DOCTYPE/ENTITY", name=name, problem=XML_ENTITIES)
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise errors.OfdDamaged(f"{part}: {exc}", name=name, problem=XML_BROKEN) from exc
    if root is None:
        raise errors.OfdDamaged(f"{part}: empty", name=name, problem=XML_BROKEN)
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:  # other encodings (UTF-16) pass the byte check above
        raise errors.OfdUnsafe(f"{part}: DOCTYPE", name=name, problem=XML_ENTITIES)
    return root


def local(element: Element) -> str:
    """The element's name without namespace ("" for comments and the like)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element: Element | None, name: str | None = None) -> Iterator[Element]:
    """Child elements, optionally only those called `name` (any namespace)."""
    if element is None:
        return
    for child in element:
        if isinstance(child.tag, str) and (name is None or local(child) == name):
            yield child


def child(element: Element | None, name: str) -> Element | None:
    return next(children(element, name), None)


def path(element: Element | None, *names: str) -> Element | None:
    """The first element down the chain of `names`."""
    for name in names:
        element = child(element, name)
    return element


def text(element: Element | None, *names: str) -> str:
    """Stripped text of the element down `names` ("" when absent)."""
    found = path(element, *names) if names else element
    return (found.text or "").strip() if found is not None else ""


def attr(element: Element | None, name: str, default: str = "") -> str:
    """An attribute by local name (OFD attributes carry no namespace, but tolerate one)."""
    if element is None:
        return default
    value = element.get(name)
    if value is None:
        for key, candidate in element.attrib.items():
            if key.rsplit("}", 1)[-1] == name:
                return candidate
        return default
    return value
