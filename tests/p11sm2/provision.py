"""Provisioning of the SM2 test token through PyKCS11 (python-pkcs11 refuses vendor mechanism numbers).

Usable in-process (`Provisioner`) or from the command line (`python tests/p11sm2/provision.py --help`),
which keeps the module out of the caller's process: a PKCS#11 module is initialised once per process, and
its configuration (SEALDESK_SM2_TEST_CONF) is read at C_Initialize.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import PyKCS11

ROOT = Path(__file__).resolve().parents[2]
MODULE_PATH = ROOT / "build" / "p11sm2" / "libsealdesk_sm2_test.so"
CONF_ENV = "SEALDESK_SM2_TEST_CONF"

# The module's defaults (a Sansec-numbered vendor); a conf file may change every one of them.
DEFAULTS = {
    "slots": 2,
    "max_pin_tries": 6,
    "mech_sm2_raw": 0x80008104,
    "mech_sm3_sm2": 0x80008100,
    "mech_sm2_keygen": 0x80008001,
    "key_type_sm2": 0x80000004,
    "signature_format": "raw",
}
EC_PARAMS_SM2 = bytes.fromhex("06082a811ccf5501822d")  # OID 1.2.156.10197.1.301


def build_module() -> Path:
    """Build the module when missing or older than its sources (`make setup` normally did it)."""
    sources = list((ROOT / "tests" / "p11sm2").glob("*.[ch]"))
    if not MODULE_PATH.exists() or any(s.stat().st_mtime > MODULE_PATH.stat().st_mtime for s in sources):
        subprocess.run(["make", "-s", "-C", str(ROOT / "tests" / "p11sm2")], check=True)
    return MODULE_PATH


@dataclass
class TokenConf:
    """One configuration of the test module: a store directory plus vendor numbers."""

    store: Path
    values: dict[str, object] = field(default_factory=dict)

    def get(self, key: str) -> object:
        return self.values.get(key, DEFAULTS[key])

    def write(self, path: Path) -> Path:
        """Write the `key = value` file the module reads; returns its path."""
        lines = [f"store = {self.store}"]
        for key in DEFAULTS:
            value = self.get(key)
            lines.append(f"{key} = {hex(value) if isinstance(value, int) and value > 0xFFFF else value}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def write_conf(directory: Path, **values: object) -> Path:
    """A conf file in `directory` (store in `directory/store`); keyword arguments override the defaults."""
    unknown = set(values) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown conf keys: {sorted(unknown)}")
    directory.mkdir(parents=True, exist_ok=True)
    return TokenConf(directory / "store", dict(values)).write(directory / "p11sm2.conf")


def read_conf(path: Path) -> dict[str, object]:
    """The values of a conf file with defaults filled in (numbers as int)."""
    values: dict[str, object] = dict(DEFAULTS)
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = (part.strip() for part in line.partition("="))
        values[key] = value if key in ("store", "signature_format") else int(value, 0)
    return values


@contextmanager
def loaded(conf_path: Path) -> Iterator[PyKCS11.PyKCS11Lib]:
    """The module loaded (C_Initialize) with this conf, unloaded (C_Finalize) afterwards."""
    old = os.environ.get(CONF_ENV)
    os.environ[CONF_ENV] = str(conf_path)
    lib = PyKCS11.PyKCS11Lib()
    try:
        lib.load(str(build_module()))
        yield lib
    finally:
        lib.unload()
        if old is None:
            os.environ.pop(CONF_ENV, None)
        else:
            os.environ[CONF_ENV] = old


def sm2_public_point(private_value: bytes) -> bytes:
    """04||x||y for an SM2 private scalar (gmssl, pure Python)."""
    from gmssl import sm2 as gm_sm2

    key = gm_sm2.CryptSM2(private_key=private_value.hex(), public_key="")
    point = key._kg(int(private_value.hex(), 16), gm_sm2.default_ecc_table["g"])
    return bytes.fromhex("04" + point)


class Provisioner:
    """Initialises a slot and imports SM2 keys, certificates and data objects into it."""

    def __init__(self, lib: PyKCS11.PyKCS11Lib, conf: dict[str, object]) -> None:
        self.lib = lib
        self.conf = conf

    def init_token(self, slot: int, label: str, so_pin: str, user_pin: str) -> str:
        """C_InitToken + C_InitPIN; returns the token's serial number."""
        self.lib.initToken(slot, so_pin, label)
        session = self.lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
        try:
            session.login(so_pin, PyKCS11.CKU_SO)
            session.initPin(user_pin)
            session.logout()
        finally:
            session.closeSession()
        return self.lib.getTokenInfo(slot).serialNumber.strip()

    @contextmanager
    def user_session(self, slot: int, user_pin: str) -> Iterator[PyKCS11.Session]:
        session = self.lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
        try:
            session.login(user_pin)
            yield session
        finally:
            try:
                session.logout()
            finally:
                session.closeSession()

    def import_sm2_key(
        self, session: PyKCS11.Session, private_value: bytes, key_id: bytes, label: str, subject: bytes = b""
    ) -> None:
        """Import an SM2 private key (32-byte d) and its public key as token objects."""
        if len(private_value) != 32:
            raise ValueError("an SM2 private key is 32 bytes")
        point = sm2_public_point(private_value)
        key_type = int(self.conf["key_type_sm2"])  # type: ignore[call-overload]
        common = [
            (PyKCS11.CKA_TOKEN, True),
            (PyKCS11.CKA_KEY_TYPE, key_type),
            (PyKCS11.CKA_ID, key_id),
            (PyKCS11.CKA_LABEL, label),
            (PyKCS11.CKA_SUBJECT, subject),
            (PyKCS11.CKA_EC_PARAMS, EC_PARAMS_SM2),
        ]
        session.createObject(
            [
                (PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
                *common,
                (PyKCS11.CKA_PRIVATE, True),
                (PyKCS11.CKA_SENSITIVE, True),
                (PyKCS11.CKA_EXTRACTABLE, False),
                (PyKCS11.CKA_SIGN, True),
                (PyKCS11.CKA_VALUE, private_value),
            ]
        )
        session.createObject(
            [
                (PyKCS11.CKA_CLASS, PyKCS11.CKO_PUBLIC_KEY),
                *common,
                (PyKCS11.CKA_PRIVATE, False),
                (PyKCS11.CKA_VERIFY, True),
                (PyKCS11.CKA_EC_POINT, b"\x04\x41" + point),
            ]
        )

    def import_certificate(self, session: PyKCS11.Session, der: bytes, key_id: bytes, label: str) -> None:
        """Import an X.509 certificate (subject/issuer/serial taken from the DER)."""
        from asn1crypto import x509

        cert = x509.Certificate.load(der)
        session.createObject(
            [
                (PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE),
                (PyKCS11.CKA_CERTIFICATE_TYPE, PyKCS11.CKC_X_509),
                (PyKCS11.CKA_TOKEN, True),
                (PyKCS11.CKA_PRIVATE, False),
                (PyKCS11.CKA_ID, key_id),
                (PyKCS11.CKA_LABEL, label),
                (PyKCS11.CKA_SUBJECT, cert.subject.dump()),
                (PyKCS11.CKA_ISSUER, cert.issuer.dump()),
                (PyKCS11.CKA_SERIAL_NUMBER, cert.serial_number.to_bytes(20, "big").lstrip(b"\0") or b"\0"),
                (PyKCS11.CKA_VALUE, der),
            ]
        )

    def import_data(
        self,
        session: PyKCS11.Session,
        application: str,
        label: str,
        value: bytes,
        object_id: bytes = b"",
        private: bool = False,
    ) -> None:
        """Import a data object (SealDesk keeps seals in CKO_DATA objects)."""
        session.createObject(
            [
                (PyKCS11.CKA_CLASS, PyKCS11.CKO_DATA),
                (PyKCS11.CKA_TOKEN, True),
                (PyKCS11.CKA_PRIVATE, private),
                (PyKCS11.CKA_APPLICATION, application),
                (PyKCS11.CKA_LABEL, label),
                (PyKCS11.CKA_ID, object_id),
                (PyKCS11.CKA_VALUE, value),
            ]
        )


def _main(argv: list[str] | None = None) -> int:
    """CLI: provision one slot from a JSON description (file or stdin); prints the serial as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conf", required=True, type=Path, help="the module's conf file")
    parser.add_argument("--spec", type=Path, help="JSON spec (default: stdin)")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec.read_text("utf-8") if args.spec else sys.stdin.read())
    conf = read_conf(args.conf)
    with loaded(args.conf) as lib:
        prov = Provisioner(lib, conf)
        slot = int(spec.get("slot", 0))
        serial = prov.init_token(slot, spec["label"], spec["so_pin"], spec["user_pin"])
        with prov.user_session(slot, spec["user_pin"]) as session:
            for key in spec.get("keys", []):
                key_id = bytes.fromhex(key["id"])
                prov.import_sm2_key(session, bytes.fromhex(key["private"]), key_id, key.get("label", ""))
                if key.get("certificate"):
                    prov.import_certificate(session, bytes.fromhex(key["certificate"]), key_id, key.get("label", ""))
            for data in spec.get("data", []):
                prov.import_data(
                    session,
                    data.get("application", ""),
                    data.get("label", ""),
                    bytes.fromhex(data["value"]),
                    bytes.fromhex(data.get("id", "")),
                    bool(data.get("private", False)),
                )
    print(json.dumps({"serial": serial}))
    return 0


def provision_in_subprocess(conf_path: Path, spec: dict[str, object]) -> str:
    """Run the CLI in a child process (the caller's process never loads the module); returns the serial."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--conf", str(conf_path)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return str(json.loads(done.stdout)["serial"])


if __name__ == "__main__":
    raise SystemExit(_main())
