"""The one path every stamping takes, for one document or a batch:

document → placement → checks → appearance → signature → output → usage record

GUI and CLI both call `Stamper`; neither re-implements any step. A signed output never exists without its
usage record: the record is written (and signed by the key) before the output is renamed into place; if the
rename fails, a "void" record says so. Outputs are written to a temporary file in the target folder, fsynced,
then moved into place without ever replacing the input or an existing file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from . import placement as geo
from .atomic_output import AtomicOutput, ensure_new_target, output_error
from .clock import Clock, utc_now
from .errors import (
    AlreadyStamped,
    Cancelled,
    DocumentDamaged,
    InvalidArgument,
    KeywordNotFound,
    OfdNeedsSm2Key,
    OutputIsInput,
    SealDeskError,
    SealNotFound,
    SpotOffPage,
)
from .i18n_marks import QT_TRANSLATE_NOOP
from .policy import PolicyDecision, PolicySettings, PolicyWarning, RevocationLookup, check_before_stamping

SIGNED_SUFFIX = ".signed"
_log = logging.getLogger(__name__)


# --- what the user asks for -----------------------------------------------------------------------
@dataclass(frozen=True)
class SpotPlacement:
    """The seal centred at `center_mm` (from the visible page's top-left) on each page of `pages`."""

    center_mm: tuple[float, float]
    pages: str = "1"
    """Page list like "1-3,5,-1" (1-based, negatives from the end)."""


@dataclass(frozen=True)
class KeywordPlacement:
    """The seal centred on the first (or every) match of `keyword`, moved by `offset_mm`."""

    keyword: str
    every: bool = False
    offset_mm: tuple[float, float] = (0.0, 0.0)
    pages: str | None = None
    """Limit the search to these pages; None searches the whole document."""


@dataclass(frozen=True)
class CrossPagePlacement:
    """骑缝章: the seal cut into one vertical slice per page, on the right (or left) edge."""

    pages: str = "all"
    edge: str = "right"
    y_mm: float | None = None
    """Vertical centre from the top in mm; None centres it."""


@dataclass(frozen=True)
class FieldPlacement:
    """The seal at its true size centred in the existing empty signature field `name`, which the
    signature fills (how a document certified "form filling and signing", DocMDP P=2, is signed)."""

    name: str


@dataclass(frozen=True)
class EmptyField:
    """An empty signature field a FieldPlacement may name (for choosers in the GUI)."""

    name: str
    page: int
    """1-based page of the field's box."""
    box_mm: geo.Box
    """left, top, right, bottom in visible-page mm from the page's top-left."""


def empty_signature_fields(document) -> list[EmptyField]:
    """The empty, visible signature fields of a document (a path or a pdf.inspect.OpenedPdf)."""
    from .pdf.fields import empty_signature_fields as fields_of
    from .pdf.inspect import OpenedPdf, open_pdf

    opened = document if isinstance(document, OpenedPdf) else open_pdf(document)
    pages = geo.page_geometries_from_reader(opened.reader)
    return [
        EmptyField(f.name, f.page_index + 1, geo.user_box_to_visible_mm(pages[f.page_index], f.rect))
        for f in fields_of(opened.reader)
        if f.visible and f.widget_count == 1 and f.page_index < len(pages)
    ]


PlacementRequest = SpotPlacement | KeywordPlacement | CrossPagePlacement | FieldPlacement


class StampPhase(StrEnum):
    """Where one document's stamping is, reported to a progress callback (GUI progress bar, CLI)."""

    OPEN = "open"
    CHECKS = "checks"
    SIGN = "sign"
    TIMESTAMP = "timestamp"
    WRITE = "write"
    RECORD = "record"


PhaseCallback = Callable[[StampPhase], None]


class CancelToken:
    """Set from any thread; stamping checks it at safe points (never between the record and the output)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@dataclass(frozen=True)
class StampRequest:
    input_path: Path
    placement: PlacementRequest
    output_path: Path | None = None
    """None: `<name>.signed.pdf` beside the input or in `output_dir` (numbered if that exists)."""
    approval_ref: str | None = None
    purpose: str | None = None
    output_dir: Path | None = None
    """Folder for the default output name (None: beside the input); ignored when `output_path` is set."""


@dataclass(frozen=True)
class StampOptions:
    tsa_url: str | None = None
    """RFC 3161 TSA; set → PAdES B-T."""
    hash_name: str = "sha256"
    policy: PolicySettings = field(default_factory=PolicySettings)
    revocation: RevocationLookup | None = None
    reason: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class StampResult:
    input_path: Path
    output_path: Path
    record_id: str
    seq: int
    spots: tuple[geo.StampSpot, ...]
    warnings: tuple[PolicyWarning, ...]
    """Warnings as objects: show `w.text(translate)` at display time (so they reach the user's language)."""


@dataclass(frozen=True)
class BatchItem:
    request: StampRequest
    result: StampResult | None
    error: SealDeskError | None
    """Why the document was not stamped: a failure, or `AlreadyStamped` (skipped, not a failure)."""

    @property
    def skipped(self) -> bool:
        """An earlier run already stamped this document with the same seal (see `stamp_batch`)."""
        return isinstance(self.error, AlreadyStamped)

    @property
    def failed(self) -> bool:
        return self.error is not None and not self.skipped


Progress = Callable[[int, int, StampRequest, StampResult | None, SealDeskError | None], None]


# --- helpers --------------------------------------------------------------------------------------
def default_output_path(input_path: Path, folder: Path | None = None) -> Path:
    """`name.signed.pdf` beside the input (or in `folder`); `name.signed-2.pdf`… when taken."""
    if folder is not None:
        input_path = Path(folder) / input_path.name
    candidate = input_path.with_name(f"{input_path.stem}{SIGNED_SUFFIX}{input_path.suffix or '.pdf'}")
    number = 2
    while candidate.exists():
        candidate = input_path.with_name(f"{input_path.stem}{SIGNED_SUFFIX}-{number}{input_path.suffix or '.pdf'}")
        number += 1
    return candidate


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _digests(stream: BinaryIO) -> tuple[str, str]:
    """SHA-256 and SM3 of everything written to `stream` (for the usage record)."""
    from cryptography.hazmat.primitives import hashes

    sha = hashlib.sha256()
    sm3 = hashes.Hash(hashes.SM3())
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        sha.update(chunk)
        sm3.update(chunk)
    return sha.hexdigest(), sm3.finalize().hex()


_CHUNK = 1 << 20


class _InputDigests:
    """SHA-256 and SM3 of the input file, hashed on two background threads while the document is signed.

    A signature is an incremental update: the output starts with the input's bytes unchanged, so the
    output's digests are these, continued over the appended revision. Hashing is most of the cost of
    stamping a large file and both hashes release the GIL, so each runs on its own thread beside
    pyHanko's signing. Each thread reads the file in 1 MiB chunks through its own handle: the input is
    never held in memory as a whole (peak memory, docs/performance.md). The threads end by themselves;
    nothing waits for them when stamping fails earlier.
    """

    def __init__(self, path: Path) -> None:
        from cryptography.hazmat.primitives import hashes

        self.path = path
        self._stat = _file_identity(path)
        self._hashes = [hashlib.sha256(), hashes.Hash(hashes.SM3())]
        self._failed = False
        self._threads = [
            threading.Thread(target=self._run, args=(h,), name="stamp-input-digest", daemon=True)
            for h in self._hashes
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, digest) -> None:
        try:
            with self.path.open("rb") as file:
                for chunk in iter(lambda: file.read(_CHUNK), b""):
                    digest.update(chunk)
        except Exception:  # noqa: BLE001 - no shortcut: the caller hashes the whole output instead
            self._failed = True

    def result(self) -> tuple[int, object, object] | None:
        """(input size, SHA-256 object, SM3 object) after the input, or None if hashing failed or the
        input changed since it was opened."""
        for thread in self._threads:
            thread.join()
        if self._failed or self._stat is None or _file_identity(self.path) != self._stat:
            return None
        return (self._stat[0], *self._hashes)


def _file_identity(path: Path) -> tuple[int, int, int, int] | None:
    """Size, mtime, inode and device: what changes when a file is rewritten."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _output_digests(output: BinaryIO, prefix: _InputDigests) -> tuple[str, str] | None:
    """SHA-256 and SM3 hex of the signed file in `output`, continuing the input's digests.

    Checks that the output really starts with the input's bytes (read back in chunks and compared,
    which is much cheaper than hashing them) and hashes only the appended revision. None when the
    shortcut does not apply; the caller then hashes the whole output (`_digests`).
    """
    done = prefix.result()
    if done is None:
        return None
    size, sha_prefix, sm3_prefix = done
    sha = sha_prefix.copy()
    sm3 = sm3_prefix.copy()
    output.seek(0)
    try:
        with prefix.path.open("rb") as source:
            remaining = size
            while remaining:
                want = min(_CHUNK, remaining)
                if output.read(want) != source.read(want):
                    return None  # not the input's bytes: not an incremental update of this input
                remaining -= want
    except OSError:
        return None
    for chunk in iter(lambda: output.read(_CHUNK), b""):
        sha.update(chunk)
        sm3.update(chunk)
    return sha.hexdigest(), sm3.finalize().hex()


def resolve_spots(document, placement: PlacementRequest, size_mm: tuple[float, float]) -> list[geo.StampSpot]:
    """Turn a placement request into concrete spots for an opened document (pdf.inspect.OpenedPdf).

    All geometry is placement.py's; page boxes come from the pyHanko reader the document was opened
    with, and PyMuPDF is used only to search text for keyword placement. An OFD (ofd.OfdDocument) gives
    its pages and text through app/core/ofd/text.py; it has no signature fields.
    """
    if _is_ofd_document(document):
        from .ofd import text as ofd_text

        if isinstance(placement, FieldPlacement):
            raise InvalidArgument(placement.name, what=OFD_NO_FIELDS)
        pages = ofd_text.page_geometries(document)
        if isinstance(placement, KeywordPlacement):
            if placement.pages:
                pages = [pages[i] for i in geo.parse_page_list(placement.pages, len(pages))]
            return geo.keyword_spots(
                document, pages, placement.keyword, size_mm, every=placement.every, offset_mm=placement.offset_mm,
                find=ofd_text.find_keyword,
            )
    else:
        pages = geo.page_geometries_from_reader(document.reader)
    if isinstance(placement, SpotPlacement):
        indexes = geo.parse_page_list(placement.pages, len(pages))
        return geo.spots_on_pages(pages, indexes, placement.center_mm, size_mm)
    if isinstance(placement, KeywordPlacement):
        if placement.pages:
            pages = [pages[i] for i in geo.parse_page_list(placement.pages, len(pages))]
        source = document.path if document.path is not None else document.data
        return geo.keyword_spots(
            source, pages, placement.keyword, size_mm, every=placement.every, offset_mm=placement.offset_mm
        )
    if isinstance(placement, CrossPagePlacement):
        indexes = geo.parse_page_list(placement.pages, len(pages))
        return geo.cross_page_spots(pages, indexes, size_mm, edge=placement.edge, y_mm=placement.y_mm)
    if isinstance(placement, FieldPlacement):
        from .pdf.fields import find_empty_field

        field = find_empty_field(document.reader, placement.name)
        return [geo.spot_in_box(pages[field.page_index], field.rect, size_mm)]
    raise InvalidArgument(what="placement")


OFD_NO_FIELDS = QT_TRANSLATE_NOOP("errors", "an OFD document has no signature fields; place the seal instead")


def _is_ofd_document(document) -> bool:
    from .ofd.reader import OfdDocument

    return isinstance(document, OfdDocument)


def _open_ofd(source: Path):
    """The OFD at `source` (by its content), checked that it may take another signature; None for a PDF."""
    from .document import is_ofd

    if is_ofd(source):
        from .ofd import read_ofd
        from .ofd.sign import check_can_sign as ofd_check_can_sign

        ofd = read_ofd(source)
        try:
            ofd_check_can_sign(ofd)
        except BaseException:
            ofd.close()
            raise
        return ofd
    return None


def _record_placement(spot: geo.StampSpot):
    from .usage.records import Placement

    return Placement(
        page=spot.page_index + 1,
        x_mm=spot.center_mm[0] - spot.size_mm[0] / 2,
        y_mm=spot.center_mm[1] - spot.size_mm[1] / 2,
        width_mm=spot.size_mm[0],
        height_mm=spot.size_mm[1],
    )


# --- checks before the PIN ---------------------------------------------------------------------------
def check_options(options: StampOptions) -> None:
    """The settings of a stamping that can be wrong before any document or key is touched."""
    from .pdf.sign import SUPPORTED_HASHES

    if options.hash_name not in SUPPORTED_HASHES:
        raise InvalidArgument(
            f"hash_name={options.hash_name!r}; allowed: {', '.join(SUPPORTED_HASHES)}",
            what=QT_TRANSLATE_NOOP("errors", "settings.json: hash_name (sha256, sha384 or sha512)"),
        )
    if options.tsa_url is not None and not options.tsa_url.lower().startswith(("http://", "https://")):
        raise InvalidArgument(
            options.tsa_url, what=QT_TRANSLATE_NOOP("errors", "--tsa / tsa_url (an http:// or https:// address)")
        )


def preflight(request: StampRequest) -> None:
    """Every check of `request` that needs neither the key nor the seal, so that a mistake costs no PIN.

    The file is a readable PDF that may be signed, the pages exist, the keyword is there, a spot's
    centre is on its page. What depends on the seal (its size: whether it fits on the page) is checked
    again when stamping. Raises the same typed errors as `Stamper.stamp`.
    """
    from .pdf.inspect import check_can_sign, open_pdf

    source = Path(request.input_path)
    if request.output_path is not None and _same_file(source, Path(request.output_path)):
        raise OutputIsInput(str(request.output_path))
    ofd = _open_ofd(source)
    document = ofd or open_pdf(source)
    try:
        placement = request.placement
        in_field = isinstance(placement, FieldPlacement)
        if ofd is not None:
            from .ofd import text as ofd_text

            if in_field:
                raise InvalidArgument(placement.name, what=OFD_NO_FIELDS)
        else:
            check_can_sign(document.facts, new_field=not in_field, reader=document.reader)
        with _damage_is_document_damaged(source.name):
            pages = ofd_text.page_geometries(ofd) if ofd is not None else geo.page_geometries_from_reader(document.reader)
            if in_field:
                from .pdf.fields import find_empty_field

                find_empty_field(document.reader, placement.name)
            elif isinstance(placement, SpotPlacement):
                for index in geo.parse_page_list(placement.pages, len(pages)):
                    _check_centre_on_page(pages[index], placement.center_mm)
            elif isinstance(placement, KeywordPlacement):
                indexes = geo.parse_page_list(placement.pages, len(pages)) if placement.pages else None
                found = (ofd_text.find_keyword if ofd is not None else geo.find_keyword)(
                    ofd or source, placement.keyword, pages=indexes
                )
                if not found:
                    raise KeywordNotFound(keyword=placement.keyword)
            elif isinstance(placement, CrossPagePlacement):
                indexes = geo.parse_page_list(placement.pages, len(pages))
                # any seal wide enough for the slices: only pages, edge and height are checked here
                geo.cross_page_spots(
                    pages, indexes, (max(len(indexes), 2) * geo.MIN_SLICE_MM, 1.0),
                    edge=placement.edge, y_mm=placement.y_mm,
                )  # fmt: skip
    finally:
        document.close()


def _check_centre_on_page(page: geo.PageGeometry, center_mm: tuple[float, float]) -> None:
    x, y = center_mm
    width, height = page.visible_size_mm
    if not (0 <= x <= width and 0 <= y <= height):
        raise SpotOffPage(
            f"centre ({x}, {y}) mm",
            x=f"{x:g}",
            y=f"{y:g}",
            page=page.index + 1,
            width=f"{width:.0f}",
            height=f"{height:.0f}",
        )


# --- the path -------------------------------------------------------------------------------------
class Stamper:
    """Stamps documents with one seal through one open key session (one PIN entry for a whole batch)."""

    def __init__(
        self,
        session,
        seal_id: str,
        *,
        usage_log,
        options: StampOptions = StampOptions(),
        clock: Clock = utc_now,
    ) -> None:
        from .appearance import seal_image
        from .seals import find_key_seal

        self._session = session
        self._log = usage_log
        self._options = options
        self._clock = clock
        chosen = find_key_seal(session, seal_id, clock=clock)
        self.seal = chosen.seal
        self._key_id = chosen.key_id
        self._cert_der = chosen.certificate
        if not self._cert_der:
            raise SealNotFound(f"seal {seal_id!r} has no certificate on the key", seal=seal_id)
        self._signer = session.digest_signer(self._key_id)  # usage records (SM2 keys: over the message)
        # the document signature: SM2 keys make an SM2/SM3 CMS through the message-signing protocol
        self._pdf_signer = session.sm2_signer(self._key_id) if self._signer.key_type == "sm2" else self._signer
        self._image = seal_image(self.seal.picture)
        from .certs import summarize

        self._cert = summarize(self._cert_der)
        self.holder = f"{session.token.serial}:{self._cert.serial_hex}"
        self._head = self._read_head()
        self._pending_head: tuple[object, Path] | None = None
        """A record whose head is not on the key yet (a batch writes it once, with its last document)."""

    def _read_head(self):
        """This holder's chain head on the key (the session is logged in), or None (none yet, or an older
        key layout): appending continues past it, so records deleted from the log never reuse a seq."""
        from .usage.chain_head import read_heads

        return read_heads(self._session).head_for(self.holder)

    def _write_head(self, record, target: Path) -> None:
        """Record `record` as the holder's newest on the key, after the output is in place: the record is
        already durable, so a failure here (key pulled out) loses nothing; it is said as
        UsageHeadNotWritten and the head catches up at the next stamping (docs/usage-log.md)."""
        from .errors import UsageHeadNotWritten
        from .usage.chain_head import head_after, write_head

        head = head_after(record, self._key_id, clock=self._clock)
        try:
            write_head(self._session, head)
        except SealDeskError as exc:
            self._pending_head = (record, target)
            raise UsageHeadNotWritten(
                f"chain head for record {record.record_id}: {exc.detail or exc}", output=target.name, seq=record.seq,
                inner=exc,
            ) from exc  # fmt: skip
        self._head = head
        self._pending_head = None

    def write_pending_head(self) -> None:
        """Write the head a batch left pending (its last document was not stamped), without raising: the
        records are durable, a head behind the log is not a problem, and the documents' own outcomes were
        already said (the usual cause is the key pulled out, which those outcomes report)."""
        if self._pending_head is None:
            return
        record, target = self._pending_head
        try:
            self._write_head(record, target)
        except SealDeskError as exc:
            _log.warning("usage-log chain head not written after the batch: %s", exc.detail or exc)

    # policy is cheap but depends on "now" and the approval reference, so it runs per document
    def check(self, approval_ref: str | None) -> PolicyDecision:
        return check_before_stamping(
            self.seal,
            self._cert_der,
            approval_ref=approval_ref,
            settings=self._options.policy,
            revocation=self._options.revocation,
            clock=self._clock,
        )

    def stamp(
        self,
        request: StampRequest,
        *,
        on_phase: PhaseCallback | None = None,
        cancel: CancelToken | None = None,
        write_head: bool = True,
    ) -> StampResult:
        """Stamp one document. `cancel` is honoured before opening, before signing, while waiting for the
        key or the TSA, and before the usage record; once the record exists the output is committed (or the
        record voided), so a cancellation never leaves a partial file or an unexplained record.

        Then the usage-log chain head goes on the key (UsageHeadNotWritten if that fails: the stamping
        itself stands). A batch passes `write_head=False` for all but its last document and calls
        `write_pending_head()` at its end: one token write per batch instead of one per document."""
        from .pdf.inspect import check_can_sign, open_pdf

        phase = on_phase or (lambda _p: None)
        stop = cancel or CancelToken()

        source = Path(request.input_path)
        if request.output_path:
            target = Path(request.output_path)
        else:
            target = default_output_path(source, Path(request.output_dir) if request.output_dir else None)
        if _same_file(source, target):
            raise OutputIsInput(str(target))
        ensure_new_target(target)

        stop.raise_if_cancelled()
        phase(StampPhase.OPEN)
        ofd = _open_ofd(source)  # an OFD: a new package is written (no incremental update, no digest shortcut)
        if ofd is not None and self._signer.key_type != "sm2":
            ofd.close()
            raise OfdNeedsSm2Key(f"seal {self.seal.es_id}: a {self._signer.key_type} key")
        document = ofd or open_pdf(source)  # parses from the file: the input is never copied into memory
        try:
            input_digests = None if ofd is not None else _InputDigests(source)  # beside the checks and signing
            phase(StampPhase.CHECKS)
            in_field = isinstance(request.placement, FieldPlacement)
            if ofd is None:
                check_can_sign(document.facts, new_field=not in_field, reader=document.reader)
            result = self._stamp_opened(document, request, source, target, input_digests, phase, stop)
        finally:
            document.close()
        if write_head and self._pending_head is not None:
            self._write_head(*self._pending_head)
        return result

    def _stamp_opened(
        self, document, request: StampRequest, source: Path, target: Path, input_digests, phase, stop: CancelToken
    ) -> StampResult:
        from .appearance import image_for_spot
        from .usage.records import NewRecord

        ofd = _is_ofd_document(document)
        page_count = len(document.pages) if ofd else document.facts.page_count
        decision = self.check(request.approval_ref)
        size = (self._image.width_mm, self._image.height_mm)
        with _damage_is_document_damaged(source.name):
            spots = resolve_spots(document, request.placement, size)
        images = [] if ofd else [image_for_spot(self._image, s.slice_index, s.slice_count).png for s in spots]

        stop.raise_if_cancelled()
        with AtomicOutput(target) as output:
            phase(StampPhase.SIGN)
            if ofd:
                self._sign_ofd(document, output.file, spots, source.name)
            else:
                self._sign_cancellable(document, output.file, spots, images, request, source.name, phase, stop)
            stop.raise_if_cancelled()  # last safe point: the anonymous output vanishes, no record exists
            phase(StampPhase.WRITE)
            shortcut = _output_digests(output.file, input_digests) if input_digests is not None else None
            sha256, sm3 = shortcut or _digests(output.file)
            phase(StampPhase.RECORD)
            record = self._log.append(
                NewRecord(
                    holder=self.holder,
                    seal_id=self.seal.es_id,
                    seal_name=self.seal.name,
                    seal_kind=self.seal.kind.category.value,
                    cert_serial=self._cert.serial_hex,
                    cert_issuer=self._cert.issuer,
                    document_name=target.name,
                    document_sha256=sha256,
                    document_sm3=sm3,
                    page_count=page_count,
                    placements=tuple(_record_placement(s) for s in spots),
                    approval_ref=request.approval_ref,
                    purpose=request.purpose,
                ),
                self._signer,
                clock=self._clock,
                floor=self._head,
            )
            try:
                output.commit()
            except OSError as exc:
                void = self._log.void(
                    record, f"output not written: {type(exc).__name__}", self._signer, clock=self._clock, floor=self._head
                )
                self._pending_head = (void, target)
                self.write_pending_head()  # the output error below is what the user must hear
                raise output_error(exc, target) from exc
        self._pending_head = (record, target)
        return StampResult(
            input_path=source,
            output_path=target,
            record_id=record.record_id,
            seq=record.seq,
            spots=tuple(spots),
            warnings=decision.warnings,
        )

    def _sign_ofd(self, document, out: BinaryIO, spots, name: str) -> None:
        """A new OFD package with one more seal signature (app/core/ofd/sign.py) straight into `out`: the key
        signs once, over the SES_Signature's TBS_Sign, at the Stamper's clock time."""
        from .ofd.sign import sign_ofd, stamps_for_spots

        with _damage_is_document_damaged(name):
            sign_ofd(
                document,
                out,
                signer=self._pdf_signer,
                seal_der=self.seal.der,
                stamps=stamps_for_spots(document, spots),
                moment=self._clock(),
            )

    def _sign_cancellable(
        self, document, out: BinaryIO, spots, images, request: StampRequest, name: str, phase, stop: CancelToken
    ) -> None:
        """Sign straight into `out` (the anonymous output file: no copy of the document in memory) on a
        helper thread, so that a wait for the key or the TSA can be abandoned: on cancel the output is
        dropped unlinked, no record exists, and Cancelled is raised."""
        from .pdf.sign import SignSettings, sign_pdf

        tsa = self._options.tsa_url
        signer = self._pdf_signer
        in_field = isinstance(request.placement, FieldPlacement)

        def phased(sign):
            def call(*args):
                if tsa:
                    phase(StampPhase.SIGN)
                signature = sign(*args)
                if tsa:
                    phase(StampPhase.TIMESTAMP)
                return signature

            return call

        class _PhaseSigner:
            """The key's signer. With a TSA, pyHanko asks for a token before the key signs (to size the
            signature) and again after; the phases say which wait is going on. Wraps what the key has:
            sign_digest (RSA/ECDSA) and/or sign_message (SM2)."""

            def __init__(self) -> None:
                for name in ("sign_digest", "sign_message"):
                    if hasattr(signer, name):
                        setattr(self, name, phased(getattr(signer, name)))

            def __getattr__(self, attr: str):
                return getattr(signer, attr)

        outcome: dict[str, BaseException] = {}
        done = threading.Event()

        def run() -> None:
            try:
                with _damage_is_document_damaged(name):
                    sign_pdf(
                        document,
                        out,
                        signer=_PhaseSigner(),
                        spots=spots,
                        spot_images=images,
                        seal_der=self.seal.der,
                        settings=SignSettings(
                            field_name=request.placement.name if in_field else None,
                            existing_field=in_field,
                            reason=request.purpose or self._options.reason,
                            location=self._options.location,
                            hash_name=self._options.hash_name,
                            tsa_url=tsa,
                        ),
                        direct=True,
                    )
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                outcome["error"] = exc
            finally:
                done.set()

        if tsa:
            phase(StampPhase.TIMESTAMP)
        worker = threading.Thread(target=run, name="stamp-sign", daemon=True)
        worker.start()
        while not done.wait(0.05):
            if stop.cancelled:
                raise Cancelled("cancelled while signing or waiting for the time-stamping service")
        if "error" in outcome:
            raise outcome["error"]

    def existing_stamping(self, request: StampRequest) -> Path | None:
        """The output of an earlier stamping of this input with this seal, if one is there and intact.

        Looks at the explicit output path, or at `name.signed.pdf`, `name.signed-2.pdf`… beside the
        input (or in the output folder); see `stamped_with_seal` for what counts.
        """
        return find_existing_stamping(request, self.seal.es_id)

    def stamp_batch(
        self,
        requests: Sequence[StampRequest],
        *,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        again: bool = False,
        on_phase: PhaseCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> list[BatchItem]:
        """Stamp each document; one failure never stops or corrupts the others.

        A document whose output already exists and holds an intact stamping by this seal is skipped
        (its item's error is `AlreadyStamped`, which is not a failure) so that running a batch again
        resumes it; `again=True` stamps such documents anyway, to the next free numbered name (an
        explicit `output_path` that exists is refused as always).
        """
        from .errors import TokenRemoved

        items: list[BatchItem] = []
        for number, request in enumerate(requests, start=1):
            if cancelled() or (cancel is not None and cancel.cancelled):
                error: SealDeskError = Cancelled()
                items.extend(BatchItem(r, None, error) for r in requests[number - 1 :])
                break
            try:
                done = None if again else self.existing_stamping(request)
                if done is not None:
                    skipped = AlreadyStamped(str(done), output=done.name)
                    items.append(BatchItem(request, None, skipped))
                    if progress:
                        progress(number, len(requests), request, None, skipped)
                    continue
                result = self.stamp(request, on_phase=on_phase, cancel=cancel, write_head=number == len(requests))
                items.append(BatchItem(request, result, None))
                if progress:
                    progress(number, len(requests), request, result, None)
            except SealDeskError as exc:
                items.append(BatchItem(request, None, exc))
                if progress:
                    progress(number, len(requests), request, None, exc)
                if isinstance(exc, TokenRemoved):
                    # the key is gone: the remaining files cannot be signed; say so for each
                    items.extend(BatchItem(r, None, exc) for r in requests[number:])
                    break
            except Exception as exc:  # a bug on one file must not lose the rest of the batch
                wrapped = SealDeskError(f"{type(exc).__name__}: {exc}")
                items.append(BatchItem(request, None, wrapped))
                if progress:
                    progress(number, len(requests), request, None, wrapped)
        self.write_pending_head()
        return items


_DAMAGE_ERRORS = (AttributeError, TypeError, KeyError, ValueError, IndexError, AssertionError, RecursionError)
"""What pyHanko raises on malformed structures it does not check (junk /AcroForm references, an /Annots
that is a page dictionary, /Kids loops…)."""


@contextmanager
def _damage_is_document_damaged(name: str) -> Iterator[None]:
    """Turn pyHanko's untyped failures on a malformed document into DocumentDamaged (never exit 1)."""
    from pyhanko.pdf_utils.misc import PdfError

    try:
        yield
    except SealDeskError:
        raise
    except (PdfError, *_DAMAGE_ERRORS) as exc:
        raise DocumentDamaged(f"{type(exc).__name__}: {exc}", name=name) from exc


def _output_candidates(request: StampRequest) -> list[Path]:
    """Where earlier stampings of this request's input are: the explicit output, else the default
    numbered names (`name.signed.pdf`, `name.signed-2.pdf`…) beside the input or in the output folder."""
    if request.output_path is not None:
        return [Path(request.output_path)]
    source = Path(request.input_path)
    base = Path(request.output_dir) / source.name if request.output_dir else source
    suffix = base.suffix or ".pdf"
    found = []
    candidate = base.with_name(f"{base.stem}{SIGNED_SUFFIX}{suffix}")
    number = 2
    while candidate.exists():
        found.append(candidate)
        candidate = base.with_name(f"{base.stem}{SIGNED_SUFFIX}-{number}{suffix}")
        number += 1
    return found


def find_existing_stamping(request: StampRequest, seal_id: str) -> Path | None:
    """The first existing output of `request` that `stamped_with_seal(…, seal_id)`, or None."""
    source = Path(request.input_path)
    for candidate in _output_candidates(request):
        if candidate.is_file() and not _same_file(source, candidate) and stamped_with_seal(candidate, seal_id):
            return candidate
    return None


def stamped_with_seal(path: Path, seal_id: str) -> bool:
    """True when the last signature of the PDF at `path` carries the seal `seal_id` and is intact
    (pyHanko's validator: the signed bytes are unchanged and the signature value matches).

    Anything else — unreadable file, no signature, another seal, a broken signature — is False: the
    document is then stamped again rather than wrongly reported as done.
    """
    from pyhanko.sign.validation import validate_pdf_signature

    from .document import is_ofd
    from .pdf.inspect import open_pdf

    if Path(path).is_file() and is_ofd(Path(path)):
        from .ofd.sign import stamped_with_seal as ofd_stamped_with_seal

        return ofd_stamped_with_seal(Path(path), seal_id)
    from .pdf.verify import seal_from_signed_attrs
    from .ses.parse import parse_seal

    try:
        document = open_pdf(path)
    except SealDeskError:
        return False
    try:
        signatures = document.reader.embedded_regular_signatures
        if not signatures:
            return False
        last = signatures[-1]
        der = seal_from_signed_attrs(last.signer_info)
        if der is None or parse_seal(der).es_id != seal_id:
            return False
        status = validate_pdf_signature(last)
        return bool(status.intact and status.valid)
    except Exception:  # noqa: BLE001 - any doubt means "not done": stamp it again
        return False
    finally:
        document.close()


def client_host() -> str:
    return socket.gethostname()
