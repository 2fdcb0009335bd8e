"""The `sealdesk` command line. It only drives the core; every step of the work lives in app/core.

Exit codes:
  0 success · 1 unexpected error · 2 invalid arguments · 3 key/PIN problem · 4 seal, certificate or policy
  refusal · 5 document problem · 6 usage-log problem · 7 network · 8 verification found a problem ·
  9 a batch had failures of different kinds · 130 cancelled
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .core.errors import DocumentNotFound, FileRejected, InvalidArgument, PinMismatch, SealDeskError
from .core.i18n_marks import QT_TRANSLATE_NOOP
from .i18n import translate

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_VERIFY_FAILED = 8
EXIT_MIXED_FAILURES = 9


def _out(text: str = "") -> None:
    print(text)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _line(indent: int, *pairs: tuple[str, str]) -> None:
    """One output line of translated "label: value" pairs."""
    template = translate("cli", "{label}: {value}")
    _out(" " * indent + "   ".join(template.format(label=label, value=value) for label, value in pairs))


def _json_out(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


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


# --- shared helpers -------------------------------------------------------------------------------
def _manager(settings=None):
    from .core.settings import load_settings
    from .core.tokens import TokenManager

    settings = settings or load_settings()
    return TokenManager(extra_modules=settings.extra_modules)


def _pick_token(manager, serial: str | None, label: str | None = None):
    from .core.errors import NoTokenPresent

    if serial or label:
        return manager.find_token(serial=serial, label=label)
    tokens = manager.tokens()
    if not tokens:
        raise NoTokenPresent()
    real = [t for t in tokens if not _is_demo(t)]
    return (real or tokens)[0]


def _is_demo(token) -> bool:
    from .core.demo import DEMO_LABEL

    return token.label == DEMO_LABEL


def _pin_state_text(state: str) -> str:
    return {
        "ok": translate("cli", "ok"),
        "count_low": translate("cli", "wrong PIN entered before — few tries left"),
        "final_try": translate("cli", "final try — one more wrong PIN locks the key"),
        "locked": translate("cli", "locked"),
        "must_change": translate("cli", "must be changed"),
    }.get(str(state), str(state))


def _date(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d") if value else "-"


# --- tokens ---------------------------------------------------------------------------------------
def _watch_tokens(args: argparse.Namespace) -> int:
    """Print key insertions and removals as they happen (Ctrl-C, or --seconds, ends it)."""
    import threading

    from .core.tokens import TokenWatcher

    manager = _manager()

    def inserted(token) -> None:
        _out(
            translate("cli", "Key inserted: {label} [{serial}]").format(
                label=token.label, serial=token.serial
            )
        )
        sys.stdout.flush()

    def removed(token) -> None:
        _out(
            translate("cli", "Key removed: {label} [{serial}]").format(label=token.label, serial=token.serial)
        )
        sys.stdout.flush()

    watcher = TokenWatcher(manager, inserted, removed, interval=args.interval)
    stop = threading.Event()
    try:
        watcher.start()
        stop.wait(args.seconds if args.seconds else None)
    finally:
        watcher.stop()
        manager.close()
    return EXIT_OK


def cmd_tokens(args: argparse.Namespace) -> int:
    if args.watch:
        return _watch_tokens(args)
    manager = _manager()
    try:
        modules = manager.modules()
        tokens = manager.tokens()
    finally:
        manager.close()
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
        _line(2, (translate("cli", "PIN state"), f"{_pin_state_text(t.pin_state)}"))
    return EXIT_OK


# --- seals ----------------------------------------------------------------------------------------
def _seal_row(seal, check, cert_der: bytes | None, clock) -> dict:
    from .core.certs import summarize

    maker = summarize(seal.maker_cert)
    row: dict[str, Any] = {
        "seal_id": seal.es_id,
        "name": seal.name,
        "version": seal.version,
        "kind": seal.kind.category.value,
        "kind_name": translate("seal-kinds", seal.kind.name),
        "type": seal.type,
        "picture": {
            "type": seal.picture.type,
            "width_mm": seal.picture.width_mm,
            "height_mm": seal.picture.height_mm,
        },
        "valid_from": seal.valid_start.isoformat(),
        "valid_to": seal.valid_end.isoformat(),
        "maker": maker.subject,
        "verification": check.status,
        "problems": [p.user_message(translate) for p in check.problems],
        "expiring_soon": 0 <= (seal.valid_end - clock()).days < 90,
    }
    if cert_der:
        cert = summarize(cert_der)
        row["certificate"] = {
            "subject": cert.subject,
            "serial": cert.serial_hex,
            "issuer": cert.issuer,
            "valid_from": cert.not_before.isoformat(),
            "valid_to": cert.not_after.isoformat(),
            "algorithm": cert.algorithm,
            "days_to_expiry": cert.days_to_expiry(clock),
            "expiring_soon": cert.expiring_soon(clock),
        }
    return row


def _seal_status_text(status: str | None) -> str:
    return {
        "valid": translate("cli", "valid"),
        "expired": translate("cli", "expired"),
        "not_yet_valid": translate("cli", "not yet valid"),
        "invalid": translate("cli", "INVALID"),
        "not_bound": translate("cli", "not bound to this certificate"),
        "untrusted_maker": translate("cli", "made by an untrusted seal maker"),
    }.get(status or "", status or "-")


def _print_seal_row(row: dict) -> None:
    status_text = _seal_status_text(row["verification"])
    _out(f"{row['name']}  [{row['seal_id']}]")
    _line(
        2,
        (translate("cli", "Kind"), f"{row['kind_name']} ({row['type']})"),
        (translate("cli", "Format version"), f"{row['version']}"),
    )
    pic = row["picture"]
    _line(2, (translate("cli", "Picture"), f"{pic['type']} {pic['width_mm']:g} × {pic['height_mm']:g} mm"))
    _line(2, (translate("cli", "Valid"), f"{row['valid_from'][:10]} – {row['valid_to'][:10]}"))
    _line(2, (translate("cli", "Maker"), f"{row['maker']}"))
    _line(2, (translate("cli", "Verification"), f"{status_text}"))
    for problem in row["problems"]:
        _out(f"    - {problem}")
    if row.get("expiring_soon"):
        _out("  " + translate("cli", "Warning: the seal expires within 90 days."))
    cert = row.get("certificate")
    if cert:
        _line(2, (translate("cli", "Certificate"), f"{cert['subject']}"))
        _line(
            4,
            (translate("cli", "Serial"), f"{cert['serial']}"),
            (translate("cli", "Algorithm"), f"{cert['algorithm']}"),
        )
        _line(4, (translate("cli", "Issuer"), f"{cert['issuer']}"))
        _line(
            4,
            (translate("cli", "Valid"), f"{cert['valid_from'][:10]} – {cert['valid_to'][:10]}"),
            (translate("cli", "Days to expiry"), str(cert["days_to_expiry"])),
        )
        if cert["expiring_soon"]:
            _out("    " + translate("cli", "Warning: the certificate expires within 90 days."))


def _clock_from_args(args: argparse.Namespace):
    from .core.clock import fixed_clock, utc_now

    if getattr(args, "at", None):
        try:
            moment = datetime.fromisoformat(args.at)
        except ValueError as exc:
            raise InvalidArgument(str(exc), what="--at") from exc
        return fixed_clock(moment)
    return utc_now


def _read_file(path: str) -> bytes:
    from pathlib import Path

    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise InvalidArgument(str(exc), what=path) from exc


def cmd_seals(args: argparse.Namespace) -> int:
    from .core.seals import import_seal_file, key_seals
    from .core.ses import parse_seal, verify_seal

    clock = _clock_from_args(args)
    rows = []
    if args.file and not args.import_file:
        try:
            seal = parse_seal(_read_file(args.file))
        except SealDeskError as exc:
            raise FileRejected(args.file, exc) from exc
        cert = seal.certs[0] if seal.certs else None
        rows.append(_seal_row(seal, verify_seal(seal, clock=clock), cert, clock))
    else:
        manager = _manager()
        try:
            token = _pick_token(manager, args.token)
            if _is_demo(token):
                _err(translate("cli", "Demo key: its PIN is 123456. Change it with `sealdesk pin change`."))
            pin = read_pin(args, translate("cli", "PIN for {label}: ").format(label=token.label))
            with manager.open_session(token, pin) as session:
                del pin
                if args.import_file:
                    try:
                        imported = import_seal_file(session, _read_file(args.import_file), clock=clock)
                    except SealDeskError as exc:
                        raise FileRejected(args.import_file, exc) from exc
                    _err(
                        translate("cli", "Seal “{name}” imported onto the key.").format(
                            name=imported.seal.name
                        )
                    )
                for item in key_seals(session, clock=clock):
                    if item.error is not None:
                        _err(
                            translate(
                                "cli", "A seal object on the key is unreadable ({label}): {error}"
                            ).format(label=item.label, error=item.error.user_message(translate))
                        )
                        continue
                    rows.append(_seal_row(item.seal, item.check, item.certificate, clock))
        finally:
            manager.close()
    if args.json:
        _json_out(rows)
    elif not rows:
        _out(translate("cli", "No seals on this key."))
    else:
        for row in rows:
            _print_seal_row(row)
    return EXIT_OK


# --- trust store ----------------------------------------------------------------------------------
def cmd_trust(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .core import truststore

    if args.trust_command in ("add", "remove") and not args.target:
        raise InvalidArgument(what=translate("cli", "a certificate file or fingerprint"))
    if args.trust_command == "add":
        try:
            added = truststore.add_root(Path(args.target))
        except SealDeskError as exc:
            raise FileRejected(args.target, exc) from exc
        for summary in added:
            _out(
                translate("cli", "Trusted: {subject} [{fingerprint}]").format(
                    subject=summary.subject, fingerprint=summary.sha256[:16]
                )
            )
        return EXIT_OK
    if args.trust_command == "remove":
        summary = truststore.remove_root(args.target)
        _out(translate("cli", "No longer trusted: {subject}").format(subject=summary.subject))
        return EXIT_OK
    roots = truststore.list_roots()
    if args.json:
        _json_out(
            [{"subject": r.subject, "sha256": r.sha256, "valid_to": r.not_after.isoformat()} for r in roots]
        )
    elif not roots:
        _out(translate("cli", "No trusted root certificates. Add one with `sealdesk trust add FILE`."))
    for r in roots if not args.json else ():
        _out(f"{r.sha256[:16]}  {r.subject}  ({r.not_after.date()})")
    return EXIT_OK


# --- pin change -----------------------------------------------------------------------------------
def cmd_pin_change(args: argparse.Namespace) -> int:
    manager = _manager()
    try:
        token = _pick_token(manager, args.token)
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
        manager.change_pin(token, old, new)
    finally:
        manager.close()
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
    return EXIT_OK


# --- start (what `make run` calls until the GUI exists) --------------------------------------------
def cmd_start(args: argparse.Namespace) -> int:
    from .core import demo

    manager = _manager()
    try:
        real = [t for t in manager.tokens() if not _is_demo(t)]
    finally:
        manager.close()
    if not real and not demo.demo_key_exists():
        _out(translate("cli", "No USB key found: creating the demo key (SoftHSM) with three seals…"))
        demo.create_demo_key()
    cmd_tokens(build_parser().parse_args(["tokens"]))
    if sys.stdin.isatty():
        _out()
        return cmd_seals(build_parser().parse_args(["seals"]))
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


def _collect_inputs(paths: Sequence[str]) -> list:
    from pathlib import Path

    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                p for p in sorted(path.iterdir()) if p.suffix.lower() == ".pdf" and ".signed" not in p.name
            )
        else:
            files.append(path)
    if not files:
        raise InvalidArgument(what=translate("cli", "no PDF files given"))
    return files


def _placement_from_args(args: argparse.Namespace):
    from .core.stamping import CrossPagePlacement, KeywordPlacement, SpotPlacement

    if args.page is not None and args.pages:
        raise InvalidArgument(what=translate("cli", "either --page or --pages, not both"))
    if args.page is not None and args.page < 1:
        raise InvalidArgument(what=translate("cli", "--page counts from 1"))
    pages = args.pages or (str(args.page) if args.page is not None else None)
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

    from .core.policy import PolicySettings
    from .core.settings import load_settings
    from .core.stamping import Stamper, StampOptions, StampRequest
    from .core.usage.log import UsageLog

    settings = load_settings()
    inputs = _collect_inputs(args.inputs)
    for path in inputs:  # a typo should not cost a PIN entry
        if not path.is_file():
            raise DocumentNotFound(str(path), name=str(path))
    placement = _placement_from_args(args)
    out = Path(args.out) if args.out else None
    if out is not None and len(inputs) > 1 and not out.is_dir():
        raise InvalidArgument(what=translate("cli", "--out must be a folder when stamping several files"))

    def output_for(path: Path):
        if out is None:
            return None
        return out / f"{path.stem}.signed{path.suffix}" if out.is_dir() else out

    requests = [
        StampRequest(p, placement, output_for(p), approval_ref=args.approval, purpose=args.purpose)
        for p in inputs
    ]
    options = StampOptions(
        tsa_url=args.tsa or settings.tsa_url or None,
        hash_name=settings.hash_name,
        policy=PolicySettings(require_approval_for_official=settings.require_approval_for_official),
    )
    manager = _manager(settings)
    log = UsageLog()
    results = []
    try:
        token = _pick_token(manager, args.token)
        pin = read_pin(args, translate("cli", "PIN for {label}: ").format(label=token.label))
        with manager.open_session(token, pin) as session:
            del pin
            stamper = Stamper(session, args.seal, usage_log=log, options=options)

            def progress(number, total, request, result, error):
                if result is not None:
                    line = translate("cli", "[{n}/{total}] signed {src} → {dst}").format(
                        n=number, total=total, src=request.input_path, dst=result.output_path
                    )
                    _out(line)
                    for warning in result.warnings:
                        _out(
                            "  "
                            + translate("cli", "Warning: {text}").format(text=warning.text(translate))
                        )
                else:
                    _err(
                        translate("cli", "[{n}/{total}] FAILED {src}: {error}").format(
                            n=number, total=total, src=request.input_path, error=error.user_message(translate)
                        )
                    )

            results = stamper.stamp_batch(requests, progress=None if args.json else progress)
    finally:
        log.close()
        manager.close()
    failed = [item for item in results if item.error is not None]
    if args.json:
        _json_out(
            [
                {
                    "input": str(item.request.input_path),
                    "output": str(item.result.output_path) if item.result else None,
                    "record_id": item.result.record_id if item.result else None,
                    "error": item.error.user_message(translate) if item.error else None,
                }
                for item in results
            ]
        )
    elif len(results) > 1:
        _out(
            translate("cli", "{ok} signed, {failed} failed.").format(
                ok=len(results) - len(failed), failed=len(failed)
            )
        )
    if failed:
        codes = {item.error.exit_code for item in failed}
        return codes.pop() if len(codes) == 1 else EXIT_MIXED_FAILURES
    return EXIT_OK


# --- verify ---------------------------------------------------------------------------------------
def cmd_verify(args: argparse.Namespace) -> int:
    from .core import truststore
    from .core.settings import load_settings
    from .core.verification import verify_document

    settings = load_settings()
    roots = truststore.trusted_roots(settings.trust_roots)
    for path in args.trust or []:
        roots.extend(truststore.load_certificates(_read_file(path)))
    report = verify_document(args.document, trust_roots=roots)
    if args.json:
        _json_out(report.to_json())
    else:
        _print_verify_report(report)
    return EXIT_OK if report.all_valid else EXIT_VERIFY_FAILED


def _yes_no(value: bool | None) -> str:
    return translate("cli", "yes") if value else translate("cli", "no")


def _trust_problem_text(code: str) -> str:
    """What a trust problem means and what to do, instead of the validator's code."""
    texts = {
        "document_altered": translate("cli", "the document was changed after it was signed"),
        "signature_invalid": translate("cli", "the signature value does not match the certificate"),
        "revoked": translate("cli", "the certificate has been revoked"),
        "NO_CERTIFICATE_CHAIN_FOUND": translate(
            "cli",
            "the certificate does not lead to a trusted root; if you trust its issuer, add the root "
            "with `sealdesk trust add ROOT.pem`",
        ),
        "no_trusted_path": translate(
            "cli",
            "the certificate does not lead to a trusted root; if you trust its issuer, add the root "
            "with `sealdesk trust add ROOT.pem`",
        ),
        "OUT_OF_BOUNDS_NO_POE": translate("cli", "the certificate was not valid at the signing time"),
        "NOT_YET_VALID": translate("cli", "the certificate was not yet valid at the signing time"),
        "EXPIRED": translate("cli", "the certificate had expired at the signing time"),
    }
    return texts.get(code, code)


def _subject_text(sig) -> str:
    """The signer as `seals` shows certificates (C=…, O=…, CN=…)."""
    from .core.certs import summarize
    from .core.errors import CertificateInvalid

    try:
        return summarize(sig.signer_cert).subject if sig.signer_cert else sig.signer_subject
    except CertificateInvalid:
        return sig.signer_subject


def _local_time(moment) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "-"


def _print_verify_report(report) -> None:
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
        _line(2, (translate("cli", "Signer"), _subject_text(sig)))
        if sig.signer_org:
            _line(2, (translate("cli", "Organisation"), f"{sig.signer_org}"))
        if sig.seal_id:
            _line(
                2,
                (
                    translate("cli", "Seal"),
                    f"{sig.seal_name} [{sig.seal_id}] — " + translate("seal-kinds", sig.seal_kind_name),
                ),
            )
            _line(2, (translate("cli", "Seal verification"), _seal_status_text(sig.seal_status)))
        claimed = (
            ""
            if sig.timestamp_time
            else " " + translate("cli", "(claimed by the signer; no timestamp proves it)")
        )
        _line(2, (translate("cli", "Signing time"), _local_time(sig.signing_time) + claimed))
        if sig.timestamp_time:
            _line(2, (translate("cli", "Timestamp"), _local_time(sig.timestamp_time)))
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
        trust_note = f" — {_trust_problem_text(sig.trust_problem)}" if sig.trust_problem else ""
        _line(2, (translate("cli", "Trusted"), _yes_no(sig.trusted) + trust_note))
        _line(
            2,
            (translate("cli", "Certificate valid at signing time"), f"{_yes_no(sig.cert_valid_at_signing)}"),
        )
        verdict = translate("cli", "VALID") if sig.all_valid else translate("cli", "NOT VALID")
        _line(2, (translate("cli", "Result"), verdict))


# --- usage log ------------------------------------------------------------------------------------
def cmd_log(args: argparse.Namespace) -> int:
    from .core.usage.log import UsageLog

    log = UsageLog()
    try:
        if args.log_command == "verify":
            result = log.verify()
            if args.json:
                _json_out({"ok": result.ok, "checked": result.checked, "problems": list(result.problems)})
            else:
                _out(
                    (
                        translate("cli", "Usage log intact: {n} records checked.")
                        if result.ok
                        else translate("cli", "Usage log NOT intact ({n} records checked):")
                    ).format(n=result.checked)
                )
                for problem in result.problems:
                    _out(f"  - {problem}")
            return EXIT_OK if result.ok else EXIT_VERIFY_FAILED
        records = log.records()
    finally:
        log.close()
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


# --- parser ---------------------------------------------------------------------------------------
def _add_key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token", help=translate("cli", "serial number of the key to use"))
    parser.add_argument(
        "--pin-stdin", action="store_true", help=translate("cli", "read the PIN from standard input")
    )


def _add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=translate("cli", "machine-readable output"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sealdesk",
        description=translate("cli", "SealDesk: stamp documents with the electronic seals on your USB key."),
        epilog=translate(
            "cli",
            "Exit codes: 0 success, 1 unexpected error, 2 invalid arguments, 3 key/PIN problem, "
            "4 seal/certificate/policy refusal, 5 document problem, 6 usage-log problem, 7 network, "
            "8 verification found a problem, 9 a batch had failures of different kinds, 130 cancelled.",
        ),
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
    p.add_argument("--out", help=translate("cli", "output file (or folder for several inputs)"))
    p.add_argument("--approval", help=translate("cli", "approval reference (用印审批号)"))
    p.add_argument("--purpose", help=translate("cli", "purpose of the stamping"))
    p.add_argument("--tsa", help=translate("cli", "timestamp authority URL (PAdES B-T)"))
    _add_key_arguments(p)
    _add_json_argument(p)
    p.set_defaults(func=cmd_stamp)

    p = sub.add_parser("verify", help=translate("cli", "verify the signatures and seals in a PDF"))
    p.add_argument("document", help=translate("cli", "PDF file"))
    p.add_argument(
        "--trust",
        action="append",
        help=translate("cli", "trust this root certificate (PEM or DER); repeatable"),
    )
    _add_json_argument(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("trust", help=translate("cli", "manage the root certificates trusted when verifying"))
    p.add_argument("trust_command", nargs="?", choices=["list", "add", "remove"], default="list")
    p.add_argument(
        "target", nargs="?", help=translate("cli", "certificate file (add) or fingerprint prefix (remove)")
    )
    _add_json_argument(p)
    p.set_defaults(func=cmd_trust)

    p = sub.add_parser("log", help=translate("cli", "show or check the usage log (用印登记)"))
    p.add_argument("log_command", nargs="?", choices=["list", "verify"], default="list")
    _add_json_argument(p)
    p.set_defaults(func=cmd_log)

    p = sub.add_parser(
        "start", help=translate("cli", "first-run flow: demo key when no key is present, list keys and seals")
    )
    p.set_defaults(func=cmd_start)
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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SealDeskError as exc:
        _err(translate("cli", "Error: {message}").format(message=exc.user_message(translate)))
        return exc.exit_code
    except KeyboardInterrupt:
        _err(translate("cli", "Cancelled."))
        return 130


def run() -> None:
    """Console-script entry: run `main`, then leave without the interpreter's module tear-down.

    Every command closes what it opened (usage log, key sessions, files) before returning, so after
    flushing the output nothing is left for atexit handlers or garbage collection to do; skipping the
    tear-down of pyHanko, PyMuPDF and the PKCS#11 module saves ~50–100 ms per run (docs/performance.md).
    An unexpected exception still propagates normally with its traceback.
    """
    import os

    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
