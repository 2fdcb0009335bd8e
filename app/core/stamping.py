"""The one path every stamping takes, for one document or a batch:

document → placement → checks → appearance → signature → output → usage record

GUI and CLI both call `Stamper`; neither re-implements any step. A signed output never exists without its
usage record: the record is written (and signed by the key) before the output is renamed into place; if the
rename fails, a "void" record says so. Outputs are written to a temporary file in the target folder, fsynced,
then moved into place without ever replacing the input or an existing file.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from . import placement as geo
from .atomic_output import AtomicOutput
from .clock import Clock, utc_now
from .errors import (
    Cancelled,
    InvalidArgument,
    OutputError,
    OutputExists,
    OutputIsInput,
    PlacementInvalid,
    SealDeskError,
    SealNotFound,
)
from .i18n_marks import QT_TRANSLATE_NOOP
from .policy import PolicyDecision, PolicySettings, PolicyWarning, RevocationLookup, check_before_stamping

SIGNED_SUFFIX = ".signed"


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
    """The seal in an existing empty signature field, centred on the field's widget, signing that field.

    Minimal version for the GUI branch; the "pdfsign" engineer's `--field` work owns the full semantics.
    """

    name: str


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

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` s; True as soon as cancelled."""
        return self._event.wait(timeout)


@dataclass(frozen=True)
class StampRequest:
    input_path: Path
    placement: PlacementRequest
    output_path: Path | None = None
    """None: `<name>.signed.pdf` beside the input (numbered if that exists)."""
    approval_ref: str | None = None
    purpose: str | None = None


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


Progress = Callable[[int, int, StampRequest, StampResult | None, SealDeskError | None], None]


# --- helpers --------------------------------------------------------------------------------------
def default_output_path(input_path: Path) -> Path:
    """`name.signed.pdf` beside the input; `name.signed-2.pdf`… when taken."""
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


class _InputDigests:
    """SHA-256 and SM3 of the input, hashed on two background threads while the document is signed.

    A signature is an incremental update: the output starts with the input's bytes unchanged, so the
    output's digests are these, continued over the appended revision. Hashing is most of the cost of
    stamping a large file and both hashes release the GIL, so each runs on its own thread beside
    pyHanko's signing. The threads end by themselves; nothing waits for them when stamping fails earlier.
    """

    def __init__(self, data: bytes) -> None:
        from cryptography.hazmat.primitives import hashes

        self._data = data
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
            digest.update(self._data)  # one whole-buffer update: the GIL is released once
        except Exception:  # noqa: BLE001 - no shortcut: the caller hashes the whole output instead
            self._failed = True

    def result(self) -> tuple[bytes, object, object] | None:
        """(input bytes, SHA-256 object, SM3 object) after the input, or None if hashing failed."""
        for thread in self._threads:
            thread.join()
        if self._failed:
            return None
        return (self._data, *self._hashes)


class _DigestingWriter:
    """Passes writes to `file` and keeps them, to digest the output without reading it back.

    Only plain sequential writes are understood: any other call on the file (seek, truncate…) makes
    `digests()` return None, and the caller then hashes the file as written (`_digests`).
    """

    _HARMLESS = frozenset({"flush", "writable", "fileno", "name", "mode", "closed"})

    def __init__(self, file: BinaryIO, prefix: _InputDigests) -> None:
        self._file = file
        self._prefix = prefix
        self._chunks: list[bytes] = []
        self._sequential = True

    def write(self, data) -> int:
        chunk = data if isinstance(data, bytes) else bytes(data)  # the caller may reuse a buffer
        written = self._file.write(chunk)
        if written != len(chunk):
            self._sequential = False
        self._chunks.append(chunk)
        return written

    def __getattr__(self, name: str):
        if name not in self._HARMLESS:
            self._sequential = False
        return getattr(self._file, name)

    def digests(self) -> tuple[str, str] | None:
        """SHA-256 and SM3 hex of everything written, or None when the shortcut does not apply."""
        prefix = self._prefix.result()
        if not self._sequential or prefix is None:
            return None
        data, sha_prefix, sm3_prefix = prefix
        sha = sha_prefix.copy()
        sm3 = sm3_prefix.copy()
        source = memoryview(data)
        position = 0
        for chunk in self._chunks:
            overlap = min(len(data) - position, len(chunk))
            if overlap > 0:
                if not chunk.startswith(source[position : position + overlap]):
                    return None  # not the input's bytes: not an incremental update of this input
                position += overlap
            tail = memoryview(chunk)[max(overlap, 0) :]
            if tail:
                sha.update(tail)
                sm3.update(tail)
                position += len(tail)
        if position < len(data):
            return None
        return sha.hexdigest(), sm3.finalize().hex()


def resolve_spots(document, placement: PlacementRequest, size_mm: tuple[float, float]) -> list[geo.StampSpot]:
    """Turn a placement request into concrete spots for an opened document (pdf.inspect.OpenedPdf).

    All geometry is placement.py's; page boxes come from the pyHanko reader the document was opened
    with, and PyMuPDF is used only to search text for keyword placement.
    """
    pages = geo.page_geometries_from_reader(document.reader)
    if isinstance(placement, SpotPlacement):
        indexes = geo.parse_page_list(placement.pages, len(pages))
        return geo.spots_on_pages(pages, indexes, placement.center_mm, size_mm)
    if isinstance(placement, KeywordPlacement):
        if placement.pages:
            pages = [pages[i] for i in geo.parse_page_list(placement.pages, len(pages))]
        return geo.keyword_spots(
            document.data, pages, placement.keyword, size_mm, every=placement.every, offset_mm=placement.offset_mm
        )
    if isinstance(placement, CrossPagePlacement):
        indexes = geo.parse_page_list(placement.pages, len(pages))
        return geo.cross_page_spots(pages, indexes, size_mm, edge=placement.edge, y_mm=placement.y_mm)
    if isinstance(placement, FieldPlacement):
        return [_field_spot(document, placement.name, size_mm)]
    raise InvalidArgument(what="placement")


def field_box_mm(document, name: str) -> tuple[int, geo.Box]:
    """(page index, left/top/right/bottom visible mm) of the empty signature field `name`."""
    import pymupdf
    from pyhanko.sign.fields import enumerate_sig_fields

    filled = {field_name: value is not None for field_name, value, _ref in enumerate_sig_fields(document.reader)}
    if name not in filled:
        raise PlacementInvalid(name, reason=QT_TRANSLATE_NOOP("errors", "there is no signature field of that name"))
    if filled[name]:
        raise PlacementInvalid(name, reason=QT_TRANSLATE_NOOP("errors", "that signature field is already signed"))
    pages = geo.page_geometries_from_reader(document.reader)
    with pymupdf.open(stream=document.data, filetype="pdf") as doc:
        for page in doc:
            for widget in page.widgets(types=[pymupdf.PDF_WIDGET_TYPE_SIGNATURE]):
                if widget.field_name == name:
                    return page.number, geo._unrotated_rect_to_visible_mm(pages[page.number], tuple(widget.rect))
    raise PlacementInvalid(name, reason=QT_TRANSLATE_NOOP("errors", "the signature field has no place on a page"))


def _field_spot(document, name: str, size_mm: tuple[float, float]) -> geo.StampSpot:
    """The seal centred on the widget of the empty signature field `name` (PlacementInvalid otherwise)."""
    page_index, (left, top, right, bottom) = field_box_mm(document, name)
    if right - left < size_mm[0] - 0.01 or bottom - top < size_mm[1] - 0.01:
        raise PlacementInvalid(
            name, reason=QT_TRANSLATE_NOOP("errors", "the signature field is smaller than the seal")
        )
    pages = geo.page_geometries_from_reader(document.reader)
    return geo.spot_at(pages[page_index], ((left + right) / 2, (top + bottom) / 2), size_mm)


def _padded_to_field(image, field_mm: tuple[float, float]) -> bytes:
    """The seal PNG on a transparent canvas of the field's size: PDF viewers draw the existing field's
    appearance over its whole widget, so the padding keeps the seal at its true size, centred."""
    import io

    from PIL import Image

    per_mm = image.pixel_width / image.width_mm
    size = (max(image.pixel_width, round(field_mm[0] * per_mm)), max(image.pixel_height, round(field_mm[1] * per_mm)))
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    with Image.open(io.BytesIO(image.png)) as seal:
        canvas.paste(seal, ((size[0] - image.pixel_width) // 2, (size[1] - image.pixel_height) // 2))
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


def _record_placement(spot: geo.StampSpot):
    from .usage.records import Placement

    return Placement(
        page=spot.page_index + 1,
        x_mm=spot.center_mm[0] - spot.size_mm[0] / 2,
        y_mm=spot.center_mm[1] - spot.size_mm[1] / 2,
        width_mm=spot.size_mm[0],
        height_mm=spot.size_mm[1],
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
        self._signer = session.digest_signer(self._key_id)
        self._image = seal_image(self.seal.picture)
        from .certs import summarize

        self._cert = summarize(self._cert_der)
        self.holder = f"{session.token.serial}:{self._cert.serial_hex}"

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
    ) -> StampResult:
        """Stamp one document. `cancel` is honoured before opening, before signing, while waiting for the
        key or the TSA, and before writing; once the usage record exists the output is committed (or the
        record voided), so a cancellation never leaves a partial file or an unexplained record."""
        from .appearance import image_for_spot
        from .pdf.inspect import check_can_sign, open_pdf_bytes, read_document
        from .usage.records import NewRecord

        phase = on_phase or (lambda _p: None)
        stop = cancel or CancelToken()
        source = Path(request.input_path)
        target = Path(request.output_path) if request.output_path else default_output_path(source)
        if _same_file(source, target):
            raise OutputIsInput(str(target))
        if target.exists():
            raise OutputExists(f"{target} exists", path=str(target))

        stop.raise_if_cancelled()
        phase(StampPhase.OPEN)
        data = read_document(source)
        input_digests = _InputDigests(data)  # runs beside parsing, the checks and the signing below
        document = open_pdf_bytes(data, source.name)
        facts = document.facts
        phase(StampPhase.CHECKS)
        check_can_sign(facts)
        decision = self.check(request.approval_ref)
        size = (self._image.width_mm, self._image.height_mm)
        spots = resolve_spots(document, request.placement, size)
        images = [image_for_spot(self._image, s.slice_index, s.slice_count).png for s in spots]
        field_name = None
        if isinstance(request.placement, FieldPlacement):
            field_name = request.placement.name
            _page, (left, top, right, bottom) = field_box_mm(document, field_name)
            images = [_padded_to_field(self._image, (right - left, bottom - top))]

        stop.raise_if_cancelled()
        phase(StampPhase.SIGN)
        signed = self._sign_cancellable(document, spots, images, field_name, request, phase, stop)
        stop.raise_if_cancelled()  # last safe point: nothing written yet

        phase(StampPhase.WRITE)
        with AtomicOutput(target) as output:
            writer = _DigestingWriter(output.file, input_digests)
            writer.write(signed)
            sha256, sm3 = writer.digests() or _digests(output.file)
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
                    page_count=facts.page_count,
                    placements=tuple(_record_placement(s) for s in spots),
                    approval_ref=request.approval_ref,
                    purpose=request.purpose,
                ),
                self._signer,
                clock=self._clock,
            )
            try:
                output.commit()
            except OSError as exc:
                self._log.void(record, f"output not written: {type(exc).__name__}", self._signer, clock=self._clock)
                error = OutputExists if isinstance(exc, FileExistsError) else OutputError
                raise error(str(exc), path=str(target)) from exc
        return StampResult(
            input_path=source,
            output_path=target,
            record_id=record.record_id,
            seq=record.seq,
            spots=tuple(spots),
            warnings=decision.warnings,
        )

    def _sign_cancellable(self, document, spots, images, field_name, request, phase, stop: CancelToken) -> bytes:
        """The signed file's bytes, built on a helper thread so that a wait for the key or the TSA can be
        abandoned: on cancel the result is dropped (nothing has been written) and Cancelled raised."""
        import io

        from .pdf.sign import SignSettings, sign_pdf

        tsa = self._options.tsa_url
        signer = self._signer

        class _PhaseSigner:
            """The key's signer. With a TSA, pyHanko asks it for a token before the key signs (to size the
            signature) and again after; the phases say which wait is going on."""

            def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
                if tsa:
                    phase(StampPhase.SIGN)
                signature = signer.sign_digest(digest, hash_name)
                if tsa:
                    phase(StampPhase.TIMESTAMP)
                return signature

            def __getattr__(self, name: str):
                return getattr(signer, name)

        buffer = io.BytesIO()
        outcome: dict[str, BaseException] = {}
        done = threading.Event()

        def run() -> None:
            try:
                sign_pdf(
                    document,
                    buffer,
                    signer=_PhaseSigner(),
                    spots=spots,
                    spot_images=images,
                    seal_der=self.seal.der,
                    settings=SignSettings(
                        field_name=field_name,
                        reason=request.purpose or self._options.reason,
                        location=self._options.location,
                        hash_name=self._options.hash_name,
                        tsa_url=tsa,
                    ),
                )
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                outcome["error"] = exc
            finally:
                done.set()

        if tsa:
            phase(StampPhase.TIMESTAMP)
        threading.Thread(target=run, name="stamp-sign", daemon=True).start()
        while not done.wait(0.05):
            if stop.cancelled:
                raise Cancelled("cancelled while signing or waiting for the time-stamping service")
        if "error" in outcome:
            raise outcome["error"]
        return buffer.getvalue()

    def stamp_batch(
        self,
        requests: Sequence[StampRequest],
        *,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        on_phase: PhaseCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> list[BatchItem]:
        """Stamp each document; one failure never stops or corrupts the others."""
        from .errors import TokenRemoved

        items: list[BatchItem] = []
        for number, request in enumerate(requests, start=1):
            if cancelled() or (cancel is not None and cancel.cancelled):
                error: SealDeskError = Cancelled()
                items.extend(BatchItem(r, None, error) for r in requests[number - 1 :])
                break
            try:
                result = self.stamp(request, on_phase=on_phase, cancel=cancel)
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
        return items


def client_host() -> str:
    return socket.gethostname()
