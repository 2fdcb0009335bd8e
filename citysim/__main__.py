"""`python -m citysim --port N …` serves the city API; `python -m citysim admin --db PATH …` administers it."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import admin


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m citysim", description="Serve the reference city e-seal system.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--db", type=Path, default=Path("citysim.sqlite3"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this PEM certificate and key")
    parser.add_argument("--trust-root", action="append", default=[], type=Path, metavar="PEM",
                        help="a root certificate (PEM or DER) holders' certificates must chain to; repeatable")
    parser.add_argument("--token", action="append", default=[], help="add this API token at start (tests, demo)")
    parser.add_argument("--rate-limit", type=float, metavar="PER_SECOND",
                        help="answer 429 with Retry-After to a token sending more requests per second than this")
    return parser


def _admin_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m citysim admin", description="Administer a citysim database.")
    parser.add_argument("--db", type=Path, required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("revoke", "suspend", "activate"):
        sub = commands.add_parser(name, help=f"{name} a registered seal")
        sub.add_argument("seal_id")
        sub.add_argument("--reason")
    commands.add_parser("add-token", help="print a new API token (only its hash is stored)")
    listing = commands.add_parser("list-records", help="list stored usage records")
    listing.add_argument("--json", action="store_true")
    return parser


def read_certificates(path: Path) -> list[bytes]:
    """DER certificates from a PEM (one or more) or DER file."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(data)]
    return [x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from .storage import Store

    if argv[:1] == ["admin"]:
        args = _admin_parser().parse_args(argv[1:])
        if args.command != "add-token" and not args.db.is_file():  # a typo must not create an empty city
            print(f"citysim: no database at {args.db}", file=sys.stderr)
            return 2
        store = Store(args.db)
        try:
            if args.command == "add-token":
                return admin.add_token(store, sys.stdout)
            if args.command == "list-records":
                return admin.list_records(store, args.json, sys.stdout)
            status = {"revoke": "revoked", "suspend": "suspended", "activate": "active"}[args.command]
            return admin.set_status(store, args.seal_id, status, args.reason, sys.stdout)
        finally:
            store.close()

    args = _serve_parser().parse_args(argv)
    import uvicorn

    from .app import create_app

    try:
        roots = [der for path in args.trust_root for der in read_certificates(path)]
    except (OSError, ValueError) as exc:
        print(f"citysim: cannot read a trust root: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    store = Store(args.db)
    for token in args.token:
        store.add_token(token)
    tls = {"ssl_certfile": str(args.tls[0]), "ssl_keyfile": str(args.tls[1])} if args.tls else {}
    if args.rate_limit is not None and args.rate_limit <= 0:
        print("citysim: --rate-limit must be greater than 0", file=sys.stderr)
        return 2
    uvicorn.run(create_app(store, roots, rate_limit=args.rate_limit), host=args.host, port=args.port, log_level="info", **tls)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
