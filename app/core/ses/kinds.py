"""Seal kinds: SealDesk's reading of the SESeal `type` integer.

GM/T 0031-2014 (v1) defines 1 = organisation seal and 2 = personal seal; GB/T 38540-2020 (v4) leaves
`type` to the application. SealDesk keeps 1 and 2 with their v1 meaning and numbers the finer kinds of
the municipal measures after them (documented in docs/token-layout.md). Unknown numbers are shown as
"other" and treated like an official seal by the approval policy (the cautious choice).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..i18n_marks import QT_TRANSLATE_NOOP


class SealCategory(StrEnum):
    OFFICIAL = "official"  # 电子公章
    DUTY = "duty"  # 电子职务章
    PERSONAL = "personal"  # 电子私章
    OTHER = "other"


@dataclass(frozen=True)
class SealKind:
    code: int
    category: SealCategory
    name: str
    """English source text, translatable in context "seal-kinds"."""

    @property
    def is_official(self) -> bool:
        return self.category in (SealCategory.OFFICIAL, SealCategory.OTHER)


_KINDS = [
    SealKind(1, SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Official seal (legal name)")),
    SealKind(2, SealCategory.PERSONAL, QT_TRANSLATE_NOOP("seal-kinds", "Personal seal")),
    SealKind(3, SealCategory.DUTY, QT_TRANSLATE_NOOP("seal-kinds", "Duty seal (legal representative)")),
    SealKind(4, SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Contract seal")),
    SealKind(5, SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Finance seal")),
    SealKind(6, SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Invoice seal")),
    SealKind(7, SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Internal department seal")),
    SealKind(8, SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Branch seal")),
    SealKind(9, SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Customs declaration seal")),
    SealKind(10, SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Audit seal")),
    SealKind(11, SealCategory.DUTY, QT_TRANSLATE_NOOP("seal-kinds", "Duty seal (finance head)")),
    SealKind(12, SealCategory.DUTY, QT_TRANSLATE_NOOP("seal-kinds", "Duty seal (other)")),
]
_BY_CODE = {kind.code: kind for kind in _KINDS}

OFFICIAL_LEGAL_NAME = 1
PERSONAL = 2
DUTY_LEGAL_REPRESENTATIVE = 3
CONTRACT = 4


def kind_of(code: int) -> SealKind:
    """The kind for a seal `type` number; unknown numbers give an "other" kind."""
    return _BY_CODE.get(code) or SealKind(code, SealCategory.OTHER, QT_TRANSLATE_NOOP("seal-kinds", "Other seal"))


def all_kinds() -> list[SealKind]:
    return list(_KINDS)
