"""The application layer: what a front end (GUI or CLI) drives, with no Qt and no printing.

It owns the settings, the key manager, the open key session, the usage log and the trust roots, and
offers keys and seals as typed summaries (readable without the PIN), a stamping *plan* made before the
PIN is asked, stamping with progress phases and a cancel token, and verification reports — all as data.
Warnings and errors stay objects (`PlanWarning`, `SealDeskError`) and are translated at display time.

Threads: `stamp` and `verify` block, so a GUI calls them from a worker thread; `watch` calls its callback
on the watcher's thread (the GUI marshals it to its own thread with a queued signal).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from .certs import EXPIRY_WARNING_DAYS, summarize
from .clock import Clock, utc_now
from .errors import (
    ApprovalRequired,
    Cancelled,
    CertificateExpired,
    CertificateNotYetValid,
    DocumentNotFound,
    FileRejected,
    SealDeskError,
    SealExpired,
    SealFormatError,
    SealNotBound,
    SealNotFound,
    SealNotYetValid,
    TokenError,
    TokenRemoved,
)
from .i18n_marks import QT_TRANSLATE_NOOP
from .keys import PinState, TokenInfo, TokenManager, TokenWatcher
from .policy import PolicySettings, PolicyWarning, check_before_stamping
from .settings import Settings, load_settings

if TYPE_CHECKING:  # imported when used: `sealdesk tokens` does not load the stamping pipeline
    from .stamping import (
        CancelToken,
        PlacementRequest,
        StampOptions,
        StampPhase,
        StampResult,
    )
    from .views import BatchLine, FileBatch, SealFile, SealListing, SealRow

_STAMPING_NAMES = frozenset(
    ("CancelToken", "CrossPagePlacement", "PlacementRequest", "Stamper", "StampOptions", "StampPhase",
     "StampRequest", "StampResult", "default_output_path", "resolve_spots")
)


def __getattr__(name: str):
    """The stamping names this module used to re-export, still importable from here."""
    if name in _STAMPING_NAMES:
        from . import stamping

        return getattr(stamping, name)
    raise AttributeError(name)

CONTEXT = "app"
EDGE_MARGIN_MM = 5.0
"""A seal closer than this to the page edge (or crossing it) gets a warning — it may be cut by printers."""


# --- keys and seals ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeySummary:
    """A key as the holder sees it, before any PIN."""

    label: str
    serial: str
    manufacturer: str
    model: str
    pin_state: PinState
    is_demo: bool
    token: TokenInfo = field(repr=False, compare=False)

    @property
    def ref(self) -> str:
        """Stable identity of the key across polls (module + serial)."""
        return f"{self.token.module_path}#{self.serial}"


PIN_STATE_TEXT = {
    PinState.OK: QT_TRANSLATE_NOOP("app", "ok"),
    PinState.COUNT_LOW: QT_TRANSLATE_NOOP("app", "wrong PIN entered before — few tries left"),
    PinState.FINAL_TRY: QT_TRANSLATE_NOOP("app", "final try — one more wrong PIN locks the key"),
    PinState.LOCKED: QT_TRANSLATE_NOOP("app", "locked"),
    PinState.MUST_CHANGE: QT_TRANSLATE_NOOP("app", "must be changed"),
    PinState.NOT_INITIALISED: QT_TRANSLATE_NOOP("app", "no user PIN yet — the issuer must set one"),
}


def pin_state_text(state: object, translate: Callable[[str, str], str]) -> str:
    """The PIN state in words (an unknown state is shown as its value)."""
    text = next((t for s, t in PIN_STATE_TEXT.items() if str(s) == str(state)), None)
    return translate(CONTEXT, text) if text else str(state)


@dataclass(frozen=True)
class CertificateInfo:
    key_id: bytes
    subject: str
    subject_cn: str
    issuer: str
    serial_hex: str
    algorithm: str
    not_before: datetime
    not_after: datetime
    days_to_expiry: int
    expiring_soon: bool
    """Inside the 90-day warning window (and not yet expired)."""
    expired: bool


class SealUsability(StrEnum):
    USABLE = "usable"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    CERT_EXPIRED = "cert_expired"
    CERT_NOT_YET_VALID = "cert_not_yet_valid"
    NOT_BOUND = "not_bound"
    NO_CERTIFICATE = "no_certificate"
    INVALID = "invalid"
    DAMAGED = "damaged"


@dataclass(frozen=True)
class SealSummary:
    """A seal on a key: what the key panel shows and what `plan` needs to name it."""

    ref: str
    """The seal ID (esID), or the label when the seal object cannot be parsed."""
    name: str
    kind: str
    """SealCategory value: official, duty, personal, other."""
    kind_name: str
    """English source of the kind's name, context "seal-kinds"."""
    is_official: bool
    size_mm: tuple[float, float]
    picture_png: bytes = field(repr=False)
    """Transparent RGBA PNG (empty when the seal is damaged)."""
    valid_from: datetime | None
    valid_to: datetime | None
    days_to_expiry: int | None
    expiring_soon: bool
    usability: SealUsability
    problem: SealDeskError | None
    """Why the seal may not be used (None when usable): show `problem.user_message(translate)`."""
    certificate: CertificateInfo | None
    key_id: bytes = field(repr=False)
    seal: object = field(repr=False, compare=False, default=None)
    cert_der: bytes | None = field(repr=False, compare=False, default=None)

    @property
    def usable(self) -> bool:
        return self.usability is SealUsability.USABLE


@dataclass(frozen=True)
class KeyContents:
    key: KeySummary
    certificates: tuple[CertificateInfo, ...]
    seals: tuple[SealSummary, ...]


class KeyEventKind(StrEnum):
    INSERTED = "inserted"
    REMOVED = "removed"


@dataclass(frozen=True)
class KeyEvent:
    kind: KeyEventKind
    key: KeySummary
    session_closed: bool = False
    """True when the removed key had the open session, which is now invalid."""


# --- plans ----------------------------------------------------------------------------------------
class WarningKind(StrEnum):
    CERT_EXPIRES = "cert_expires"
    SEAL_EXPIRES = "seal_expires"
    NEAR_EDGE = "near_edge"
    OFFICIAL_SEAL = "official_seal"
    ALREADY_SIGNED = "already_signed"
    CERTIFIED_NEW_FIELD = "certified_new_field"
    SEAL_STATUS_UNCHECKED = "seal_status_unchecked"


@dataclass(frozen=True)
class PlanWarning:
    """A warning shown before the PIN; `message` is an English source text with {placeholders}."""

    kind: WarningKind
    message: str
    context: str = CONTEXT
    params: tuple[tuple[str, str], ...] = ()

    def text(self, translate: Callable[[str, str], str] = lambda c, t: t) -> str:
        return translate(self.context, self.message).format(**dict(self.params))

    @classmethod
    def from_policy(cls, warning: PolicyWarning) -> PlanWarning:
        kind = WarningKind.SEAL_EXPIRES if "seal" in warning.message else WarningKind.CERT_EXPIRES
        return cls(kind, warning.message, "policy", warning.params)


@dataclass(frozen=True)
class PlannedSpot:
    page: int
    """0-based page index."""
    rect_mm: tuple[float, float, float, float]
    """x, y, w, h from the visible page's top-left, mm."""
    slice_index: int | None = None
    slice_count: int | None = None
    picture_png: bytes = field(default=b"", repr=False)
    """The picture (or slice) shown there, for a preview."""

    @property
    def center_mm(self) -> tuple[float, float]:
        x, y, w, h = self.rect_mm
        return (x + w / 2, y + h / 2)


@dataclass(frozen=True)
class StampPlan:
    """Everything decided before the PIN: where the seal lands, what is worth a warning, what blocks."""

    document: Path
    output: Path
    key: KeySummary
    seal: SealSummary
    placement: PlacementRequest
    approval_ref: str | None
    purpose: str | None
    spots: tuple[PlannedSpot, ...]
    warnings: tuple[PlanWarning, ...]
    problems: tuple[SealDeskError, ...]
    """Blocking: stamping refuses while any is present."""
    needs_approval: bool
    """The seal is official and the settings require an approval reference."""
    status_unchecked: bool = False
    """The city system could not be asked for the seal's status and the policy allows stamping: the usage
    record is marked "status unchecked" in the sync table."""

    @property
    def ok(self) -> bool:
        return not self.problems


class StampStatus(StrEnum):
    SIGNED = "signed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class StampOutcome:
    plan: StampPlan
    status: StampStatus
    result: StampResult | None
    error: SealDeskError | None

    @property
    def warnings(self) -> tuple[PlanWarning, ...]:
        if self.result is None:
            return ()
        return tuple(PlanWarning.from_policy(w) for w in self.result.warnings)


@dataclass(frozen=True)
class ProgressEvent:
    document_number: int
    """1-based number of the document in the batch."""
    document_count: int
    document: Path
    phase: StampPhase


ProgressCallback = Callable[[ProgressEvent], None]


# --- verification ---------------------------------------------------------------------------------
class VerificationStatus(StrEnum):
    VALID = "valid"
    """Intact, valid, trusted, seal valid."""
    WARNING = "warning"
    """Cryptographically intact but not trusted (unknown root, untrusted seal maker)."""
    INVALID = "invalid"
    """Modified after signing, broken signature, invalid seal …"""
    UNSIGNED = "unsigned"


VERIFICATION_STATUS_TEXT = {
    VerificationStatus.VALID: QT_TRANSLATE_NOOP("app", "valid"),
    VerificationStatus.WARNING: QT_TRANSLATE_NOOP("app", "intact, but not trusted"),
    VerificationStatus.INVALID: QT_TRANSLATE_NOOP("app", "INVALID"),
    VerificationStatus.UNSIGNED: QT_TRANSLATE_NOOP("app", "no signatures"),
}


@dataclass(frozen=True)
class SignatureSummary:
    field_name: str
    signer: str
    seal_name: str | None
    seal_status: str | None
    signing_time: datetime | None
    status: VerificationStatus


@dataclass(frozen=True)
class VerificationSummary:
    path: Path
    status: VerificationStatus
    signatures: tuple[SignatureSummary, ...]
    report: object = field(repr=False, compare=False)
    """The full app.core.verification.DocumentVerification."""


def _signature_status(sig) -> VerificationStatus:
    if sig.all_valid:
        return VerificationStatus.VALID
    r = sig.report
    broken = (
        not r.intact
        or not r.valid
        or not r.docmdp_ok
        or r.modification_level == "other"
        or sig.seal_status not in (None, "valid", "untrusted_maker")
    )
    return VerificationStatus.INVALID if broken else VerificationStatus.WARNING


def summarize_verification(report) -> VerificationSummary:
    """Statuses as enums over app.core.verification's report (the panel and the CLI read these)."""
    rows = []
    for sig in report.signatures:
        r = sig.report
        rows.append(
            SignatureSummary(
                field_name=str(getattr(r, "field_name", "")),
                signer=str(getattr(r, "signer_subject", "") or ""),
                seal_name=sig.seal_name,
                seal_status=sig.seal_status,
                signing_time=getattr(r, "timestamp_time", None) or getattr(r, "signing_time", None),
                status=_signature_status(sig),
            )
        )
    statuses = {row.status for row in rows}
    if not rows:
        overall = VerificationStatus.UNSIGNED
    elif VerificationStatus.INVALID in statuses:
        overall = VerificationStatus.INVALID
    elif VerificationStatus.WARNING in statuses:
        overall = VerificationStatus.WARNING
    else:
        overall = VerificationStatus.VALID
    return VerificationSummary(Path(report.path), overall, tuple(rows), report)


# --- helpers --------------------------------------------------------------------------------------
def _certificate_info(key_id: bytes, der: bytes, clock: Clock) -> CertificateInfo:
    cert = summarize(der)
    days = cert.days_to_expiry(clock)
    return CertificateInfo(
        key_id=key_id,
        subject=cert.subject,
        subject_cn=cert.subject_cn,
        issuer=cert.issuer,
        serial_hex=cert.serial_hex,
        algorithm=cert.algorithm,
        not_before=cert.not_before,
        not_after=cert.not_after,
        days_to_expiry=days,
        expiring_soon=0 <= days < EXPIRY_WARNING_DAYS,
        expired=days < 0 or cert.not_after < clock(),
    )


def _usability(problems: Sequence[SealDeskError], bound: bool | None) -> SealUsability:
    """The most telling reason among a seal check's problems."""
    for problem in problems:
        if isinstance(problem, SealNotBound):
            return SealUsability.NOT_BOUND
    for problem in problems:
        if isinstance(problem, CertificateExpired):
            return SealUsability.CERT_EXPIRED
        if isinstance(problem, CertificateNotYetValid):
            return SealUsability.CERT_NOT_YET_VALID
        if isinstance(problem, SealExpired):
            return SealUsability.EXPIRED
        if isinstance(problem, SealNotYetValid):
            return SealUsability.NOT_YET_VALID
    if problems:
        return SealUsability.INVALID
    if bound is False:
        return SealUsability.NOT_BOUND
    return SealUsability.USABLE


def _is_demo(token: TokenInfo) -> bool:
    from .demo import DEMO_LABELS

    return token.label in DEMO_LABELS


def key_summary(token: TokenInfo) -> KeySummary:
    return KeySummary(
        label=token.label,
        serial=token.serial,
        manufacturer=token.manufacturer,
        model=token.model,
        pin_state=token.pin_state,
        is_demo=_is_demo(token),
        token=token,
    )


def resolve_language(settings: Settings) -> str:
    """settings.language → SEALDESK_LANG → zh_CN."""
    import os

    return settings.language.strip() or os.environ.get("SEALDESK_LANG", "").strip() or "zh_CN"


# --- the application ------------------------------------------------------------------------------
class Application:
    """One per process: the front end's single entry to keys, seals, stamping and verification."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock = utc_now,
        manager: TokenManager | None = None,
        usage_log=None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.clock = clock
        self.language = resolve_language(self.settings)
        self._apply_language()
        self._manager_instance = manager
        self._own_manager = manager is None
        self._usage_log = usage_log
        self._own_log = usage_log is None
        self._lock = threading.RLock()
        self._session = None
        self._watcher: TokenWatcher | None = None
        self._sync_store = None

    @property
    def _manager(self) -> TokenManager:
        """The key manager, loaded at first use (`verify`, `log` and `trust` never load PKCS#11 drivers)."""
        with self._lock:
            if self._manager_instance is None:
                self._manager_instance = TokenManager(extra_modules=self.settings.extra_modules)
            return self._manager_instance

    # -- settings and language
    def _apply_language(self) -> None:
        from app.i18n import set_language  # the translation catalogue of the front ends (no Qt)

        set_language(self.language)

    def set_language(self, language: str) -> None:
        """Switch the language of core messages now (the GUI also swaps its QTranslator)."""
        self.language = language or resolve_language(self.settings)
        self._apply_language()

    def policy_settings(self) -> PolicySettings:
        return PolicySettings(require_approval_for_official=self.settings.require_approval_for_official)

    def stamp_options(self) -> StampOptions:
        from .stamping import StampOptions

        return StampOptions(
            tsa_url=self.settings.tsa_url or None,
            hash_name=self.settings.hash_name,
            policy=self.policy_settings(),
        )

    def trust_roots(self) -> list[bytes]:
        from . import truststore

        return truststore.trusted_roots(self.settings.trust_roots)

    @property
    def usage_log(self):
        if self._usage_log is None:
            from .usage.log import UsageLog

            self._usage_log = UsageLog()
        return self._usage_log

    # -- keys and seals (no PIN)
    def modules(self):
        """Every PKCS#11 module tried (tokens.ModuleInfo: path, name, loaded, error) — `sealdesk tokens`."""
        return self._manager.modules()

    def keys(self) -> list[KeySummary]:
        """Present keys, real keys first (the demo key last)."""
        summaries = [key_summary(t) for t in self._manager.tokens()]
        return sorted(summaries, key=lambda k: (k.is_demo, k.label, k.serial))

    def default_key(self) -> KeySummary | None:
        keys = self.keys()
        return keys[0] if keys else None

    def find_key(self, serial: str) -> KeySummary:
        return key_summary(self._manager.find_token(serial=serial))

    def refresh_key(self, key: KeySummary) -> KeySummary:
        """The key with its PIN state read now (TokenRemoved when gone)."""
        return key_summary(self._manager.refresh_token(key.token))

    def key_contents(self, key: KeySummary) -> KeyContents:
        """Certificates and seals of a key, read without the PIN (they are public objects)."""
        from .appearance import seal_image
        from .ses import parse_seal, verify_seal

        objects = self._manager.public_objects(key.token)
        certs = {cert.key_id: cert.der for cert in objects.certificates}
        infos = {key_id: _certificate_info(key_id, der, self.clock) for key_id, der in certs.items()}
        seals = []
        for stored in objects.seals:
            cert_der = certs.get(stored.key_id)
            cert_info = infos.get(stored.key_id)
            try:
                seal = parse_seal(stored.der)
                image = seal_image(seal.picture)
            except SealDeskError as exc:
                seals.append(
                    SealSummary(
                        ref=stored.label,
                        name=stored.label,
                        kind="other",
                        kind_name="",
                        is_official=False,
                        size_mm=(0.0, 0.0),
                        picture_png=b"",
                        valid_from=None,
                        valid_to=None,
                        days_to_expiry=None,
                        expiring_soon=False,
                        usability=SealUsability.DAMAGED,
                        problem=exc if isinstance(exc, SealFormatError) else SealFormatError(str(exc)),
                        certificate=cert_info,
                        key_id=stored.key_id,
                    )
                )
                continue
            if cert_der is None:
                usability, problem = (
                    SealUsability.NO_CERTIFICATE,
                    SealNotBound("no certificate with the seal's key"),
                )
            else:
                check = verify_seal(seal, clock=self.clock, signing_cert=cert_der)
                usability = _usability(check.problems, check.bound)
                problem = check.problems[0] if check.problems else None
                if usability is SealUsability.NOT_BOUND:
                    problem = (
                        next((p for p in check.problems if isinstance(p, SealNotBound)), None)
                        or SealNotBound()
                    )
                if usability is SealUsability.USABLE and cert_info is not None and cert_info.expired:
                    usability = SealUsability.CERT_EXPIRED
                    problem = CertificateExpired(date=cert_info.not_after.date().isoformat())
            days = (seal.valid_end - self.clock()).days
            seals.append(
                SealSummary(
                    ref=seal.es_id,
                    name=seal.name,
                    kind=seal.kind.category.value,
                    kind_name=seal.kind.name,
                    is_official=seal.kind.is_official,
                    size_mm=(image.width_mm, image.height_mm),
                    picture_png=image.png,
                    valid_from=seal.valid_start,
                    valid_to=seal.valid_end,
                    days_to_expiry=days,
                    expiring_soon=0 <= days < EXPIRY_WARNING_DAYS,
                    usability=usability,
                    problem=problem,
                    certificate=cert_info,
                    key_id=stored.key_id,
                    seal=seal,
                    cert_der=cert_der,
                )
            )
        return KeyContents(key, tuple(infos[k] for k in sorted(infos)), tuple(seals))

    def find_seal(self, key: KeySummary, seal_ref: str) -> SealSummary:
        for seal in self.key_contents(key).seals:
            if seal_ref in (seal.ref, seal.name):
                return seal
        raise SealNotFound(f"no seal {seal_ref!r} on key {key.serial}", seal=seal_ref)

    # -- hot-plug
    def watch(self, on_event: Callable[[KeyEvent], None], interval: float = 1.0) -> None:
        """Report inserted/removed keys to `on_event` (called on the watcher's thread). A removed key's open
        session is closed at once, before the callback runs."""
        self.stop_watching()

        def inserted(token: TokenInfo) -> None:
            on_event(KeyEvent(KeyEventKind.INSERTED, key_summary(token)))

        def removed(token: TokenInfo) -> None:
            closed = self.invalidate_session(token)
            on_event(KeyEvent(KeyEventKind.REMOVED, key_summary(token), session_closed=closed))

        self._watcher = TokenWatcher(self._manager, inserted, removed, interval=interval)
        self._watcher.start()

    def poll_keys(self) -> None:
        """One watcher poll now (tests and a "refresh" action)."""
        if self._watcher is not None:
            self._watcher.poll_once()

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def invalidate_session(self, token: TokenInfo) -> bool:
        """Close the open session if it belongs to `token` (the key was removed). True when one was closed."""
        with self._lock:
            session = self._session
            if session is None or session.token.key != token.key:
                return False
            self._session = None
        try:
            session.close()
        except SealDeskError:
            pass
        return True

    @property
    def session_open(self) -> bool:
        with self._lock:
            return self._session is not None and not self._session.closed

    # -- PIN
    def change_pin(self, key: KeySummary, old_pin: str, new_pin: str) -> None:
        self._manager.change_pin(key.token, old_pin, new_pin)

    # -- planning (before the PIN)
    def plan(
        self,
        document_path: str | Path,
        seal_ref: str,
        placement: PlacementRequest,
        approval_ref: str | None = None,
        purpose: str | None = None,
        *,
        key: KeySummary | None = None,
        output_path: str | Path | None = None,
        contents: KeyContents | None = None,
    ) -> StampPlan:
        """Where the seal will land and what stands in the way, without the PIN. Never raises for problems
        of the document, the placement or the policy: they are the plan's `problems`."""
        import_pdf_stack()
        from .appearance import image_for_spot, seal_image
        from .pdf.inspect import check_can_sign, open_pdf_bytes, read_document
        from .placement import page_geometries_from_reader
        from .stamping import CrossPagePlacement, FieldPlacement, resolve_spots

        source = Path(document_path)
        if not source.is_file():
            raise DocumentNotFound(str(source), name=str(source))
        key = key or self.default_key()
        if key is None:
            from .errors import NoTokenPresent

            raise NoTokenPresent()
        contents = contents or self.key_contents(key)
        seal = next((s for s in contents.seals if seal_ref in (s.ref, s.name)), None)
        if seal is None:
            raise SealNotFound(f"no seal {seal_ref!r} on key {key.serial}", seal=seal_ref)
        output = Path(output_path) if output_path else self.output_path_for(source)
        warnings: list[PlanWarning] = []
        problems: list[SealDeskError] = []
        spots: list[PlannedSpot] = []
        needs_approval = seal.is_official and self.settings.require_approval_for_official
        if seal.problem is not None:
            problems.append(seal.problem)
        elif seal.seal is not None and seal.cert_der is not None:
            try:
                decision = check_before_stamping(
                    seal.seal,
                    seal.cert_der,
                    approval_ref=approval_ref,
                    settings=self.policy_settings(),
                    clock=self.clock,
                )
                warnings.extend(PlanWarning.from_policy(w) for w in decision.warnings)
            except SealDeskError as exc:
                problems.append(exc)
        if needs_approval and (approval_ref or "").strip():
            warnings.append(
                PlanWarning(
                    WarningKind.OFFICIAL_SEAL,
                    QT_TRANSLATE_NOOP("app", "Official seal: approval {ref} is recorded in the usage log."),
                    params=(("ref", approval_ref.strip()),),
                )
            )
        elif needs_approval and not any(isinstance(p, ApprovalRequired) for p in problems):
            problems.append(ApprovalRequired())
        status_unchecked = False
        if seal.seal is not None and not problems:
            city_problem, city_warning = self.seal_status_check(seal.seal.es_id, seal.name)
            if city_problem is not None:
                problems.append(city_problem)
            if city_warning is not None:
                warnings.append(city_warning)
                status_unchecked = True
        from .document import is_ofd

        ofd = None
        in_field = isinstance(placement, FieldPlacement)
        try:
            if is_ofd(source):  # OFD: the same plan from its pages; its seal signatures are SM2 only
                from .ofd import read_ofd
                from .ofd import text as ofd_text
                from .ofd.sign import check_can_sign as ofd_check_can_sign
                from .ofd.sign import require_sm2_certificate

                document = ofd = read_ofd(source)
                if seal.cert_der is not None:
                    require_sm2_certificate(seal.cert_der)
                ofd_check_can_sign(ofd)
                signed_before = bool(ofd.signatures)
                pages = ofd_text.page_geometries(ofd)
            else:
                document = open_pdf_bytes(read_document(source), source.name)
                check_can_sign(document.facts, new_field=not in_field, reader=document.reader)
                signed_before = bool(document.facts.signature_count)
                pages = page_geometries_from_reader(document.reader)
            if ofd is None and document.facts.docmdp_permission == 3 and not in_field:
                warnings.append(
                    PlanWarning(
                        WarningKind.CERTIFIED_NEW_FIELD,
                        QT_TRANSLATE_NOOP(
                            "app",
                            "The document is certified; a new signature field is allowed here, but strict "
                            "verifiers report the certification as broken. Signing an existing empty "
                            "signature field avoids that.",
                        ),
                    )
                )
            if signed_before:
                warnings.append(
                    PlanWarning(
                        WarningKind.ALREADY_SIGNED,
                        QT_TRANSLATE_NOOP(
                            "app", "The document is already signed; the new seal is added after it."
                        ),
                    )
                )
            if seal.seal is not None:
                image = seal_image(seal.seal.picture)
                found = resolve_spots(document, placement, (image.width_mm, image.height_mm))
                for spot in found:
                    left, top, right, bottom = spot.box_mm
                    png = image_for_spot(image, spot.slice_index, spot.slice_count).png
                    spots.append(
                        PlannedSpot(
                            spot.page_index,
                            (left, top, right - left, bottom - top),
                            spot.slice_index,
                            spot.slice_count,
                            png,
                        )
                    )
                    width, height = pages[spot.page_index].visible_size_mm
                    near = min(left, top, width - right, height - bottom) < EDGE_MARGIN_MM
                    if near and not isinstance(placement, CrossPagePlacement):
                        warnings.append(
                            PlanWarning(
                                WarningKind.NEAR_EDGE,
                                QT_TRANSLATE_NOOP(
                                    "app", "On page {page} the seal lies within {margin} mm of the page edge."
                                ),
                                params=(
                                    ("page", str(spot.page_index + 1)),
                                    ("margin", f"{EDGE_MARGIN_MM:g}"),
                                ),
                            )
                        )
        except SealDeskError as exc:
            problems.append(exc)
        finally:
            if ofd is not None:
                ofd.close()
        return StampPlan(
            document=source,
            output=output,
            key=key,
            seal=seal,
            placement=placement,
            approval_ref=(approval_ref or "").strip() or None,
            purpose=(purpose or "").strip() or None,
            spots=tuple(spots),
            warnings=tuple(warnings),
            problems=tuple(problems),
            needs_approval=needs_approval,
            status_unchecked=status_unchecked,
        )

    # -- stamping (PIN)
    def stamp(
        self,
        plan: StampPlan,
        pin: str,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> StampOutcome:
        """Log in once (never retried), stamp, log out. Failures are the outcome's `error`."""
        return self.stamp_batch([plan], pin, progress, cancel)[0]

    def stamp_batch(
        self,
        plans: Sequence[StampPlan],
        pin: str,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        on_outcome: Callable[[StampOutcome], None] | None = None,
    ) -> list[StampOutcome]:
        """One PIN entry for every plan (same key and seal); cancelling stops before the next document.
        `on_outcome` hears each document's outcome as soon as it is known (a batch window's live status)."""
        import_pdf_stack()
        from .stamping import CancelToken, Stamper, StampRequest

        if not plans:
            return []
        stop = cancel or CancelToken()
        first = plans[0]
        if any(p.key.ref != first.key.ref or p.seal.ref != first.seal.ref for p in plans):
            from .errors import InvalidArgument

            raise InvalidArgument(what="one key and one seal per batch")
        outcomes: list[StampOutcome] = _Reported(on_outcome)
        if all(p.problems for p in plans):  # nothing can be stamped: do not even log in
            outcomes.extend(StampOutcome(p, StampStatus.FAILED, None, p.problems[0]) for p in plans)
            return list(outcomes)
        try:
            stop.raise_if_cancelled()
            session = self._open_session(first.key, pin)
        except SealDeskError as exc:
            status = StampStatus.CANCELLED if isinstance(exc, Cancelled) else StampStatus.FAILED
            outcomes.extend(StampOutcome(p, status, None, exc) for p in plans)
            return list(outcomes)
        finally:
            del pin
        try:
            stamper = Stamper(
                session,
                first.seal.ref,
                usage_log=self.usage_log,
                options=self.stamp_options(),
                clock=self.clock,
            )
            for number, plan in enumerate(plans, start=1):
                if stop.cancelled:
                    outcomes.append(StampOutcome(plan, StampStatus.CANCELLED, None, Cancelled()))
                    continue
                if plan.problems:
                    outcomes.append(StampOutcome(plan, StampStatus.FAILED, None, plan.problems[0]))
                    continue

                def on_phase(phase: StampPhase, number: int = number, plan: StampPlan = plan) -> None:
                    if progress is not None:
                        progress(ProgressEvent(number, len(plans), plan.document, phase))

                request = StampRequest(
                    plan.document, plan.placement, plan.output, plan.approval_ref, plan.purpose
                )
                try:
                    result = stamper.stamp(request, on_phase=on_phase, cancel=stop, write_head=number == len(plans))
                    if plan.status_unchecked:
                        self._mark_status_unchecked(result.record_id)
                    outcomes.append(StampOutcome(plan, StampStatus.SIGNED, result, None))
                except Cancelled as exc:
                    outcomes.append(StampOutcome(plan, StampStatus.CANCELLED, None, exc))
                except SealDeskError as exc:
                    if not self._session_alive(session):
                        exc = exc if isinstance(exc, TokenRemoved) else TokenRemoved(str(exc))
                    outcomes.append(StampOutcome(plan, StampStatus.FAILED, None, exc))
                    if isinstance(exc, TokenRemoved):
                        stop.cancel()
            stamper.write_pending_head()  # one chain-head write per batch: the last stamped document's
        except SealDeskError as exc:  # the Stamper could not start (seal gone, key removed …)
            done = len(outcomes)
            outcomes.extend(StampOutcome(p, StampStatus.FAILED, None, exc) for p in plans[done:])
        finally:
            self._close_session(session)
        return list(outcomes)

    def _open_session(self, key: KeySummary, pin: str):
        with self._lock:
            if self._session is not None:
                raise TokenError("another stamping holds the key")
        session = self._manager.open_session(key.token, pin)
        with self._lock:
            self._session = session
        return session

    def _session_alive(self, session) -> bool:
        with self._lock:
            return self._session is session and not session.closed

    def _close_session(self, session) -> None:
        """Log out when the stamping ends (SealDesk never keeps a key unlocked by default)."""
        with self._lock:
            if self._session is session:
                self._session = None
        try:
            session.close()
        except SealDeskError:
            pass

    # -- verification
    def verify(
        self, path: str | Path, extra_roots: Sequence[bytes] = (), *, roots: Sequence[bytes] | None = None
    ) -> VerificationSummary:
        """验章 with the user's trust roots (plus `extra_roots`, DER), or exactly `roots` when given (the CLI
        gathers them with `trust_roots_reporting`, which names damaged store files)."""
        from .verification import verify_document

        import_pdf_stack()
        roots = list(roots) if roots is not None else [*self.trust_roots(), *extra_roots]
        return summarize_verification(verify_document(path, trust_roots=roots))

    # -- shutdown
    def close(self) -> None:
        self.stop_watching()
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            try:
                session.close()
            except SealDeskError:
                pass
        if self._sync_store is not None:
            self._sync_store.close()
            self._sync_store = None
        if self._own_log and self._usage_log is not None:
            self._usage_log.close()
            self._usage_log = None
        if self._own_manager and self._manager_instance is not None:
            self._manager_instance.close()
            self._manager_instance = None

    def __enter__(self) -> Application:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- command-line flows as data (the CLI only parses, reads the PIN and prints) ------------------------
    def detected_keys(self) -> list[KeySummary]:
        """Every present key in the order the drivers report them (`sealdesk tokens`)."""
        return [key_summary(t) for t in self._manager.tokens()]

    def select_key(self, serial: str | None = None) -> KeySummary:
        """The key a command works on: the one with `serial`, else the default key (a real key before the
        demo key) — the same choice as the GUI's. NoTokenPresent when there is none."""
        if serial:
            return self.find_key(serial)
        key = self.default_key()
        if key is None:
            from .errors import NoTokenPresent

            raise NoTokenPresent()
        return key

    @contextmanager
    def session(self, key: KeySummary, pin: str) -> Iterator[object]:
        """A logged-in session on `key` (one login, never retried), logged out when the block ends."""
        session = self._open_session(key, pin)
        del pin
        try:
            yield session
        finally:
            self._close_session(session)

    def seal_listing(
        self, key: KeySummary, pin: str, *, import_file: SealFile | None = None, clock: Clock | None = None
    ) -> SealListing:
        """`sealdesk seals`: log in, optionally store `import_file` on the key, and read every seal with its
        check (as of `clock`). Unreadable seal objects are listed apart, never raised."""
        from .seals import import_seal_file, key_seals
        from .views import SealListing, seal_row

        clock = clock or self.clock
        imported = None
        rows: list[SealRow] = []
        unreadable: list[tuple[str, SealDeskError]] = []
        with self.session(key, pin) as session:
            del pin
            if import_file is not None:
                try:
                    imported = import_seal_file(session, import_file.data, clock=clock).seal.name
                except SealDeskError as exc:
                    raise FileRejected(import_file.path, exc) from exc
            for item in key_seals(session, clock=clock):
                if item.error is not None:
                    unreadable.append((item.label, item.error))
                else:
                    rows.append(seal_row(item.seal, item.check, item.certificate, clock))
        return SealListing(tuple(rows), tuple(unreadable), imported)

    def trust_roots_reporting(
        self,
        extra_files: Sequence[str | Path] = (),
        on_skip: Callable[[Path, SealDeskError], None] | None = None,
        *,
        name_files: bool = False,
    ) -> list[bytes]:
        """The user's trust roots (damaged store files passed to `on_skip`) plus the roots in `extra_files`
        (e.g. `verify --trust`); with `name_files` any problem with one is FileRejected with its name."""
        from . import truststore
        from .views import read_user_file

        roots = truststore.trusted_roots(self.settings.trust_roots, on_skip=on_skip)
        for path in extra_files:
            try:
                roots.extend(truststore.load_certificates(read_user_file(path)))
            except SealDeskError as exc:
                if not name_files:
                    raise
                raise FileRejected(str(path), exc) from exc
        return roots

    def check_log_holders(self, roots: Sequence[bytes]):
        """Each holder certificate of the usage log against `roots` (a forged chain is still a chain)."""
        return self.usage_log.verify_holders(roots)

    def demo_key_needed(self) -> bool:
        """The first-run rule (`sealdesk start`, the GUI's start): no real key, and no demo key or one from
        before demo roots were kept in memory only → the demo key is (re)created (`demo.create_demo_key`).
        Close the Application before creating it: a loaded SoftHSM module would not see the new token."""
        from . import demo

        if any(not k.is_demo for k in self.detected_keys()):
            return False
        return not demo.demo_key_exists() or demo.legacy_root_key_exists()

    def prepare_batch(
        self,
        inputs: Sequence[Path],
        placement: PlacementRequest,
        *,
        seal_query: str,
        output: Path | None = None,
        output_dir: Path | None = None,
        approval_ref: str | None = None,
        purpose: str | None = None,
        tsa_url: str | None = None,
        again: bool = False,
    ) -> FileBatch:
        """Everything checked before the PIN for stamping `inputs` with the key's seal `seal_query` (an id or
        a name): the options, each document (preflight), and outputs already stamped with that seal id
        (skipped unless `again`). A single document's problem is raised; in a batch it is that file's."""
        from .errors import AlreadyStamped
        from .stamping import StampOptions, StampRequest, check_options, find_existing_stamping, preflight
        from .views import FileBatch

        for path in inputs:  # a typo should not cost a PIN entry
            if not path.is_file():
                raise DocumentNotFound(str(path), name=str(path))
        requests = [
            StampRequest(p, placement, output, approval_ref=approval_ref, purpose=purpose, output_dir=output_dir)
            for p in inputs
        ]
        options = self.stamp_options()
        if tsa_url:
            options = StampOptions(tsa_url=tsa_url, hash_name=options.hash_name, policy=options.policy)
        check_options(options)
        refused: dict[int, SealDeskError] = {}
        for number, request in enumerate(requests, start=1):
            try:
                preflight(request)
                # a seal given by its id: an output already stamped with it is skipped before the PIN
                # (with a seal name the Stamper decides after the PIN, knowing the seal's id)
                done = None if again else find_existing_stamping(request, seal_query)
                if done is not None:
                    raise AlreadyStamped(str(done), output=done.name)
            except SealDeskError as exc:
                if len(requests) == 1 and not isinstance(exc, AlreadyStamped):
                    raise
                refused[number] = exc
        return FileBatch(tuple(requests), refused, options, seal_query, again)

    def check_key_for_batch(self, batch: FileBatch, key: KeySummary) -> None:
        """Before the PIN: an OFD in the batch needs the seal on an SM2 key (OfdNeedsSm2Key), which the
        seal's certificate tells without logging in. A seal not found here is the Stamper's to report."""
        from .document import is_ofd
        from .ofd.sign import require_sm2_certificate

        wanted = [r for n, r in enumerate(batch.requests, start=1) if n not in batch.refused]
        if not any(is_ofd(Path(r.input_path)) for r in wanted):
            return
        wanted = batch.seal_query.strip().casefold()
        seals = self.key_contents(key).seals
        exact = [s for s in seals if wanted in (s.ref.casefold(), s.name.casefold())]
        match = exact or [s for s in seals if wanted and (s.ref.casefold().startswith(wanted)
                                                          or s.name.casefold().startswith(wanted))]
        if len(match) == 1:  # the Stamper's own choice (seals.find_key_seal) reports none or several
            require_sm2_certificate(match[0].cert_der)

    def run_batch(
        self,
        batch: FileBatch,
        key: KeySummary | None,
        pin: str,
        progress: Callable[[BatchLine], None] | None = None,
    ) -> list[BatchLine]:
        """One login for every request of `batch` not refused before the PIN (none, and `key` may be None,
        when all were refused); the result has one line per request, in order (refused ones included). `progress` hears each stamped/skipped/failed document."""
        from .stamping import BatchItem, Stamper
        from .views import batch_line

        numbers = [n for n in range(1, len(batch.requests) + 1) if n not in batch.refused]
        lines = {line.number: line for line in batch.refused_lines()}
        if numbers:
            if key is None:
                raise ValueError("run_batch needs the key when a document is to be stamped")
            with self.session(key, pin) as session:
                del pin
                stamper = Stamper(
                    session, batch.seal_query, usage_log=self.usage_log, options=batch.options, clock=self.clock
                )
                # the city's word on the seal (its id is certain only now; nothing is signed yet)
                city_problem, city_warning = self.seal_status_check(stamper.seal.es_id, stamper.seal.name)
                if city_problem is not None:
                    from .stamping import BatchItem as _Item

                    for n in numbers:
                        lines[n] = batch_line(n, _Item(batch.requests[n - 1], None, city_problem))
                        if progress is not None:
                            progress(lines[n])
                    return [lines[n] for n in sorted(lines)]

                def on_item(number, _count, request, result, error):
                    line = batch_line(numbers[number - 1], BatchItem(request, result, error))
                    if progress is not None:
                        progress(line)

                items = stamper.stamp_batch(
                    [batch.requests[n - 1] for n in numbers], progress=on_item, again=batch.again
                )
            lines.update({n: batch_line(n, item) for n, item in zip(numbers, items, strict=True)})
            if city_warning is not None:
                for n in numbers:
                    if lines[n].result is not None:
                        self._mark_status_unchecked(lines[n].result.record_id)
        return [lines[n] for n in sorted(lines)]

    # -- guiparts: output naming, usage log view, settings (small additions for the GUI's windows) -------
    def output_path_for(self, source: str | Path, *, folder: str | Path | None = None, taken=()) -> Path:
        """Where the signed copy of `source` goes: the settings' output folder (else beside the input),
        named `<stem><output_suffix>.pdf`, numbered `-2`, `-3` … when that name exists or is in `taken`
        (names already planned in the same batch)."""
        return output_path_for(source, self.settings, folder=folder, taken=taken)

    def usage_entries(
        self,
        *,
        seal_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[UsageEntry]:
        """The usage log's records, newest first, filtered by seal and by time (inclusive bounds, aware
        datetimes), each with its sync state (the city-sync work fills it; "local" until then)."""
        voided = {}
        records = self.usage_log.records()
        states = self.sync_store.states() if self.city_configured() else None
        if states is not None:
            from .usage.sync import RecordSync, RecordSyncState

            pending = RecordSync(RecordSyncState.PENDING)
        for record in records:
            if record.refers_to:
                voided[record.refers_to] = record.record_id
        entries = []
        for record in reversed(records):
            stamped = _parse_time(record.stamped_at)
            if seal_id and record.seal_id != seal_id:
                continue
            if since is not None and (stamped is None or stamped < since):
                continue
            if until is not None and (stamped is None or stamped > until):
                continue
            row = states.get(record.record_id, pending) if states is not None else None
            entries.append(
                UsageEntry(
                    record,
                    stamped,
                    sync_state_of(record, row),
                    voided_by=voided.get(record.record_id),
                    sync_reason=row.reason if row is not None else None,
                    status_unchecked=bool(row and row.status_unchecked),
                )
            )
        return entries

    def check_usage_log(self, key: KeySummary | None = None, pin: str | None = None):
        """`sealdesk log verify` as data: app.core.usage.log.LogVerification (problems never raised).

        With `key` and its `pin`, the log is also compared with the chain heads on that key (private
        objects: one login, never retried), which is what shows deleted newest records or an emptied log;
        without, `heads_checked` is 0."""
        if key is None or pin is None:
            return self.usage_log.verify()
        from .usage.chain_head import read_heads

        with self.session(key, pin) as session:
            del pin
            heads = read_heads(session)
        return self.usage_log.verify(key_heads=[heads])

    def save_settings(self, settings: Settings) -> None:
        """Persist new settings and use them from now on (language at once; PKCS#11 modules from the
        next start, since the key manager has loaded its drivers)."""
        from .settings import save_settings

        save_settings(settings)
        self.settings = settings
        self.set_language(settings.language)

    # -- city e-seal system (用印登记): status, sync, registration (app/core/usage/sync.py) ---------------
    @property
    def sync_store(self):
        """The sync tables in the usage log's file (opened at first use)."""
        with self._lock:
            if self._sync_store is None:
                from .usage.sync import SyncStore

                self._sync_store = SyncStore(self.usage_log.path)
            return self._sync_store

    def city_configured(self) -> bool:
        return bool(self.settings.city_url.strip())

    def city_client(self, *, cancelled: Callable[[], bool] = lambda: False, **options):
        """A CityClient for the configured city system; CityNotConfigured / CityUrlRefused / CityTokenMissing."""
        from .errors import CityNotConfigured
        from .usage.sync import CityClient, normalized_base_url, require_token

        if not self.city_configured():
            raise CityNotConfigured()
        base = normalized_base_url(self.settings.city_url)
        return CityClient(
            base, require_token(base), ca_bundle=self.settings.city_ca_bundle, cancelled=cancelled, **options
        )

    def seal_status_check(self, seal_id: str, seal_name: str = "") -> tuple[SealDeskError | None, PlanWarning | None]:
        """The city system's status of a seal before stamping: (problem, warning). No city URL → (None, None)
        without any network. Revoked/suspended → a SealBlockedByCity problem. Not answerable (offline, 2 s
        timeout, token refused, seal unknown there) → the unreachable policy: "allow" gives a warning (the
        record is then marked "status unchecked"), "refuse" a SealStatusUnchecked problem."""
        from .errors import SealBlockedByCity, SealStatusUnchecked
        from .usage.sync import normalized_base_url

        if not self.city_configured():
            return None, None
        label = seal_name or seal_id
        try:
            base = normalized_base_url(self.settings.city_url)
            store = self.sync_store
            status = store.cached_status(base, seal_id, self.settings.city_status_ttl_s)
            if status is None:
                client = self.city_client()
                try:
                    status = client.seal_status(seal_id)
                finally:
                    client.close()
                store.cache_status(base, status)
        except SealDeskError as exc:
            if self.settings.city_unreachable_policy == "refuse":
                return SealStatusUnchecked(label, exc), None
            return None, PlanWarning(
                WarningKind.SEAL_STATUS_UNCHECKED,
                QT_TRANSLATE_NOOP(
                    "app",
                    "The seal's status could not be checked with the city system ({problem}); the usage "
                    "record is marked “status unchecked”.",
                ),
                params=(("problem", exc.user_message(_current_translate())),),
            )
        if status.status in ("revoked", "suspended"):
            reason = f" ({status.reason})" if status.reason else ""
            return SealBlockedByCity(f"{seal_id}: {status.status}", seal=label, status=CITY_STATUS_TEXT[status.status],
                                     reason=reason), None  # fmt: skip
        return None, None

    def _mark_status_unchecked(self, record_id: str) -> None:
        try:
            self.sync_store.mark_status_unchecked(record_id)
        except Exception:  # noqa: BLE001 - the stamping is done; a lost mark must not turn it into a failure
            pass

    def sync_state_of(self, record) -> SyncState:
        """A usage record's sync state (LOCAL when no city system is configured)."""
        return sync_state_of(record, self.sync_store.state_of(record.record_id) if self.city_configured() else None)

    def city_status(self) -> CityStatus:
        """The status bar's indicator as data: configured?, pending and rejected counts, last sync, last error."""
        from .usage.sync import error_from_json

        if not self.city_configured():
            return CityStatus(CityState.NOT_CONFIGURED, False)
        store = self.sync_store
        pending, rejected = store.pending_count(), store.rejected_count()
        last_error = error_from_json(store.meta("last_error"))
        last_sync = _parse_time(store.meta("last_sync") or "")
        from .errors import CityUnreachable

        if last_error is not None:
            state = CityState.OFFLINE if isinstance(last_error, CityUnreachable) else CityState.ERROR
        elif pending:
            state = CityState.PENDING
        else:
            state = CityState.SYNCED
        return CityStatus(state, True, pending, rejected, last_sync, last_error, self.settings.city_url.strip())

    def sync_now(self, cancel: CancelToken | None = None, progress: Callable | None = None):
        """Upload the pending usage records (blocks: call it from a worker thread). Returns
        app.core.usage.sync.SyncResult; network and server failures are its `error`, never raised. Raises
        CityNotConfigured / CityTokenMissing / SyncBusy (another sync is running)."""
        from .errors import SealDeskError as _Error
        from .usage.sync import sync_records

        cancelled = (lambda: cancel.cancelled) if cancel is not None else (lambda: False)
        try:
            client = self.city_client(cancelled=cancelled)
        except _Error as exc:
            if self.city_configured():
                from .usage.sync import _error_json

                self.sync_store.set_meta(last_error=_error_json(exc))
            raise
        try:
            return sync_records(self.usage_log, self.sync_store, client, cancelled=cancelled, progress=progress)
        finally:
            client.close()

    def register_holder(
        self, pin: str, key: KeySummary, name: str, organisation: str, holder_id: str | None = None
    ) -> Registration:
        """Register the key with the city system: for each certificate on the key that binds seals, a
        challenge, the key's proof over it, and the registration (the first holder id is reused for the
        key's other certificates). The holder id is kept in the settings per usage-log chain."""
        from dataclasses import replace as _replace

        from .certs import summarize as _summarize
        from .errors import InvalidArgument
        from .seals import key_seals
        from .usage.sync import sign_registration

        if not name.strip() or not organisation.strip():
            raise InvalidArgument(what=QT_TRANSLATE_NOOP("errors", "the holder's name and organisation are needed"))
        client = self.city_client()
        chains: list[tuple[str, tuple[str, ...]]] = []
        try:
            with self.session(key, pin) as session:
                del pin
                groups: dict[bytes, list] = {}
                for entry in key_seals(session, clock=self.clock, verify=False):
                    if entry.seal is not None and entry.certificate:
                        groups.setdefault(entry.key_id, []).append(entry)
                if not groups:
                    raise SealNotFound(f"no seal with a certificate on key {key.serial}", seal="")
                for key_id, entries in groups.items():
                    signer = session.digest_signer(key_id)
                    certificate = bytes(signer.certificate)
                    chain_id = f"{session.token.serial}:{_summarize(certificate).serial_hex}"
                    nonce = client.challenge()
                    payload = {
                        "nonce": nonce,
                        "certificate": base64.b64encode(certificate).decode("ascii"),
                        "token_serial": session.token.serial,
                        "seal_ids": [e.seal.es_id for e in entries],
                        "chain_id": chain_id,
                        "name": name.strip(),
                        "organisation": organisation.strip(),
                        "proof": sign_registration(signer, nonce),
                    }
                    if holder_id:
                        payload["holder_id"] = holder_id
                    answer = client.register(payload)
                    holder_id = answer["holder_id"]
                    chains.append((chain_id, tuple(payload["seal_ids"])))
        finally:
            client.close()
        holders = {**self.settings.city_holders, **{chain: holder_id for chain, _ in chains}}
        self.save_settings(_replace(self.settings, city_holders=holders))
        return Registration(holder_id or "", tuple(chains))


class SyncState(StrEnum):
    """Whether a usage record reached the city system (用印登记)."""

    LOCAL = "local"
    """No city system is configured."""
    PENDING = "pending"
    """Waiting to be sent (or sent and refused for a reason that passes: a gap, an unregistered key)."""
    SYNCED = "synced"
    """The city system holds it (accepted, or reported as a duplicate)."""
    REJECTED = "rejected"
    """The city system refused it for good (bad signature, fork, conflict, malformed); see the reason."""


SYNC_STATE_TEXT = {
    SyncState.LOCAL: QT_TRANSLATE_NOOP("app", "local only"),
    SyncState.PENDING: QT_TRANSLATE_NOOP("app", "waiting to be sent"),
    SyncState.SYNCED: QT_TRANSLATE_NOOP("app", "sent to the city system"),
    SyncState.REJECTED: QT_TRANSLATE_NOOP("app", "refused by the city system"),
}


def sync_state_of(record, row=None) -> SyncState:
    """The sync state of a record from its sync-table row (app.core.usage.sync.RecordSync); no row given
    (no city system configured) → LOCAL."""
    del record
    if row is None:
        return SyncState.LOCAL
    return SyncState(row.state.value)


class CityState(StrEnum):
    """The status bar's city indicator."""

    NOT_CONFIGURED = "not_configured"
    SYNCED = "synced"
    PENDING = "pending"
    OFFLINE = "offline"
    ERROR = "error"


CITY_STATE_TEXT = {
    CityState.NOT_CONFIGURED: QT_TRANSLATE_NOOP("app", "no city system"),
    CityState.SYNCED: QT_TRANSLATE_NOOP("app", "all records sent"),
    CityState.PENDING: QT_TRANSLATE_NOOP("app", "{pending} records waiting"),
    CityState.OFFLINE: QT_TRANSLATE_NOOP("app", "city system offline, {pending} records waiting"),
    CityState.ERROR: QT_TRANSLATE_NOOP("app", "city sync failed, {pending} records waiting"),
}

CITY_STATUS_TEXT = {
    "revoked": QT_TRANSLATE_NOOP("errors", "revoked"),
    "suspended": QT_TRANSLATE_NOOP("errors", "suspended"),
}
"""The city system's seal states that refuse stamping (the errors context: they are error parameters)."""


@dataclass(frozen=True)
class CityStatus:
    """The city sync as the status bar shows it."""

    state: CityState
    configured: bool
    pending: int = 0
    rejected: int = 0
    """Records refused for good (shown in the usage-log view with the reason)."""
    last_sync: datetime | None = None
    """The end of the last sync that finished without error."""
    last_error: SealDeskError | None = None
    """Why the last sync failed (translated at display time), None after a good sync."""
    url: str = ""

    def text(self, translate: Callable[[str, str], str] = lambda c, t: t) -> str:
        return translate("app", CITY_STATE_TEXT[self.state]).format(pending=self.pending)


@dataclass(frozen=True)
class Registration:
    """What `register_holder` registered: the holder id and, per usage-log chain, the seal ids."""

    holder_id: str
    chains: tuple[tuple[str, tuple[str, ...]], ...]


def _current_translate() -> Callable[[str, str], str]:
    from app.i18n import translate

    return translate


@dataclass(frozen=True)
class UsageEntry:
    """A usage record as the log view shows it."""

    record: object
    """app.core.usage.records.UsageRecord"""
    stamped_at: datetime | None
    sync_state: SyncState
    voided_by: str | None = None
    """record_id of the void record that cancels this one (the output was never written)."""
    sync_reason: str | None = None
    """The city system's rejection code (gap, unregistered, fork, bad_signature …) when it refused it."""
    status_unchecked: bool = False
    """Stamped while the city system could not be asked for the seal's status (policy "allow")."""

    def sync_text(self, translate: Callable[[str, str], str] = lambda c, t: t) -> str:
        """The sync column's words: the state, the city's reason for a refusal, and "status unchecked"."""
        text = translate("app", SYNC_STATE_TEXT[self.sync_state])
        if self.sync_reason:
            reason = SYNC_REASON_TEXT.get(self.sync_reason)
            text += translate("app", " ({reason})").format(
                reason=translate("app", reason) if reason else self.sync_reason
            )
        if self.status_unchecked:
            text += translate("app", "; seal status unchecked")
        return text


SYNC_REASON_TEXT = {
    "unregistered": QT_TRANSLATE_NOOP("app", "the key is not registered yet"),
    "gap": QT_TRANSLATE_NOOP("app", "earlier records are missing there"),
    "malformed": QT_TRANSLATE_NOOP("app", "the record is damaged"),
    "bad_signature": QT_TRANSLATE_NOOP("app", "its signature is not valid"),
    "conflict": QT_TRANSLATE_NOOP("app", "a different record with the same id is there"),
    "fork": QT_TRANSLATE_NOOP("app", "another record already has this number"),
}
"""The city system's rejection codes (protocol contract) in words."""


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment


def output_path_for(source: str | Path, settings: Settings, *, folder: str | Path | None = None, taken=()) -> Path:
    """See Application.output_path_for."""
    from .stamping import default_output_path

    source = Path(source)
    suffix = settings.output_suffix
    if not folder and not settings.output_folder and suffix == ".signed" and not taken:
        return default_output_path(source)  # the CLI's rule, unchanged
    if folder:
        target_folder = Path(folder)
    else:
        target_folder = Path(settings.output_folder).expanduser() if settings.output_folder else source.parent
    extension = source.suffix or ".pdf"
    taken_set = {Path(t) for t in taken}
    candidate = target_folder / f"{source.stem}{suffix}{extension}"
    number = 2
    while candidate.exists() or candidate in taken_set or candidate == source:
        candidate = target_folder / f"{source.stem}{suffix}-{number}{extension}"
        number += 1
    return candidate


class _Reported(list):
    """A list that tells `callback` about each appended outcome (stamp_batch's live status)."""

    def __init__(self, callback: Callable[[StampOutcome], None] | None) -> None:
        super().__init__()
        self._callback = callback

    def append(self, item: StampOutcome) -> None:
        super().append(item)
        if self._callback is not None:
            self._callback(item)

    def extend(self, items) -> None:
        for item in items:
            self.append(item)


_PDF_STACK_LOCK = threading.Lock()
_pdf_stack_ready = False


def import_pdf_stack() -> None:
    """Import pyHanko's signing and validation modules once, in one thread at a time.

    pyHanko's packages import each other in a cycle (pdf_utils.crypt ↔ sign.validation ↔ sign.signers); when
    two threads import them for the first time at once (the GUI verifying an opened file while stamping or
    planning another), Python's per-module import locks hand one thread a half-initialised module and the
    import fails. The first caller imports everything (≈0.5 s, once per process); others wait for it."""
    global _pdf_stack_ready
    if _pdf_stack_ready:
        return
    with _PDF_STACK_LOCK:
        if not _pdf_stack_ready:
            import pyhanko.pdf_utils.reader  # noqa: F401
            import pyhanko.sign.diff_analysis  # noqa: F401
            import pyhanko.sign.signers  # noqa: F401
            import pyhanko.sign.validation  # noqa: F401
            import pyhanko_certvalidator  # noqa: F401

            from .pdf import inspect, sign, verify  # noqa: F401

            _pdf_stack_ready = True
