"""The `sealdesk` command line: argument parsing, reading the PIN, exit codes and printing. It drives
the application layer (app/core/application.py), like the GUI; every step of the work lives in app/core.

Exit codes:
  0 success · 1 unexpected error · 2 invalid arguments · 3 key/PIN problem · 4 seal, certificate or policy
  refusal · 5 document problem · 6 usage-log problem · 7 network · 8 verification found a problem ·
  9 a batch had failures of different kinds · 130 cancelled
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .core.errors import InvalidArgument, PinMismatch, SealDeskError
from .core.i18n_marks import QT_TRANSLATE_NOOP
from .i18n import translate

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_VERIFY_FAILED = 8
EXIT_MIXED_FAILURES = 9
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: the reader of our output went away (`sealdesk log | head`); we stop quietly."""


# --- output ---------------------------------------------------------------------------------------
_BIDI_AND_SEPARATORS = frozenset(
    "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _needs_escape(char: str) -> bool:
    code = ord(char)
    return (
        code < 0x20 or 0x7F <= code < 0xA0 or char in _BIDI_AND_SEPARATORS or 0xD800 <= code < 0xE000
    )


def _escaped(char: str) -> str:
    code = ord(char)
    if char in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char]
    if 0xDC80 <= code <= 0xDCFF:  # a file-name byte that is not UTF-8 (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(value: object) -> str:
    """`value` (a path, a file name, a message naming one) safe for a terminal: newlines, ESC and other C0/C1
    controls, bidi overrides and undecodable file-name bytes appear as backslash escapes, never raw — a file
    name cannot fake output lines, colour or reorder the terminal, or crash the print."""
    text = str(value)
    if not any(_needs_escape(c) for c in text):
        return text
    return "".join(_escaped(c) if _needs_escape(c) else c for c in text)


def _out(text: str = "") -> None:
    print(shown(text))


def _err(text: str) -> None:
    print(shown(text), file=sys.stderr)


def _line(indent: int, *pairs: tuple[str, str]) -> None:
    """One output line of translated "label: value" pairs."""
    template = translate("cli", "{label}: {value}")
    _out(" " * indent + "   ".join(template.format(label=label, value=value) for label, value in pairs))


def _json_text(data: Any, indent: int | None = 2) -> str:
    """JSON with the characters `shown` escapes written as \\u escapes (the same JSON value, safe to print)."""
    text = json.dumps(data, ensure_ascii=False, indent=indent, default=str)
    if not any(_needs_escape(c) for c in text):
        return text
    return "".join(f"\\u{ord(c):04x}" if _needs_escape(c) and c not in "\n " else c for c in text)


def _json_out(data: Any) -> None:
    print(_json_text(data))


def json_error_payload(err: SealDeskError) -> dict:
    """What every `--json` command prints on refusal: a stable snake_case code and the translated message."""
    from .core.errors import error_code

    return {"error": {"code": error_code(err), "message": err.user_message(translate)}}



# --- PIN input ------------------------------------------------------------------------------------
def _stdin_secret_line() -> str:
    """One line of stdin as text; bytes that are not UTF-8 give an error that shows none of them."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream without bytes underneath (tests)
        return sys.stdin.readline().rstrip("\r\n")
    try:
        return buffer.readline().decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InvalidArgument(what=translate("cli", "a PIN that is not valid text")) from None


def read_pin(args: argparse.Namespace, prompt: str) -> str:
    """Ask for a PIN without echo, or read one line from stdin with --pin-stdin. Never logged."""
    if getattr(args, "pin_stdin", False):
        pin = _stdin_secret_line()
    else:
        pin = getpass.getpass(prompt)
    if not pin:
        raise InvalidArgument(what=translate("cli", "empty PIN"))
    return pin


def check_pin_state(key) -> None:
    """Before any PIN is asked: refuse a locked (or PIN-less) key outright — a prompt would only invite a
    try the key refuses — and warn on stderr when earlier wrong PINs left few tries or only the last one."""
    from .core.keys.pin import PinState, pin_state_error, pin_state_text

    blocked = pin_state_error(key.pin_state)
    if blocked is not None:
        raise blocked
    if key.pin_state in (PinState.COUNT_LOW, PinState.FINAL_TRY):
        _err(translate("cli", "Warning: {state}").format(state=translate("errors", pin_state_text(key.pin_state))))


# --- shared helpers -------------------------------------------------------------------------------
def _application():
    """The application layer (settings, keys, usage log); use it in a `with` block so it is closed."""
    from .core.application import Application

    return Application()


# --- tokens ---------------------------------------------------------------------------------------
def _watch_tokens(args: argparse.Namespace) -> int:
    """Print key insertions and removals as they happen (Ctrl-C, or --seconds, ends it)."""
    import threading

    from .core.application import KeyEventKind

    def event(change) -> None:
        key = change.key
        if args.json:  # one JSON object per line and event
            print(_json_text({"event": str(change.kind), "label": key.label, "serial": key.serial}, indent=None))
        elif change.kind is KeyEventKind.INSERTED:
            _out(translate("cli", "Key inserted: {label} [{serial}]").format(label=key.label, serial=key.serial))
        else:
            _out(translate("cli", "Key removed: {label} [{serial}]").format(label=key.label, serial=key.serial))
        sys.stdout.flush()

    stop = threading.Event()
    with _application() as application:
        application.watch(event, interval=args.interval)
        stop.wait(args.seconds if args.seconds else None)
    return EXIT_OK


def cmd_tokens(args: argparse.Namespace) -> int:
    from .core.application import pin_state_text

    if args.watch:
        return _watch_tokens(args)
    with _application() as application:
        modules = application.modules()
        tokens = [key.token for key in application.detected_keys()]
    if args.json:
        _json_out(
            {
                "modules": [
                    {
                        "path": m.path,
                        "name": m.name,
                        "loaded": m.loaded,
                        "error": m.error.user_message(translate) if m.error else None,
                    }
                    for m in modules
                ],
                "tokens": [
                    {
                        "module": t.module_path,
                        "module_name": t.module_name,
                        "slot": t.slot_id,
                        "label": t.label,
                        "serial": t.serial,
                        "manufacturer": t.manufacturer,
                        "model": t.model,
                        "pin_state": str(t.pin_state),
                    }
                    for t in tokens
                ],
            }
        )
        return EXIT_OK
    for m in modules:
        if not m.loaded and m.error is not None:
            _err(
                translate("cli", "Driver not loaded: {path} — {error}").format(
                    path=m.path, error=m.error.user_message(translate)
                )
            )
    if not tokens:
        _out(translate("cli", "No USB key found. Run `sealdesk demo-key` to create the demo key."))
        return EXIT_OK
    for t in tokens:
        _out(f"{t.label}  [{t.serial}]")
        _line(
            2,
            (translate("cli", "Manufacturer"), f"{t.manufacturer}"),
            (translate("cli", "Model"), f"{t.model}"),
        )
        _line(
            2,
            (translate("cli", "Driver"), f"{t.module_name} ({t.module_path})"),
            (translate("cli", "Slot"), f"{t.slot_id}"),
        )
        _line(2, (translate("cli", "PIN state"), f"{pin_state_text(t.pin_state, translate)}"))
    return EXIT_OK


# --- seals ----------------------------------------------------------------------------------------
def _print_seal_row(row) -> None:
    from .core.views import seal_status_text

    _out(f"{row.name}  [{row.seal_id}]")
    _line(
        2,
        (translate("cli", "Kind"), f"{translate('seal-kinds', row.kind_name)} ({row.type})"),
        (translate("cli", "Format version"), f"{row.version}"),
    )
    width, height = row.picture_size_mm
    _line(2, (translate("cli", "Picture"), f"{row.picture_type} {width:g} × {height:g} mm"))
    _line(2, (translate("cli", "Valid"), f"{_iso_day(row.valid_from)} – {_iso_day(row.valid_to)}"))
    _line(2, (translate("cli", "Maker"), f"{row.maker}"))
    _line(2, (translate("cli", "Verification"), seal_status_text(row.status, translate)))
    for problem in row.problems:
        _out(f"    - {problem.user_message(translate)}")
    if row.expiring_soon:
        _out("  " + translate("cli", "Warning: the seal expires within 90 days."))
    cert = row.certificate
    if cert:
        _line(2, (translate("cli", "Certificate"), f"{cert.subject}"))
        _line(
            4,
            (translate("cli", "Serial"), f"{cert.serial_hex}"),
            (translate("cli", "Algorithm"), f"{cert.algorithm}"),
        )
        _line(4, (translate("cli", "Issuer"), f"{cert.issuer}"))
        _line(
            4,
            (translate("cli", "Valid"), f"{_iso_day(cert.not_before)} – {_iso_day(cert.not_after)}"),
            (translate("cli", "Days to expiry"), str(cert.days_to_expiry)),
        )
        if cert.expiring_soon:
            _out("    " + translate("cli", "Warning: the certificate expires within 90 days."))


def _iso_day(moment: datetime) -> str:
    """The date part as the JSON shows it (the moment's own offset, not converted)."""
    return moment.isoformat()[:10]


def _clock_from_args(args: argparse.Namespace):
    from .core.clock import fixed_clock, utc_now

    if getattr(args, "at", None):
        try:
            moment = datetime.fromisoformat(args.at)
        except ValueError as exc:
            raise InvalidArgument(str(exc), what=translate("cli", "--at takes a date like 2021-01-01")) from exc
        return fixed_clock(moment)
    return utc_now


def cmd_seals(args: argparse.Namespace) -> int:
    from .core.views import SesSignatureView, inspect_seal_file, load_seal_file, read_user_file

    clock = _clock_from_args(args)
    if args.file and not args.import_file:
        data = read_user_file(args.data) if args.data else None
        found = inspect_seal_file(args.file, clock, data)
        if isinstance(found, SesSignatureView):
            return _show_ses_signature(args, found)
        rows = [found]
    else:
        # a missing or unreadable seal file must not cost a PIN entry
        seal_file = load_seal_file(args.import_file) if args.import_file else None
        with _application() as application:
            key = application.select_key(args.token)
            if key.is_demo and getattr(args, "demo_hint", False):
                _err(translate("cli", "Demo key: its PIN is 123456. Change it with `sealdesk pin change`."))
            check_pin_state(key)
            pin = read_pin(args, translate("cli", "PIN for {label}: ").format(label=key.label))
            listing = application.seal_listing(key, pin, import_file=seal_file, clock=clock)
            del pin
        if listing.imported is not None:
            _err(translate("cli", "Seal “{name}” imported onto the key.").format(name=listing.imported))
        for label, error in listing.unreadable:
            _err(
                translate("cli", "A seal object on the key is unreadable ({label}): {error}").format(
                    label=label, error=error.user_message(translate)
                )
            )
        rows = list(listing.rows)
    if args.json:
        _json_out([row.to_json(translate) for row in rows])
    elif not rows:
        _out(translate("cli", "No seals on this key."))
    else:
        for row in rows:
            _print_seal_row(row)
    if args.file and not args.import_file and not rows[0].valid:
        return EXIT_VERIFY_FAILED  # like `verify`: a script must not take an invalid or expired seal for good
    return EXIT_OK


def _show_ses_signature(args: argparse.Namespace, view) -> int:
    """`seals --file` on a signature made with a seal: say so and show what it signed, with its check."""
    from .core.views import seal_status_text

    if args.json:
        _json_out({"signature": view.to_json(translate)})
    else:
        _out(translate("cli", "This file is an electronic signature made with a seal (SES_Signature), not a seal."))
        _line(2, (translate("cli", "Signed item"), view.signed_item or "-"))
        _line(2, (translate("cli", "Signing time"), _local_time(view.signed_at)))
        _line(2, (translate("cli", "Digest of the signed data"), view.data_hash.hex()))
        _line(2, (translate("cli", "Signer"), view.signer))
        _line(2, (translate("cli", "Seal"), f"{view.seal_name} [{view.seal_id}]"))
        _line(2, (translate("cli", "Signature valid"), _yes_no(view.signature_valid)))
        _line(2, (translate("cli", "Seal verification"), seal_status_text(view.seal_status, translate)))
        if view.data_matches is not None:
            _line(2, (translate("cli", "Matches the document"), _yes_no(view.data_matches)))
        for problem in view.problems:
            _out(f"    - {problem.user_message(translate)}")
        if view.data_matches is None:
            _out(translate("cli", "To check it against the signed document, add --data with the document."))
    return EXIT_OK if view.ok else EXIT_VERIFY_FAILED


# --- SES_Signature export ------------------------------------------------------------------------
def cmd_export_ses(args: argparse.Namespace) -> int:
    """A GB/T 38540 v4 SES_Signature over a document this key's seal stamped (app/core/ses_export.py)."""
    from .core import ses_export

    with _application() as application:
        key = application.select_key(args.token)
        plan = ses_export.plan_export(application, key, args.document, args.seal, args.out)  # before the PIN
        check_pin_state(key)
        pin = read_pin(args, translate("cli", "PIN for {label}: ").format(label=key.label))
        result = ses_export.export(application, key, plan, pin)
        del pin
    if args.json:
        _json_out(
            {
                "output": str(result.output),
                "seal_id": result.seal_id,
                "seal_name": result.seal_name,
                "signer": result.signer,
                "signature_algorithm": result.sign_alg,
                "data_hash": result.data_hash.hex(),
                "signed_at": result.signed_at.isoformat(),
            }
        )
    else:
        _out(translate("cli", "SES_Signature written: {path}").format(path=result.output))
        _line(2, (translate("cli", "Seal"), f"{result.seal_name} [{result.seal_id}]"))
        _line(2, (translate("cli", "Signer"), result.signer))
        _line(2, (translate("cli", "Digest of the signed data"), result.data_hash.hex()))
    return EXIT_OK


# --- trust store ----------------------------------------------------------------------------------
def cmd_trust(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .core import truststore
    from .core.views import trust_root_file

    if args.trust_command in ("add", "remove") and not args.target:
        raise InvalidArgument(what=translate("cli", "a certificate file or fingerprint"))
    if args.trust_command == "add":
        for summary in trust_root_file(args.target):
            _out(
                translate("cli", "Trusted: {subject} [{fingerprint}]").format(
                    subject=summary.subject, fingerprint=summary.sha256[:16]
                )
            )
        return EXIT_OK
    if args.trust_command == "remove":
        removed = truststore.remove_root(args.target)
        if isinstance(removed, Path):
            _out(translate("cli", "Removed the damaged file {name} from the trust store.").format(name=removed.name))
        else:
            _out(translate("cli", "No longer trusted: {subject}").format(subject=removed.subject))
        return EXIT_OK
    entries = truststore.inspect_store()
    if args.json:
        rows: list[dict[str, Any]] = []
        for entry in entries:
            rows.extend(
                {"subject": r.subject, "sha256": r.sha256, "valid_to": r.not_after.isoformat(), "file": entry.path.name}
                for r in entry.summaries
            )
        _json_out(rows)
    elif not any(entry.summaries for entry in entries):
        _out(translate("cli", "No trusted root certificates. Add one with `sealdesk trust add FILE`."))
    for entry in entries:
        if entry.problem is not None:
            _trust_skip_warning(entry.path, entry.problem)
        for r in entry.summaries if not args.json else ():
            _out(f"{r.sha256[:16]}  {r.subject}  ({r.not_after.date()})")
    return EXIT_OK


def _trust_skip_warning(path: Any, problem: SealDeskError) -> None:
    """A damaged file in the trust store: named on stderr with how to remove it; it is not trusted."""
    _err(
        translate(
            "cli", "Warning: {name} in the trust store is skipped: {problem} Remove it with `sealdesk trust remove {name}`."
        ).format(name=path.name, problem=problem.user_message(translate))
    )


# --- pin change -----------------------------------------------------------------------------------
def cmd_pin_change(args: argparse.Namespace) -> int:
    with _application() as application:
        key = application.select_key(args.token)
        check_pin_state(key)
        if args.pin_stdin:
            old, new, again = (_stdin_secret_line() for _ in range(3))
        else:
            old = getpass.getpass(translate("cli", "Current PIN: "))
            new = getpass.getpass(translate("cli", "New PIN: "))
            again = getpass.getpass(translate("cli", "New PIN again: "))
        if new != again:
            raise PinMismatch()
        if not old or not new:
            raise InvalidArgument(what=translate("cli", "empty PIN"))
        application.change_pin(key, old, new)
    _out(translate("cli", "PIN changed."))
    return EXIT_OK


# --- demo key -------------------------------------------------------------------------------------
def cmd_demo_key(args: argparse.Namespace) -> int:
    from .core import demo

    info = demo.create_demo_key(force=True)
    _out(
        translate("cli", "Demo key “{label}” created with {count} seals.").format(
            label=info.label, count=len(info.seals)
        )
    )
    _out(
        translate("cli", "Its PIN is {pin}. Change it with `sealdesk pin change`.").format(pin=demo.DEMO_PIN)
    )
    _out(translate("cli", "Demo root certificate: {path}").format(path=info.root_cert_path))
    _out(
        translate(
            "cli",
            "Each demo key gets a new root (its key is never stored): to verify its documents, trust this file "
            "with `sealdesk trust add`.",
        )
    )
    for seal in info.seals:
        _out(translate("cli", "  {module}: {seal}").format(module="SoftHSM", seal=seal.name))
    _demo_key_sm2()
    return EXIT_OK


def _demo_key_sm2() -> None:
    """The SM2 identity on the SM2 test module, or why it was skipped (the SoftHSM demo key stands alone)."""
    from .core import demo_sm2

    try:
        sm2 = demo_sm2.create_sm2_demo()
    except SealDeskError as err:
        _out(translate("cli", "SM2 demo skipped: {reason}").format(reason=err.user_message(translate)))
        return
    _out(
        translate("cli", "SM2 demo key “{label}” created on the {module} ({path}).").format(
            label=sm2.label, module=demo_sm2.MODULE_NAME, path=sm2.module_path
        )
    )
    for seal in sm2.seals:
        _out(translate("cli", "  {module}: {seal}").format(module=demo_sm2.MODULE_NAME, seal=seal.name))
    _out(translate("cli", "SM2 demo root certificate: {path}").format(path=sm2.root_cert_path))


# --- start (what `make run` calls until the GUI exists) --------------------------------------------
def cmd_start(args: argparse.Namespace) -> int:
    from .core import demo

    with _application() as application:
        needed = application.demo_key_needed()
    if needed:  # created after the key manager is closed: a loaded SoftHSM would not see the new token
        _out(translate("cli", "No USB key found: creating the demo key (SoftHSM) with three seals…"))
        demo.create_demo_key()
    cmd_tokens(build_parser().parse_args(["tokens"]))
    if sys.stdin.isatty():
        _out()
        seals_args = build_parser().parse_args(["seals"])
        seals_args.demo_hint = True  # first run: the holder has not seen the demo PIN yet
        return cmd_seals(seals_args)
    _out()
    _out(
        translate(
            "cli",
            "To list the seals on a key, run `sealdesk seals` in a terminal (it asks for the key's PIN), "
            "or `sealdesk seals --pin-stdin` to read the PIN from standard input.",
        )
    )
    if demo.demo_key_exists():
        _out(translate("cli", "The demo key's PIN is {pin}.").format(pin=demo.DEMO_PIN))
    return EXIT_OK


# --- stamp ----------------------------------------------------------------------------------------
def _parse_pair(text: str, option: str) -> tuple[float, float]:
    """X,Y in millimetres (a Chinese comma is accepted too)."""
    import math

    try:
        x, y = (float(v) for v in text.replace("，", ",").split(","))
    except ValueError:
        x = y = math.nan
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidArgument(
            text,
            what=translate("cli", "{option} X,Y in millimetres, e.g. {option} 120,200").format(option=option),
        )
    return x, y


def _placement_from_args(args: argparse.Namespace):
    from .core.stamping import CrossPagePlacement, FieldPlacement, KeywordPlacement, SpotPlacement

    if args.field is not None:
        if args.cross_page or args.keyword or args.at or args.page is not None or args.pages:
            raise InvalidArgument(what=translate("cli", "--field places the seal by itself: no other placement"))
        return FieldPlacement(args.field)

    if args.page is not None and args.pages:
        raise InvalidArgument(what=translate("cli", "either --page or --pages, not both"))
    if args.page is not None and args.page < 1:
        raise InvalidArgument(what=translate("cli", "--page counts from 1"))
    pages = args.pages or (str(args.page) if args.page is not None else None)
    if args.at and (args.keyword or args.cross_page):
        raise InvalidArgument(
            what=translate("cli", "--at cannot be combined with --keyword or --cross-page (choose one placement)")
        )
    if args.cross_page:
        if args.page is not None:
            raise InvalidArgument(what=translate("cli", "a cross-page seal needs --pages (at least 2 pages)"))
        return CrossPagePlacement(pages=pages or "all", edge=args.edge, y_mm=args.y)
    if args.keyword:
        offset = _parse_pair(args.offset, "--offset") if args.offset else (0.0, 0.0)
        return KeywordPlacement(keyword=args.keyword, every=args.every, offset_mm=offset, pages=pages)
    if not args.at:
        raise InvalidArgument(what=translate("cli", "give --at X,Y (mm), --keyword TEXT or --cross-page"))
    return SpotPlacement(center_mm=_parse_pair(args.at, "--at"), pages=pages or "1")


def cmd_stamp(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .core.views import BatchStatus, collect_pdf_inputs

    with _application() as application:  # settings first: a damaged settings.json is said before anything
        inputs = collect_pdf_inputs(args.inputs)
        placement = _placement_from_args(args)
        out = Path(args.out) if args.out else None
        if out is not None and len(inputs) > 1 and not out.is_dir():
            raise InvalidArgument(what=translate("cli", "--out must be a folder when stamping several files"))
        folder = out if out is not None and out.is_dir() else None  # name.signed.pdf (numbered) in there
        batch = application.prepare_batch(
            inputs,
            placement,
            seal_query=args.seal,
            output=None if folder else out,
            output_dir=folder,
            approval_ref=args.approval,
            purpose=args.purpose,
            tsa_url=args.tsa,
            again=args.again,
        )
        total = len(batch.requests)

        def progress(line) -> None:
            if not args.json:
                _print_batch_line(line, total)

        for line in batch.refused_lines():
            progress(line)
        key = None
        pin = ""
        if batch.to_stamp:  # one PIN entry
            key = application.select_key(args.token)
            check_pin_state(key)
            application.check_key_for_batch(batch, key)  # an OFD needs an SM2 seal: said before the PIN
            pin = read_pin(args, translate("cli", "PIN for {label}: ").format(label=key.label))
        lines = application.run_batch(batch, key, pin, progress=progress)
        del pin
    failed = [line for line in lines if line.status is BatchStatus.FAILED]
    skipped = [line for line in lines if line.status is BatchStatus.SKIPPED]
    if args.json:
        _json_out(
            [
                {
                    "input": str(line.request.input_path),
                    "output": str(line.result.output_path) if line.result else None,
                    "record_id": line.result.record_id if line.result else None,
                    "skipped": line.error.detail if line.status is BatchStatus.SKIPPED else None,
                    "error": line.error.user_message(translate) if line.status is BatchStatus.FAILED else None,
                }
                for line in lines
            ]
        )
    elif len(lines) > 1:
        _out(
            translate("cli", "{ok} signed, {skipped} already stamped (skipped), {failed} failed.").format(
                ok=len(lines) - len(failed) - len(skipped), skipped=len(skipped), failed=len(failed)
            )
        )
    if failed:
        codes = {line.error.exit_code for line in failed}
        return codes.pop() if len(codes) == 1 else EXIT_MIXED_FAILURES
    return EXIT_OK


def _print_batch_line(line, total: int) -> None:
    """`[n/total] signed a.pdf → a.signed.pdf` (with its warnings), `skipped …` or `FAILED …` (stderr)."""
    from .core.views import BatchStatus

    src = line.request.input_path
    if line.status is BatchStatus.SIGNED:
        _out(
            translate("cli", "[{n}/{total}] signed {src} → {dst}").format(
                n=line.number, total=total, src=src, dst=line.result.output_path
            )
        )
        for warning in line.warnings:
            _out("  " + translate("cli", "Warning: {text}").format(text=warning.text(translate)))
    elif line.status is BatchStatus.SKIPPED:
        _out(
            translate("cli", "[{n}/{total}] skipped {src}: {reason}").format(
                n=line.number, total=total, src=src, reason=line.error.user_message(translate)
            )
        )
    else:
        _err(
            translate("cli", "[{n}/{total}] FAILED {src}: {error}").format(
                n=line.number, total=total, src=src, error=line.error.user_message(translate)
            )
        )


# --- verify ---------------------------------------------------------------------------------------
def cmd_verify(args: argparse.Namespace) -> int:
    with _application() as application:
        roots = application.trust_roots_reporting(args.trust or [], on_skip=_trust_skip_warning)
        report = application.verify(args.document, roots=roots).report
    if args.json:
        _json_out(report.to_json(translate))
    else:
        _print_verify_report(report)
    return EXIT_OK if report.all_valid else EXIT_VERIFY_FAILED


def _yes_no(value: bool | None) -> str:
    return translate("cli", "yes") if value else translate("cli", "no")


def _trust_problem_text(code: str) -> str:
    """What a trust problem means and what to do, instead of the validator's code."""
    from .core.verification import CONTEXT, trust_problem_text

    return translate(CONTEXT, trust_problem_text(code) or "")


def _picture_text(sig) -> str:
    """What the signature shows on the page, compared with its seal."""
    from .core.verification import CONTEXT, PICTURE_NOT_SHOWN

    if sig.picture_check == "match":
        return translate("cli", "the seal's picture")
    if sig.picture_check == "not_shown":
        return translate(CONTEXT, PICTURE_NOT_SHOWN)
    return translate("cli", "NOT the seal's picture") if sig.picture_check else "-"


def _local_time(moment) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "-"


def _print_verify_report(report) -> None:
    from .core.clock import utc_now
    from .core.verification import CONTEXT, VALID_FOR_ITS_TIME, WARNING_TEXTS, file_change_groups
    from .core.views import seal_status_text, signer_text

    for warning in report.warnings:
        _out(translate("cli", "Warning: {message}").format(message=translate(CONTEXT, WARNING_TEXTS[warning])))
    if not report.signatures:
        _out(translate("cli", "The document has no signatures."))
        return
    levels = {
        "none": translate("cli", "none"),
        "form_filling": translate("cli", "form filling"),
        "annotations": translate("cli", "annotations"),
        "other": translate("cli", "other changes"),
    }
    for number, sig in enumerate(report.signatures, start=1):
        _out(translate("cli", "Signature {n}: {field}").format(n=number, field=sig.field_name))
        _line(2, (translate("cli", "Signer"), signer_text(sig)))
        if sig.signer_org:
            _line(2, (translate("cli", "Organisation"), f"{sig.signer_org}"))
        if sig.has_seal:
            if sig.seal_id:
                _line(
                    2,
                    (
                        translate("cli", "Seal"),
                        f"{sig.seal_name} [{sig.seal_id}] — " + translate("seal-kinds", sig.seal_kind_name),
                    ),
                )
            _line(2, (translate("cli", "Seal verification"), seal_status_text(sig.seal_status, translate)))
            if sig.picture_check:
                _line(2, (translate("cli", "Picture on the page"), _picture_text(sig)))
        else:
            note = (
                translate("cli", "none — a signature without an electronic seal; the picture it shows is not a seal")
                if sig.draws_picture
                else translate("cli", "none — a signature without an electronic seal")
            )
            _line(2, (translate("cli", "Seal"), note))
        claimed = (
            ""
            if sig.timestamp_time
            else " " + translate("cli", "(claimed by the signer; no timestamp proves it)")
        )
        _line(2, (translate("cli", "Signing time"), _local_time(sig.signing_time) + claimed))
        if sig.timestamp_time:
            _line(2, (translate("cli", "Timestamp"), _local_time(sig.timestamp_time)))
        if sig.timestamp_problem:
            _line(2, (translate("cli", "Timestamp problem"), _trust_problem_text(sig.timestamp_problem)))
        _line(
            2,
            (translate("cli", "Intact"), f"{_yes_no(sig.intact)}"),
            (translate("cli", "Signature valid"), f"{_yes_no(sig.valid)}"),
        )
        coverage = {
            "entire_file": translate("cli", "the whole document"),
            "entire_revision": translate("cli", "the document as it was then (later revisions follow)"),
            "partial": translate("cli", "only part of the document"),
        }.get(sig.coverage, sig.coverage)
        _line(
            2,
            (translate("cli", "Covers"), coverage),
            (
                translate("cli", "Later changes"),
                f"{levels.get(sig.modification_level, sig.modification_level)}",
            ),
        )
        for text, files in file_change_groups(sig):  # OFD: which files changed after signing
            _line(2, (translate(CONTEXT, text), files))
        trust_note = f" — {_trust_problem_text(sig.trust_problem)}" if sig.trust_problem else ""
        _line(2, (translate("cli", "Trusted"), _yes_no(sig.trusted) + trust_note))
        _line(
            2,
            (translate("cli", "Certificate valid at signing time"), f"{_yes_no(sig.cert_valid_at_signing)}"),
        )
        verdict = translate("cli", "VALID") if sig.all_valid else translate("cli", "NOT VALID")
        if sig.all_valid and sig.expired_since(utc_now()):
            verdict += " — " + translate(CONTEXT, VALID_FOR_ITS_TIME)
        _line(2, (translate("cli", "Result"), verdict))


# --- usage log ------------------------------------------------------------------------------------
def _verify_log(args: argparse.Namespace) -> int:
    with _application() as application:
        key = pin = None
        if args.key or args.pin_stdin or args.token:  # the chain heads are private objects: one login
            key = application.select_key(args.token)
            pin = read_pin(args, translate("cli", "PIN for {label}: ").format(label=key.label))
        result = application.check_usage_log(key, pin)
        del pin
        roots = application.trust_roots_reporting(
            args.trust or [], on_skip=_trust_skip_warning, name_files=True
        )
        unverified = [h for h in application.check_log_holders(roots) if not h.trusted]
        if args.json:
            problems = [p.text(translate) if hasattr(p, "text") else str(p) for p in result.problems]
            _json_out(
                {
                    "ok": result.ok and not unverified,
                    "chain_ok": result.ok,
                    "checked": result.checked,
                    "problems": problems,
                    "warnings": [w.text(translate) for w in result.warnings],
                    "heads_checked": result.heads_checked,
                    "unverified_holders": [_holder_json(h) for h in unverified],
                }
            )
        else:
            _out(
                (
                    translate("cli", "Usage log intact: {n} records checked.")
                    if result.ok
                    else translate("cli", "Usage log NOT intact ({n} records checked):")
                ).format(n=result.checked)
            )
            for problem in result.problems:
                _out("  - " + (problem.text(translate) if hasattr(problem, "text") else str(problem)))
            for warning in result.warnings:
                _out(translate("cli", "Warning: {text}").format(text=warning.text(translate)))
            if key is None:
                _out(
                    translate(
                        "cli",
                        "Deleted newest records are only evident against the chain head on the key: run "
                        "`sealdesk log verify --key` (asks the key's PIN) to compare.",
                    )
                )
            _print_unverified_holders(unverified)
        return EXIT_OK if result.ok and not unverified else EXIT_VERIFY_FAILED


def cmd_log(args: argparse.Namespace) -> int:
    from .core.views import usage_records

    if args.log_command == "verify":
        return _verify_log(args)
    records = usage_records()  # no settings needed: a damaged settings.json does not hide the log
    if args.json:
        _json_out([r.to_json() for r in records])
        return EXIT_OK
    if not records:
        _out(translate("cli", "The usage log is empty."))
    for r in records:
        pages = ",".join(str(p.page) for p in r.placements)
        outcome = {"signed": translate("cli", "signed"), "void": translate("cli", "void (no output)")}.get(
            r.outcome, r.outcome
        )
        _out(
            translate("cli", "#{seq} {time} {outcome} {seal} [{seal_id}] {document}, pages {pages}").format(
                seq=r.seq,
                time=r.stamped_at,
                outcome=outcome,
                seal=r.seal_name,
                seal_id=r.seal_id,
                document=r.document_name,
                pages=pages,
            )
        )
        if r.approval_ref or r.purpose:
            _line(
                4,
                (translate("cli", "Approval"), f"{r.approval_ref or '-'}"),
                (translate("cli", "Purpose"), f"{r.purpose or '-'}"),
            )
    return EXIT_OK




def _holder_json(check: Any) -> dict[str, Any]:
    return {
        "result": "unverified_holder",
        "holder": check.holder,
        "subject": check.subject,
        "signer_cert_sha256": check.signer_cert_sha256,
        "records": len(check.record_ids),
        "record_ids": list(check.record_ids),
        "problem": check.problem,
    }


def _print_unverified_holders(unverified: Sequence[Any]) -> None:
    if not unverified:
        return
    _out(
        translate(
            "cli", "Not all records are verified: these holders' certificates do not chain to a trusted root:"
        )
    )
    for check in unverified:
        _out(
            "  - "
            + translate("cli", "unverified holder {holder} ({subject}): {n} records").format(
                holder=check.holder, subject=check.subject or "?", n=len(check.record_ids)
            )
        )
        _out("    " + translate("cli", "Technical detail: {detail}").format(detail=check.problem))  # validator's words
    _out(translate("cli", "Trust the issuing root with `sealdesk trust add FILE` if it is genuine."))


# --- parser ---------------------------------------------------------------------------------------
def _add_key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token", help=translate("cli", "serial number of the key to use"))
    parser.add_argument(
        "--pin-stdin", action="store_true", help=translate("cli", "read the PIN from standard input")
    )


def _add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=translate("cli", "machine-readable output"))


class _VersionAction(argparse.Action):
    """`sealdesk --version`: like argparse's version action, but the text is built only when asked for."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        from .core.about import about_text

        for line in about_text(translate).splitlines():
            _out(line)
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sealdesk",
        description=translate("cli", "SealDesk: stamp documents with the electronic seals on your USB key."),
        epilog=translate(
            "cli",
            "Exit codes: 0 success, 1 unexpected error, 2 invalid arguments, 3 key/PIN problem, "
            "4 seal/certificate/policy refusal, 5 document problem, 6 usage-log problem, 7 network, "
            "8 verification found a problem, 9 a batch had failures of different kinds, 130 cancelled.",
        ),
    )
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0,
        help=translate("cli", "show the versions of SealDesk and its components, the PKCS#11 modules found, and exit"),
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("tokens", help=translate("cli", "list detected USB keys"))
    p.add_argument(
        "--watch",
        action="store_true",
        help=translate("cli", "keep running and report keys inserted or removed"),
    )
    p.add_argument(
        "--interval", type=float, default=1.0, help=translate("cli", "seconds between checks for --watch")
    )
    p.add_argument("--seconds", type=float, help=translate("cli", "stop watching after this many seconds"))
    _add_json_argument(p)
    p.set_defaults(func=cmd_tokens)

    p = sub.add_parser("seals", help=translate("cli", "list the seals on a key, or inspect a seal file"))
    p.add_argument("--file", help=translate("cli", "inspect a seal file (.esl) instead of the key"))
    p.add_argument(
        "--import",
        dest="import_file",
        metavar="FILE",
        help=translate("cli", "verify a seal file (.esl) and store it on the key next to the key it binds"),
    )
    p.add_argument("--at", help=translate("cli", "verify as of this date (YYYY-MM-DD)"))
    p.add_argument(
        "--data", metavar="DOCUMENT", help=translate("cli", "with --file on a SES_Signature: the document it signed")
    )
    _add_key_arguments(p)
    _add_json_argument(p)
    p.set_defaults(func=cmd_seals)

    p = sub.add_parser("pin", help=translate("cli", "manage the key's PIN"))
    pin_sub = p.add_subparsers(dest="pin_command", required=True)
    pc = pin_sub.add_parser("change", help=translate("cli", "change the user PIN"))
    pc.add_argument("--token", help=translate("cli", "serial number of the key to use"))
    pc.add_argument(
        "--pin-stdin",
        action="store_true",
        help=translate("cli", "read current, new and repeated PIN as three lines from stdin"),
    )
    pc.set_defaults(func=cmd_pin_change)

    p = sub.add_parser("demo-key", help=translate("cli", "(re)create the demo key in your data folder"))
    p.set_defaults(func=cmd_demo_key)

    p = sub.add_parser("stamp", help=translate("cli", "stamp and sign PDF files with a seal from the key"))
    p.add_argument("inputs", nargs="+", help=translate("cli", "PDF files or folders"))
    p.add_argument("--seal", required=True, help=translate("cli", "seal ID (or seal name) on the key"))
    p.add_argument("--page", type=int, help=translate("cli", "page number (1-based)"))
    p.add_argument("--pages", help=translate("cli", "page list, e.g. 1-3,5,-1"))
    p.add_argument(
        "--at", help=translate("cli", "centre of the seal: X,Y in mm from the page's top-left corner")
    )
    p.add_argument("--keyword", help=translate("cli", "centre the seal on this text"))
    p.add_argument(
        "--every",
        action="store_true",
        help=translate("cli", "stamp every match of the keyword, not only the first"),
    )
    p.add_argument("--offset", help=translate("cli", "move the seal from the keyword by DX,DY mm"))
    p.add_argument(
        "--cross-page", action="store_true", help=translate("cli", "cross-page seal (骑缝章) over the pages")
    )
    p.add_argument(
        "--edge",
        choices=["right", "left"],
        default="right",
        help=translate("cli", "edge for the cross-page seal"),
    )
    p.add_argument(
        "--y", type=float, help=translate("cli", "vertical centre of the cross-page seal in mm from the top")
    )
    p.add_argument(
        "--field", help=translate("cli", "sign into this existing empty signature field (seal centred in it)")
    )
    p.add_argument("--out", help=translate("cli", "output file (or folder for several inputs)"))
    p.add_argument("--approval", help=translate("cli", "approval reference (用印审批号)"))
    p.add_argument("--purpose", help=translate("cli", "purpose of the stamping"))
    p.add_argument("--tsa", help=translate("cli", "timestamp authority URL (PAdES B-T)"))
    p.add_argument(
        "--again",
        action="store_true",
        help=translate(
            "cli",
            "stamp files whose output already holds this seal's stamping anyway (to the next free name); "
            "without it they are skipped",
        ),
    )
    _add_key_arguments(p)
    _add_json_argument(p)
    p.set_defaults(func=cmd_stamp)

    p = sub.add_parser("verify", help=translate("cli", "verify the signatures and seals in a PDF or OFD document"))
    p.add_argument("document", help=translate("cli", "PDF or OFD file"))
    p.add_argument(
        "--trust",
        action="append",
        help=translate("cli", "trust this root certificate (PEM or DER); repeatable"),
    )
    _add_json_argument(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "export-ses",
        help=translate("cli", "write a GB/T 38540 SES_Signature over a document stamped with a seal of the key"),
    )
    p.add_argument("document", help=translate("cli", "the stamped document (PDF)"))
    p.add_argument("--seal", help=translate("cli", "the seal (ID or name) when several seals of the key stamped it"))
    p.add_argument("--out", help=translate("cli", "output file (default: the document's name + .ses)"))
    _add_key_arguments(p)
    _add_json_argument(p)
    p.set_defaults(func=cmd_export_ses)

    p = sub.add_parser("trust", help=translate("cli", "manage the root certificates trusted when verifying"))
    p.add_argument("trust_command", nargs="?", choices=["list", "add", "remove"], default="list")
    p.add_argument(
        "target",
        nargs="?",
        help=translate("cli", "certificate file (add); fingerprint prefix or file name (remove)"),
    )
    _add_json_argument(p)
    p.set_defaults(func=cmd_trust)

    p = sub.add_parser("log", help=translate("cli", "show or check the usage log (用印登记)"))
    p.add_argument("log_command", nargs="?", choices=["list", "verify"], default="list")
    p.add_argument(
        "--key",
        action="store_true",
        help=translate("cli", "verify: also compare with the chain head on the key (asks the PIN)"),
    )
    _add_key_arguments(p)
    p.add_argument(
        "--trust",
        action="append",
        help=translate("cli", "trust this root certificate (PEM or DER); repeatable"),
    )
    _add_json_argument(p)
    p.set_defaults(func=cmd_log)

    p = sub.add_parser(
        "start", help=translate("cli", "first-run flow: demo key when no key is present, list keys and seals")
    )
    p.set_defaults(func=cmd_start)

    from .cli_city import add_parsers as add_city_parsers  # register, sync, city

    add_city_parsers(sub)
    return parser


ARGPARSE_MESSAGES = (
    QT_TRANSLATE_NOOP("argparse", "usage: "),
    QT_TRANSLATE_NOOP("argparse", "positional arguments"),
    QT_TRANSLATE_NOOP("argparse", "options"),
    QT_TRANSLATE_NOOP("argparse", "show this help message and exit"),
    QT_TRANSLATE_NOOP("argparse", "the following arguments are required: %s"),
    QT_TRANSLATE_NOOP("argparse", "%(prog)s: error: %(message)s\n"),
    QT_TRANSLATE_NOOP("argparse", "invalid choice: %(value)r (choose from %(choices)s)"),
    QT_TRANSLATE_NOOP("argparse", "unrecognized arguments: %s"),
    QT_TRANSLATE_NOOP("argparse", "argument %(argument_name)s: %(message)s"),
    QT_TRANSLATE_NOOP("argparse", "expected one argument"),
    QT_TRANSLATE_NOOP("argparse", "invalid %(type)s value: %(value)r"),
    QT_TRANSLATE_NOOP("argparse", "ambiguous option: %(option)s could match %(matches)s"),
    QT_TRANSLATE_NOOP("argparse", "not allowed with argument %s"),
)
"""argparse's own messages (Python 3.11 wording), so usage errors and --help read in the UI language."""


def _translate_argparse() -> None:
    """argparse looks its messages up through the module-level `_`; route that to our catalogue."""
    argparse._ = lambda text: translate("argparse", text)  # type: ignore[attr-defined]


def _quiet_libraries() -> None:
    """pyHanko logs tracebacks for findings we already report as results; keep them for SEALDESK_DEBUG."""
    import logging
    import os

    if not os.environ.get("SEALDESK_DEBUG"):
        logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
        logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
        logging.getLogger("app").setLevel(logging.ERROR)  # what matters reaches the user as a message


class _Parser(argparse.ArgumentParser):
    """argparse that answers usage errors in JSON when the command line asks for --json."""

    json_errors = False

    def error(self, message: str):  # type: ignore[override]
        if _Parser.json_errors:
            err = InvalidArgument(message, what=message)
            _json_out(json_error_payload(err))
            sys.exit(2)
        super().error(message)


def _command_name(args: argparse.Namespace) -> str:
    """The sub-command (and its sub-command) only: never an argument value (it could be a PIN or a file)."""
    parts = [str(getattr(args, "command", "") or "")]
    for attr in ("pin_command", "trust_command", "log_command"):
        value = getattr(args, attr, None)
        if value:
            parts.append(str(value))
    return " ".join(p for p in parts if p)


def _report_error(args: argparse.Namespace | None, err: SealDeskError) -> None:
    if args is not None and getattr(args, "json", False):
        _json_out(json_error_payload(err))
    else:
        _err(translate("cli", "Error: {message}").format(message=err.user_message(translate)))


def _silence_stdout() -> None:
    """After a broken pipe (`sealdesk log | head`): point stdout at /dev/null so that the interpreter's last
    flush cannot raise again and print a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _crashed(args: argparse.Namespace, exc: BaseException) -> int:
    """A bug: write a crash report and say where it is; exit code 1 is kept for this."""
    from .core.crash import write_crash_report

    if os.environ.get("SEALDESK_DEBUG"):  # developers see the whole traceback, message included
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    try:
        report = shown(write_crash_report(_command_name(args), exc))
        text = translate(
            "cli", "An unexpected error occurred (a bug in SealDesk). A crash report was written to {path}."
        ).format(path=report)
    except OSError:
        text = translate(
            "cli", "An unexpected error occurred (a bug in SealDesk). No crash report could be written."
        )
    if getattr(args, "json", False):
        _json_out({"error": {"code": "unexpected", "message": text}})
    else:
        _err(translate("cli", "Error: {message}").format(message=text))
    return EXIT_UNEXPECTED


def _warn_unknown_settings() -> None:
    """Settings keys this version does not know are kept but named once, so a typo does not go unnoticed."""
    from .core.settings import load_settings

    try:
        settings = load_settings()
    except SealDeskError:
        return  # the command that needs the settings reports it
    for key in sorted(settings.extra):
        _err(translate("cli", "Warning: the setting “{key}” in settings.json is unknown and ignored.").format(key=key))



def _settings_language() -> None:
    """settings.json's `language` wins over SEALDESK_LANG (a damaged file is reported by the command)."""
    from .core.settings import load_settings
    from .i18n import set_language

    try:
        set_language(load_settings().language)
    except SealDeskError:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_libraries()
    _settings_language()
    _translate_argparse()
    argv = list(sys.argv[1:] if argv is None else argv)
    _Parser.json_errors = "--json" in argv
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command; every way it can end becomes a message and an exit code (never a traceback)."""
    try:
        _warn_unknown_settings()
        return int(args.func(args) or 0)
    except SealDeskError as exc:
        _report_error(args, exc)
        return exc.exit_code
    except KeyboardInterrupt:
        from .core.errors import Cancelled

        if getattr(args, "json", False):
            _report_error(args, Cancelled())
        else:
            _err(translate("cli", "Cancelled."))
        return 130
    except BrokenPipeError:
        raise
    except OSError as exc:
        if exc.filename is None:
            return _crashed(args, exc)
        # the OS refused a path the user gave (no permission, not a folder …): not a bug, say which and why
        from .core.errors import PathUnusable, os_reason

        err = PathUnusable(str(exc), path=os.fsdecode(exc.filename), reason=os_reason(exc))
        _report_error(args, err)
        return err.exit_code
    except Exception as exc:  # noqa: BLE001 - a bug: report it, never a bare traceback
        return _crashed(args, exc)


def run() -> None:
    """Console-script entry: run `main`, then leave without the interpreter's module tear-down.

    Every command closes what it opened (usage log, key sessions, files) before returning, so after
    flushing the output nothing is left for atexit handlers or garbage collection to do; skipping the
    tear-down of pyHanko, PyMuPDF and the PKCS#11 module saves ~50–100 ms per run (docs/performance.md).
    An unexpected exception still propagates normally with its traceback.
    """
    import contextlib
    import os

    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left before the last buffered line
        code = code or EXIT_BROKEN_PIPE
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
