"""The `sealdesk` command line. It only drives the core; every step of the work lives in app/core.

Exit codes:
  0 success · 1 unexpected error · 2 invalid arguments · 3 key/PIN problem · 4 seal, certificate or policy
  refusal · 5 document problem · 6 usage-log problem · 7 network · 8 verification found a problem ·
  130 cancelled
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .core.errors import InvalidArgument, PinMismatch, SealDeskError
from .i18n import translate

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_VERIFY_FAILED = 8


def _t(text: str) -> str:
    return translate("cli", text)


def _out(text: str = "") -> None:
    print(text)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _json_out(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# --- PIN input ------------------------------------------------------------------------------------
def read_pin(args: argparse.Namespace, prompt: str) -> str:
    """Ask for a PIN without echo, or read one line from stdin with --pin-stdin. Never logged."""
    if getattr(args, "pin_stdin", False):
        line = sys.stdin.readline()
        pin = line.rstrip("\r\n")
    else:
        pin = getpass.getpass(prompt)
    if not pin:
        raise InvalidArgument(what=_t("empty PIN"))
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
        "ok": _t("ok"),
        "count_low": _t("wrong PIN entered before — few tries left"),
        "final_try": _t("final try — one more wrong PIN locks the key"),
        "locked": _t("locked"),
        "must_change": _t("must be changed"),
    }.get(str(state), str(state))


def _date(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d") if value else "-"


# --- tokens ---------------------------------------------------------------------------------------
def cmd_tokens(args: argparse.Namespace) -> int:
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
            _err(_t("Driver not loaded: {path} — {error}").format(path=m.path, error=m.error.user_message(translate)))
    if not tokens:
        _out(_t("No USB key found. Run `sealdesk demo-key` to create the demo key."))
        return EXIT_OK
    for t in tokens:
        _out(f"{t.label}  [{t.serial}]")
        _out(f"  {_t('Manufacturer')}: {t.manufacturer}   {_t('Model')}: {t.model}")
        _out(f"  {_t('Driver')}: {t.module_name} ({t.module_path})   {_t('Slot')}: {t.slot_id}")
        _out(f"  {_t('PIN state')}: {_pin_state_text(t.pin_state)}")
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


def _print_seal_row(row: dict) -> None:
    status_text = {
        "valid": _t("valid"),
        "expired": _t("expired"),
        "not_yet_valid": _t("not yet valid"),
        "invalid": _t("INVALID"),
        "not_bound": _t("not bound to this certificate"),
    }.get(row["verification"], row["verification"])
    _out(f"{row['name']}  [{row['seal_id']}]")
    _out(f"  {_t('Kind')}: {row['kind_name']} ({row['type']})   {_t('Format version')}: {row['version']}")
    pic = row["picture"]
    _out(f"  {_t('Picture')}: {pic['type']} {pic['width_mm']:g} × {pic['height_mm']:g} mm")
    _out(f"  {_t('Valid')}: {row['valid_from'][:10]} – {row['valid_to'][:10]}")
    _out(f"  {_t('Maker')}: {row['maker']}")
    _out(f"  {_t('Verification')}: {status_text}")
    for problem in row["problems"]:
        _out(f"    - {problem}")
    if row.get("expiring_soon"):
        _out("  " + _t("Warning: the seal expires within 90 days."))
    cert = row.get("certificate")
    if cert:
        _out(f"  {_t('Certificate')}: {cert['subject']}")
        _out(f"    {_t('Serial')}: {cert['serial']}   {_t('Algorithm')}: {cert['algorithm']}")
        _out(f"    {_t('Issuer')}: {cert['issuer']}")
        _out(
            f"    {_t('Valid')}: {cert['valid_from'][:10]} – {cert['valid_to'][:10]}   "
            + _t("{days} days to expiry").format(days=cert["days_to_expiry"])
        )
        if cert["expiring_soon"]:
            _out("    " + _t("Warning: the certificate expires within 90 days."))


def _clock_from_args(args: argparse.Namespace):
    from .core.clock import fixed_clock, utc_now

    if getattr(args, "at", None):
        try:
            moment = datetime.fromisoformat(args.at)
        except ValueError as exc:
            raise InvalidArgument(str(exc), what="--at") from exc
        return fixed_clock(moment)
    return utc_now


def cmd_seals(args: argparse.Namespace) -> int:
    from .core.ses import parse_seal, verify_seal

    clock = _clock_from_args(args)
    rows = []
    if args.file:
        from pathlib import Path

        try:
            der = Path(args.file).read_bytes()
        except OSError as exc:
            raise InvalidArgument(str(exc), what=args.file) from exc
        seal = parse_seal(der)
        rows.append(_seal_row(seal, verify_seal(seal, clock=clock), seal.certs[0] if seal.certs else None, clock))
    else:
        manager = _manager()
        try:
            token = _pick_token(manager, args.token)
            if _is_demo(token):
                _err(_t("Demo key: its PIN is 123456. Change it with `sealdesk pin change`."))
            pin = read_pin(args, _t("PIN for {label}: ").format(label=token.label))
            with manager.open_session(token, pin) as session:
                del pin
                certs = {k.key_id: k.certificate for k in session.keys()}
                for stored in session.seals():
                    seal = parse_seal(stored.der)
                    cert_der = certs.get(stored.key_id)
                    rows.append(_seal_row(seal, verify_seal(seal, clock=clock, signing_cert=cert_der), cert_der, clock))
        finally:
            manager.close()
    if args.json:
        _json_out(rows)
    elif not rows:
        _out(_t("No seals on this key."))
    else:
        for row in rows:
            _print_seal_row(row)
    return EXIT_OK


# --- pin change -----------------------------------------------------------------------------------
def cmd_pin_change(args: argparse.Namespace) -> int:
    manager = _manager()
    try:
        token = _pick_token(manager, args.token)
        if args.pin_stdin:
            old, new, again = (sys.stdin.readline().rstrip("\r\n") for _ in range(3))
        else:
            old = getpass.getpass(_t("Current PIN: "))
            new = getpass.getpass(_t("New PIN: "))
            again = getpass.getpass(_t("New PIN again: "))
        if new != again:
            raise PinMismatch()
        if not old or not new:
            raise InvalidArgument(what=_t("empty PIN"))
        manager.change_pin(token, old, new)
    finally:
        manager.close()
    _out(_t("PIN changed."))
    return EXIT_OK


# --- demo key -------------------------------------------------------------------------------------
def cmd_demo_key(args: argparse.Namespace) -> int:
    from .core import demo

    info = demo.create_demo_key(force=True)
    _out(_t("Demo key “{label}” created with {count} seals.").format(label=info.label, count=len(info.seals)))
    _out(_t("Its PIN is {pin}. Change it with `sealdesk pin change`.").format(pin=demo.DEMO_PIN))
    _out(_t("Demo root certificate: {path}").format(path=info.root_cert_path))
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
        _out(_t("No USB key found: creating the demo key (SoftHSM) with three seals…"))
        demo.create_demo_key()
    cmd_tokens(argparse.Namespace(json=False))
    if sys.stdin.isatty():
        _out()
        return cmd_seals(argparse.Namespace(file=None, token=None, pin_stdin=False, json=False, at=None))
    return EXIT_OK


# --- parser ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sealdesk",
        description=_t("SealDesk: stamp documents with the electronic seals on your USB key."),
        epilog=_t(
            "Exit codes: 0 success, 1 unexpected error, 2 invalid arguments, 3 key/PIN problem, "
            "4 seal/certificate/policy refusal, 5 document problem, 6 usage-log problem, 7 network, "
            "8 verification found a problem, 130 cancelled."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("tokens", help=_t("list detected USB keys"))
    p.add_argument("--json", action="store_true", help=_t("machine-readable output"))
    p.set_defaults(func=cmd_tokens)

    p = sub.add_parser("seals", help=_t("list the seals on a key, or inspect a seal file"))
    p.add_argument("--file", help=_t("inspect a seal file (.esl) instead of the key"))
    p.add_argument("--at", help=_t("verify as of this date (YYYY-MM-DD)"))
    p.add_argument("--token", help=_t("serial number of the key to use"))
    p.add_argument("--pin-stdin", action="store_true", help=_t("read the PIN from standard input"))
    p.add_argument("--json", action="store_true", help=_t("machine-readable output"))
    p.set_defaults(func=cmd_seals)

    p = sub.add_parser("pin", help=_t("manage the key's PIN"))
    pin_sub = p.add_subparsers(dest="pin_command", required=True)
    pc = pin_sub.add_parser("change", help=_t("change the user PIN"))
    pc.add_argument("--token", help=_t("serial number of the key to use"))
    pc.add_argument(
        "--pin-stdin", action="store_true", help=_t("read current, new and repeated PIN as three lines from stdin")
    )
    pc.set_defaults(func=cmd_pin_change)

    p = sub.add_parser("demo-key", help=_t("(re)create the demo key in your data folder"))
    p.set_defaults(func=cmd_demo_key)

    p = sub.add_parser("start", help=_t("first-run flow: demo key when no key is present, list keys and seals"))
    p.set_defaults(func=cmd_start)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SealDeskError as exc:
        _err(_t("Error: {message}").format(message=exc.user_message(translate)))
        return exc.exit_code
    except KeyboardInterrupt:
        _err(_t("Cancelled."))
        return 130


if __name__ == "__main__":
    sys.exit(main())
