"""`sealdesk register`, `sealdesk sync` and `sealdesk city …`: the city e-seal system (用印登记) from the
command line. Only argument parsing and printing; the work is the Application's (app/core/usage/sync.py).
Kept apart from app/cli.py so the city commands stay one block that the rest of the CLI does not touch."""

from __future__ import annotations

import argparse
import getpass
from dataclasses import replace

from .cli import (
    EXIT_OK,
    _add_json_argument,
    _application,
    _err,
    _json_out,
    _out,
    _stdin_secret_line,
    read_pin,
)
from .core.errors import InvalidArgument
from .i18n import translate

EXIT_SYNC_INCOMPLETE = 7
"""`sync` left records pending or rejected (the network exit code: the city system has not got them all)."""


def cmd_city(args: argparse.Namespace) -> int:
    """Set or show the city settings; the token goes to the keyring, never to settings.json."""
    from .core.usage.sync import normalized_base_url, store_token

    with _application() as application:
        settings = application.settings
        if args.city_command == "url":
            url = normalized_base_url(args.value) if args.value else ""
            application.save_settings(replace(settings, city_url=url))
            _out(translate("cli", "City system: {url}").format(url=url or translate("cli", "none")))
        elif args.city_command == "ca":
            path = args.value or ""
            if path:
                from pathlib import Path

                from .core.views import read_user_file

                read_user_file(path)
                path = str(Path(path).expanduser().resolve())
            application.save_settings(replace(settings, city_ca_bundle=path))
            _out(translate("cli", "CA bundle: {path}").format(path=path or translate("cli", "the system's trust")))
        elif args.city_command == "policy":
            if args.value not in ("allow", "refuse"):
                raise InvalidArgument(what=translate("cli", "the policy must be allow or refuse"))
            application.save_settings(replace(settings, city_unreachable_policy=args.value))
            _out(translate("cli", "When the seal status cannot be checked: {policy}").format(policy=args.value))
        elif args.city_command == "token":
            base = settings.city_url
            if not base:
                from .core.errors import CityNotConfigured

                raise CityNotConfigured()
            base = normalized_base_url(base)
            if args.stdin:
                token = _stdin_secret_line()
            else:
                token = getpass.getpass(translate("cli", "API token of {url}: ").format(url=base))
            store_token(base, token)
            del token
            _out(translate("cli", "API token stored in the keyring for {url}.").format(url=base))
        else:
            return _print_status(application, args.json)
    return EXIT_OK


def _print_status(application, as_json: bool) -> int:
    status = application.city_status()
    error = status.last_error.user_message(translate) if status.last_error is not None else None
    if as_json:
        _json_out(
            {
                "state": str(status.state),
                "url": status.url,
                "pending": status.pending,
                "rejected": status.rejected,
                "last_sync": status.last_sync.isoformat() if status.last_sync else None,
                "last_error": error,
                "unreachable_policy": application.settings.city_unreachable_policy,
                "holders": application.settings.city_holders,
            }
        )
        return EXIT_OK
    _out(translate("cli", "City system: {url}").format(url=status.url or translate("cli", "none")))
    _out(translate("cli", "State: {state}").format(state=status.text(translate)))
    if status.configured:
        _out(translate("cli", "Waiting: {pending}   refused: {rejected}").format(
            pending=status.pending, rejected=status.rejected))  # fmt: skip
        last = status.last_sync.isoformat() if status.last_sync else translate("cli", "never")
        _out(translate("cli", "Last sync: {time}").format(time=last))
        if error:
            _out(translate("cli", "Last error: {error}").format(error=error))
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    """Upload the pending usage records; exit 0 only when the city system has them all."""
    with _application() as application:
        result = application.sync_now()
        rejected = [(rid, reason, detail) for rid, reason, detail in result.rejected]
        if args.json:
            _json_out(
                {
                    "accepted": result.accepted,
                    "duplicates": result.duplicates,
                    "rejected": [{"record_id": r, "reason": c, "detail": d} for r, c, d in rejected],
                    "pending": result.pending,
                    "requests": result.requests,
                    "error": result.error.user_message(translate) if result.error else None,
                }
            )
        else:
            _out(
                translate("cli", "Sent to the city system: {synced} ({dup} already there); waiting: {pending}.").format(
                    synced=result.synced, dup=result.duplicates, pending=result.pending
                )
            )
            for record_id, reason, detail in rejected:
                _err(translate("cli", "Refused {record}: {reason} ({detail})").format(
                    record=record_id, reason=reason, detail=detail))  # fmt: skip
            if result.error is not None:
                _err(result.error.user_message(translate))
    if result.error is not None:
        return result.error.exit_code
    return EXIT_OK if result.pending == 0 and not rejected else EXIT_SYNC_INCOMPLETE


def cmd_register(args: argparse.Namespace) -> int:
    """Register the key (its certificates and seals) with the city system; one PIN entry."""
    with _application() as application:
        application.city_client().close()  # URL and token first: a typo should not cost a PIN entry
        key = application.select_key(args.token)
        pin = read_pin(args, translate("cli", "PIN for {label}: ").format(label=key.label))
        registration = application.register_holder(pin, key, args.name, args.organisation, args.holder_id)
        del pin
    if args.json:
        _json_out(
            {
                "holder_id": registration.holder_id,
                "chains": [{"chain_id": c, "seal_ids": list(s)} for c, s in registration.chains],
            }
        )
    else:
        _out(translate("cli", "Registered as holder {holder}.").format(holder=registration.holder_id))
        for chain, seals in registration.chains:
            _out("  " + translate("cli", "{chain}: seals {seals}").format(chain=chain, seals=", ".join(seals)))
    return EXIT_OK


def add_parsers(sub) -> None:
    """The city commands in `sealdesk`'s sub-command parser."""
    p = sub.add_parser("register", help=translate("cli", "register the key's seals with the city e-seal system"))
    p.add_argument("--name", required=True, help=translate("cli", "the holder's name"))
    p.add_argument("--organisation", required=True, help=translate("cli", "the holder's organisation"))
    p.add_argument("--holder-id", help=translate("cli", "add this key to an earlier registration"))
    p.add_argument("--token", help=translate("cli", "serial of the key to use"))
    p.add_argument("--pin-stdin", action="store_true", help=translate("cli", "read the PIN from stdin"))
    _add_json_argument(p)
    p.set_defaults(func=cmd_register)

    p = sub.add_parser("sync", help=translate("cli", "send the pending usage records to the city e-seal system"))
    _add_json_argument(p)
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("city", help=translate("cli", "city e-seal system: address, CA bundle, API token, status"))
    p.add_argument("city_command", nargs="?", choices=["status", "url", "ca", "token", "policy"], default="status")
    p.add_argument("value", nargs="?", help=translate("cli", "url: https://…; ca: PEM file (none = system trust); "
                                                            "policy: allow or refuse"))  # fmt: skip
    p.add_argument("--stdin", action="store_true", help=translate("cli", "token: read it from stdin"))
    _add_json_argument(p)
    p.set_defaults(func=cmd_city)


__all__ = ["add_parsers", "cmd_city", "cmd_register", "cmd_sync"]
