"""Seal kinds: the SESeal `type` number and the seal's name, read together.

GM/T 0031 and GB/T 38540 define only type 1 = organisation seal (单位印章) and 2 = personal seal (个人印章);
every other number is a vendor convention (one vendor's 3 is a legal representative's seal, another's a tax
bureau's invoice seal). So SealDesk shows the raw number and derives the finer kind — 合同专用章, 财务专用章,
发票专用章, 法定代表人章 … — from the seal's NAME, which the seal authority writes from the registered seal.
A vendor number whose name says nothing known is "other" and counts as official for the approval policy (the
cautious choice). SealDesk's own demo seals use 3 and 4 (DUTY_LEGAL_REPRESENTATIVE, CONTRACT) with names that
say the same.
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


OFFICIAL_LEGAL_NAME = 1
PERSONAL = 2
DUTY_LEGAL_REPRESENTATIVE = 3
CONTRACT = 4

_ORGANISATION = QT_TRANSLATE_NOOP("seal-kinds", "Official seal (legal name)")
_PERSONAL = QT_TRANSLATE_NOOP("seal-kinds", "Personal seal")
_OTHER = QT_TRANSLATE_NOOP("seal-kinds", "Other seal")

_BY_NAME: list[tuple[tuple[str, ...], SealCategory, str]] = [
    # the more specific words first: "财务负责人" before "财务", "法定代表人" before anything personal
    (("法定代表人", "法人代表", "法人章"), SealCategory.DUTY,
     QT_TRANSLATE_NOOP("seal-kinds", "Duty seal (legal representative)")),
    (("财务负责人",), SealCategory.DUTY, QT_TRANSLATE_NOOP("seal-kinds", "Duty seal (finance head)")),
    (("合同专用章", "合同章"), SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Contract seal")),
    (("发票专用章", "发票章"), SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Invoice seal")),
    (("财务专用章", "财务章"), SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Finance seal")),
    (("报关专用章", "报关章"), SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Customs declaration seal")),
    (("审计专用章",), SealCategory.OFFICIAL, QT_TRANSLATE_NOOP("seal-kinds", "Audit seal")),
    (("职务章",), SealCategory.DUTY, QT_TRANSLATE_NOOP("seal-kinds", "Duty seal (other)")),
]  # fmt: skip
"""Words in a seal's name → its finer kind (the category decides the approval rule)."""


def kind_of(code: int, name: str = "") -> SealKind:
    """The kind of a seal with `type` number `code` and name `name` (see the module docstring)."""
    import unicodedata

    compact = "".join(unicodedata.normalize("NFKC", name or "").split())
    for words, category, label in _BY_NAME:
        if any(word in compact for word in words):
            return SealKind(code, category, label)
    if code == OFFICIAL_LEGAL_NAME:
        return SealKind(code, SealCategory.OFFICIAL, _ORGANISATION)
    if code == PERSONAL:
        return SealKind(code, SealCategory.PERSONAL, _PERSONAL)
    return SealKind(code, SealCategory.OTHER, _OTHER)


def all_kinds() -> list[SealKind]:
    """One kind per known label (code 0 where the number does not decide it)."""
    return [
        SealKind(OFFICIAL_LEGAL_NAME, SealCategory.OFFICIAL, _ORGANISATION),
        SealKind(PERSONAL, SealCategory.PERSONAL, _PERSONAL),
        *(SealKind(0, category, label) for _, category, label in _BY_NAME),
    ]
