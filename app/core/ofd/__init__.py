"""OFD (GB/T 33190) documents: read the package, draw its pages, find its text.

Modules, one concern each: `package` (the zip and its limits), `xml` (the hardened parser), `model`
(plain data), `reader` (OFD.xml → document → pages, resources, annotations, attachments, signatures),
`walk` (objects in drawing order with their matrices), `paths` (abbreviated path data), `text` (character
positions, keyword search), `fonts` (font files for named fonts), `render` (the display PDF).
The signature code (stamping, verification) builds on `read_ofd`: every part's bytes
(`OfdDocument.part_bytes`), the Signatures.xml entries with their References and StampAnnots, page areas in mm.
"""

from .package import DEFAULT_LIMITS, OfdPackage, ZipLimits
from .reader import OfdDocument, read_ofd

__all__ = ["DEFAULT_LIMITS", "OfdDocument", "OfdPackage", "ZipLimits", "read_ofd"]
