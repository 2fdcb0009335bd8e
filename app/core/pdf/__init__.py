"""PDF signing and verification through pyHanko (never hand-written CMS or PDF signature code).

- `inspect`: pre-flight facts about an input PDF (pages, encryption, existing signatures, DocMDP).
- `sign`: one PAdES signature per stamping; every seal picture (multi-page copies, cross-page slices
  included) is a widget of the one signature field, or the picture fills an existing empty field.
- `fields`: the document's signature fields (which are empty, where, whether one can be signed).
- `verify`: pyHanko validation condensed into plain reports.

Modules are imported lazily by callers; this package does not import pyHanko on its own.
"""
