"""Shared pieces of the SM2 test-token tests: a private copy of the module per test, ctypes access to it.

Each test loads its own copy of libsealdesk_sm2_test.so (a distinct path is a distinct instance for the
dynamic loader), so its configuration (read at C_Initialize) is its own and nothing else in the pytest
process — SealDesk's key manager, another wrapper — can have initialised it already.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import PyKCS11

sys.path.insert(0, str(Path(__file__).parent / "p11sm2"))

import provision  # noqa: E402
from testdata import SO_PIN, USER_PIN  # noqa: E402

from app.core import gm  # noqa: E402

SM2_PRIVATE = bytes.fromhex("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8")
KEY_ID = b"\x01\x02"
SEAL_APP = "SealDesk seal"

CKF_USER_PIN_COUNT_LOW = 0x10000
CKF_USER_PIN_FINAL_TRY = 0x20000
CKF_USER_PIN_LOCKED = 0x40000
PIN_FLAGS = CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED


_PINNED: list[ctypes.CDLL] = []
ASAN_ENV = "SEALDESK_P11SM2_ASAN"


def _built_module() -> Path:
    """The module build; with SEALDESK_P11SM2_ASAN=1 the AddressSanitizer/UBSan build (tests/p11sm2/README.md)."""
    if not os.environ.get(ASAN_ENV):
        return provision.build_module()
    subprocess.run(["make", "-s", "-C", str(provision.ROOT / "tests" / "p11sm2"), "asan"], check=True)
    return provision.MODULE_PATH.with_name("libsealdesk_sm2_test_asan.so")


def module_copy(directory: Path) -> Path:
    """A copy of the built module under a unique name in `directory`.

    The copy stays mapped for the whole run (one extra dlopen): a PyKCS11 object used after its library
    was unloaded — pytest's repr of a failing assertion does that — then gets an error code, not a crash.
    """
    target = directory / f"libsm2test-{uuid.uuid4().hex[:8]}.so"
    shutil.copyfile(_built_module(), target)
    _PINNED.append(ctypes.CDLL(str(target)))
    return target


@dataclass
class Sm2Token:
    """One loaded module instance (PyKCS11) with slot 0 initialised and, optionally, an SM2 key imported."""

    lib: PyKCS11.PyKCS11Lib
    path: Path
    conf_path: Path
    conf: dict[str, object]

    @property
    def c(self) -> ctypes.CDLL:
        """The same instance through ctypes, for calls PyKCS11 hides (NULL buffers, bad handles)."""
        lib = ctypes.CDLL(str(self.path))
        for name in dir(_Proto):
            if name.startswith("C_"):
                fn = getattr(lib, name)
                fn.restype = ctypes.c_ulong
                fn.argtypes = getattr(_Proto, name)
        return lib

    def flags(self, slot: int = 0) -> int:
        return int(self.lib.getTokenInfo(slot).flags)

    def pin_flags(self, slot: int = 0) -> int:
        return self.flags(slot) & PIN_FLAGS

    def session(self, rw: bool = True) -> PyKCS11.Session:
        flags = PyKCS11.CKF_SERIAL_SESSION | (PyKCS11.CKF_RW_SESSION if rw else 0)
        return self.lib.openSession(0, flags)

    @contextmanager
    def user(self, pin: str = USER_PIN) -> Iterator[PyKCS11.Session]:
        session = self.session()
        try:
            session.login(pin)
            yield session
        finally:
            session.closeSession()


@contextmanager
def sm2_token(directory: Path, provision_key: bool = True, **conf: object) -> Iterator[Sm2Token]:
    """A fresh module copy and store in `directory`: slot 0 initialised (SO/user PIN of testdata)."""
    conf_path = provision.write_conf(directory, **conf)
    path = module_copy(directory)
    with provision.loaded(conf_path, path) as lib:
        values = provision.read_conf(conf_path)
        token = Sm2Token(lib, path, conf_path, values)
        prov = provision.Provisioner(lib, values)
        prov.init_token(0, "SM2 test token", SO_PIN, USER_PIN)
        if provision_key:
            with prov.user_session(0, USER_PIN) as session:
                prov.import_sm2_key(session, SM2_PRIVATE, KEY_ID, "SM2 key")
        yield token


def sm2_e(public_point: bytes, message: bytes, user_id: bytes = gm.DEFAULT_USER_ID) -> bytes:
    """e = SM3(Z || M), Z per GB/T 32918.2 (computed here, independently of the module)."""
    curve = (
        0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
        0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
        0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
        0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    )
    z = gm.sm3(
        (len(user_id) * 8).to_bytes(2, "big")
        + user_id
        + b"".join(v.to_bytes(32, "big") for v in curve)
        + public_point[1:]
    )
    return gm.sm3(z + message)


def sm2_spki_pem(public_point: bytes) -> bytes:
    """A PEM SubjectPublicKeyInfo (id-ecPublicKey, curve SM2) that OpenSSL 3 loads as an SM2 key."""
    from asn1crypto import keys

    gm.register_oids()
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters(name="named", value="1.2.156.10197.1.301"),
            },
            "public_key": public_point,
        }
    )
    import base64

    body = base64.encodebytes(spki.dump()).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n").encode()


def openssl_sm2_verify(directory: Path, public_point: bytes, message: bytes, signature_der: bytes) -> bool:
    """`openssl dgst -sm3 -verify … -sigopt distid:1234567812345678` over the message."""
    (directory / "pub.pem").write_bytes(sm2_spki_pem(public_point))
    (directory / "msg.bin").write_bytes(message)
    (directory / "sig.der").write_bytes(signature_der)
    done = subprocess.run(
        [
            "openssl",
            "dgst",
            "-sm3",
            "-verify",
            str(directory / "pub.pem"),
            "-signature",
            str(directory / "sig.der"),
            "-sigopt",
            "distid:1234567812345678",
            str(directory / "msg.bin"),
        ],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0 and "Verified OK" in done.stdout


def raw_to_der(signature: bytes) -> bytes:
    assert len(signature) == 64
    return gm.encode_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))


# ---- ctypes prototypes ----
ULONG = ctypes.c_ulong
PTR = ctypes.c_void_p
ULONG_P = ctypes.POINTER(ULONG)


class CK_ATTRIBUTE(ctypes.Structure):  # noqa: N801 - the PKCS#11 name
    _fields_ = [("type", ULONG), ("pValue", PTR), ("ulValueLen", ULONG)]


class CK_MECHANISM(ctypes.Structure):  # noqa: N801
    _fields_ = [("mechanism", ULONG), ("pParameter", PTR), ("ulParameterLen", ULONG)]


class _Proto:
    C_Initialize = [PTR]
    C_Finalize = [PTR]
    C_GetInfo = [PTR]
    C_GetSlotList = [ctypes.c_ubyte, PTR, PTR]
    C_GetSlotInfo = [ULONG, PTR]
    C_GetTokenInfo = [ULONG, PTR]
    C_GetMechanismList = [ULONG, PTR, PTR]
    C_GetMechanismInfo = [ULONG, ULONG, PTR]
    C_InitToken = [ULONG, PTR, ULONG, PTR]
    C_OpenSession = [ULONG, ULONG, PTR, PTR, PTR]
    C_CloseSession = [ULONG]
    C_Login = [ULONG, ULONG, PTR, ULONG]
    C_Logout = [ULONG]
    C_CreateObject = [ULONG, PTR, ULONG, PTR]
    C_GetAttributeValue = [ULONG, ULONG, PTR, ULONG]
    C_SetAttributeValue = [ULONG, ULONG, PTR, ULONG]
    C_FindObjectsInit = [ULONG, PTR, ULONG]
    C_FindObjects = [ULONG, PTR, ULONG, PTR]
    C_FindObjectsFinal = [ULONG]
    C_SignInit = [ULONG, PTR, ULONG]
    C_Sign = [ULONG, PTR, ULONG, PTR, PTR]
    C_SignUpdate = [ULONG, PTR, ULONG]
    C_SignFinal = [ULONG, PTR, PTR]
    C_GenerateRandom = [ULONG, PTR, ULONG]
    C_Encrypt = [ULONG, PTR, ULONG, PTR, PTR]
