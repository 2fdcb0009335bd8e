"""`sealdesk export-ses`: a GB/T 38540 v4 SES_Signature over a document the key's seal has stamped, for
systems that expect one beside (or instead of) the PDF signature.

Only a document holding an intact signature made with a seal on this key is accepted: the stamping itself
was the recorded use of the seal (用印登记), and the SES_Signature is its companion in another format. Over
any other file it would be an unrecorded use of the seal. Everything but the seal's identity on the key is
checked before the PIN; the signature is built, parsed back and verified (signature, data hash, seal) before
anything is written, and the output never replaces an existing file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import gm
from .atomic_output import AtomicOutput, ensure_new_target
from .errors import SealAmbiguous, SealDeskError, SesExportNoStamp, SesExportSealNotInDocument, SigningFailed

SUFFIX = ".ses"
"""Default output: the document's name with this added (合同.signed.pdf → 合同.signed.pdf.ses)."""

_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
_RSA_SHA256 = "1.2.840.113549.1.1.11"
_RSA_PSS = "1.2.840.113549.1.1.10"  # SHA-256, MGF1-SHA-256, salt 32: what the token's PSS with SHA-256 makes


@dataclass(frozen=True)
class SesExportPlan:
    """What the export will do, known before the PIN."""

    document: Path
    data: bytes
    output: Path
    seal_id: str
    seal_name: str


@dataclass(frozen=True)
class SesExportResult:
    output: Path
    seal_id: str
    seal_name: str
    signer: str
    sign_alg: str
    data_hash: bytes
    signed_at: datetime


def plan_export(app, key, document: str | Path, seal_query: str | None, out: str | Path | None) -> SesExportPlan:
    """Check the document, the seal and the output without the PIN (app: an Application, key: KeySummary)."""
    from .seals import folded
    from .verification import verify_document
    from .views import read_user_file

    path = Path(document)
    data = read_user_file(path)
    target = Path(out) if out else path.with_name(path.name + SUFFIX)
    ensure_new_target(target)
    report = verify_document(path, trust_roots=())  # intact and made by the seal: trust is not the question here
    stamped = [s.seal_id for s in report.signatures if s.seal_id and s.intact and s.valid]
    on_key = {s.ref: s for s in app.key_contents(key).seals if s.seal is not None}
    candidates = [on_key[i] for i in dict.fromkeys(reversed(stamped)) if i in on_key]  # the latest stamping first
    if not candidates:
        raise SesExportNoStamp(f"{path}: seals {stamped} not on key {key.serial}", name=path.name)
    if seal_query:
        wanted = folded(seal_query)  # as `--seal` of stamp: the ID or name, any case and width, or a prefix
        matching = [s for s in candidates if any(folded(t).startswith(wanted) for t in (s.ref, s.name))]
        if not matching:
            names = ", ".join(f"{s.name} [{s.ref}]" for s in candidates)
            raise SesExportSealNotInDocument(seal_query, seal=seal_query, name=path.name, seals=names)
        if len(matching) > 1:
            names = ", ".join(f"{s.name} [{s.ref}]" for s in matching)
            raise SealAmbiguous(seal_query, seal=seal_query, seals=names)
        candidates = matching
    chosen = candidates[0]
    if not chosen.usable and chosen.problem is not None:  # expired since the stamping, certificate expired …
        raise chosen.problem
    return SesExportPlan(path, data, target, chosen.ref, chosen.name)


def _signing(session, key_id: bytes) -> tuple[str, bytes, Callable[[bytes], bytes]]:
    """(signature algorithm OID, certificate, sign(tbs)) for the key: SM2-with-SM3 for SM2 keys (the token
    computes nothing but the signature; Z and SM3 are SealDesk's), else SHA-256 with the key's scheme."""
    signer = session.digest_signer(key_id)
    if signer.key_type == "sm2":
        return gm.SM2_WITH_SM3_OID, signer.certificate, session.sm2_signer(key_id).sign_message
    oid = {"ecdsa": _ECDSA_SHA256, "pkcs1v15": _RSA_SHA256, "pss": _RSA_PSS}[signer.scheme]
    return oid, signer.certificate, lambda tbs: session.sign_data(key_id, tbs, "sha256", signer.scheme)


def export(app, key, plan: SesExportPlan, pin: str) -> SesExportResult:
    """Log in once (never retried), sign TBS_Sign with the seal's key, check the result, write it."""
    from .certs import summarize
    from .seals import find_key_seal
    from .ses import build_ses_signature_v4, parse_ses_signature, verify_ses_signature

    now = app.clock().replace(microsecond=0)
    with app.session(key, pin) as session:
        del pin
        found = find_key_seal(session, plan.seal_id, clock=app.clock)
        if found.certificate is None:
            from .errors import SealNotBound

            raise SealNotBound(f"no certificate with CKA_ID {found.key_id.hex()}")
        sign_alg, cert, sign = _signing(session, found.key_id)
        der = build_ses_signature_v4(
            seal_der=found.seal.der,
            data=plan.data,
            property_info=plan.document.name,
            time_info=now,
            cert=cert,
            sign_alg=sign_alg,
            sign=sign,
        )
    try:
        signature = parse_ses_signature(der)
    except SealDeskError as exc:
        raise SigningFailed(f"SES_Signature unreadable: {exc.detail}") from exc
    check = verify_ses_signature(signature, data=plan.data, clock=app.clock)
    if not (check.signature_ok and check.data_hash_ok):
        raise SigningFailed("SES_Signature does not verify")
    if check.problems:  # the seal or certificate at timeInfo: never write what SealDesk itself calls invalid
        raise check.problems[0]
    with AtomicOutput(plan.output) as out:
        out.file.write(der)
        out.commit()
    signer = summarize(cert).subject
    return SesExportResult(plan.output, plan.seal_id, plan.seal_name, signer, sign_alg, signature.data_hash, now)
