"""Seals on a key: read them with their certificates and verification, and import a seal file onto the key.

A seal authority often delivers the seal as a file (.esl) next to the key; importing writes it onto the key
as a seal object linked to the key whose certificate the seal binds, after verifying it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .clock import Clock, utc_now
from .errors import SealAmbiguous, SealDeskError, SealNotBound, SealNotOnKey


@dataclass(frozen=True)
class KeySeal:
    key_id: bytes
    label: str
    seal: object
    """The parsed app.core.ses.Seal."""
    certificate: bytes | None
    """DER of the certificate stored with the same key ID (the signing cert)."""
    check: object | None
    """app.core.ses.SealCheck against that certificate; None when the seal could not be parsed."""
    error: SealDeskError | None = None
    """Why the stored seal could not be parsed (a damaged object on the key)."""


def key_seals(session, *, clock: Clock = utc_now, verify: bool = True) -> list[KeySeal]:
    """Every seal object on the key, parsed and (unless `verify` is False) verified against its key's
    certificate."""
    from .ses import parse_seal, verify_seal

    certificates = {entry.key_id: entry.certificate for entry in session.keys()}
    result = []
    for stored in session.seals():
        cert = certificates.get(stored.key_id)
        try:
            seal = parse_seal(stored.der)
        except SealDeskError as exc:
            result.append(KeySeal(stored.key_id, stored.label, None, cert, None, exc))
            continue
        check = verify_seal(seal, clock=clock, signing_cert=cert) if verify else None
        result.append(KeySeal(stored.key_id, stored.label, seal, cert, check))
    return result


_BRACKETS = "()[]{}<>《》【】〔〕「」『』〈〉﹝﹞"


def folded(text: str) -> str:
    """`text` as users type it and seals spell it alike: NFKC (full-width → half-width), case-folded, without
    spaces and brackets — so 张三(法定代表人), 张三（法定代表人） and 张三 法定代表人 are the same."""
    import unicodedata

    normal = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in normal if not c.isspace() and c not in _BRACKETS)


def find_key_seal(session, seal_ref: str, *, clock: Clock = utc_now) -> KeySeal:
    """The seal `seal_ref` names: its ID (any case), its name or label (compared `folded`), or a unique
    prefix of either. Not verified here — the policy check verifies the chosen seal before every use.
    Nothing or several matching is an error that lists the seals on the key (ID and name)."""
    seals = [s for s in key_seals(session, clock=clock, verify=False) if s.seal is not None]
    wanted = folded(seal_ref)
    by_id = [s for s in seals if s.seal.es_id == seal_ref] or [s for s in seals if folded(s.seal.es_id) == wanted]
    stages = (
        by_id,
        [s for s in seals if wanted and wanted in (folded(s.label), folded(s.seal.name))],
        [
            s
            for s in seals
            if wanted and any(folded(t).startswith(wanted) for t in (s.seal.es_id, s.seal.name, s.label))
        ],
    )
    for match in stages:
        if len(match) == 1:
            return match[0]
        if len(match) > 1:
            raise SealAmbiguous(
                f"{len(match)} seals match {seal_ref!r} on key {session.token.serial}",
                seal=seal_ref,
                seals=_listed(match),
            )
    raise SealNotOnKey(f"no seal {seal_ref!r} on key {session.token.serial}", seal=seal_ref, seals=_listed(seals) or "-")


def _listed(seals: list[KeySeal]) -> str:
    return "; ".join(f"{s.seal.es_id} {s.seal.name}" for s in seals)


def import_seal_file(session, der: bytes, *, clock: Clock = utc_now) -> KeySeal:
    """Verify a seal file and write it onto the key next to the key it binds. Refuses invalid/unbound seals."""
    from .ses import parse_seal, verify_seal

    seal = parse_seal(der)
    for entry in session.keys():
        if entry.certificate is None:
            continue
        check = verify_seal(seal, clock=clock, signing_cert=entry.certificate)
        if check.bound:
            if check.problems:
                raise check.problems[0]
            session.put_seal(entry.key_id, seal.name, der)
            return KeySeal(entry.key_id, seal.name, seal, entry.certificate, check)
    raise SealNotBound(f"seal {seal.es_id} binds none of the certificates on key {session.token.serial}")
