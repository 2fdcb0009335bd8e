"""PDF signing and verification through pyHanko (never hand-written CMS or PDF signature code).

- `inspect`: pre-flight facts about an input PDF (pages, encryption, existing signatures, DocMDP).
- `sign`: one PAdES signature per stamping, its seal picture as the widget appearance, extra seal
  pictures (multi-page copies, cross-page slices) as stamp annotations in the same revision.
- `verify`: pyHanko validation condensed into plain reports.

Modules are imported lazily by callers; this package does not import pyHanko on its own.
"""
