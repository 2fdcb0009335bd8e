"""The SM2 test token (tests/p11sm2) at the PKCS#11 level: PIN flags and lockout, object visibility, data
objects, SM2 signing checked by OpenSSL and app.core.gm, persistence, vendor numbers, bad input."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path

import PyKCS11
import pytest
from p11sm2_helpers import (
    CK_ATTRIBUTE,
    CK_MECHANISM,
    CKF_USER_PIN_COUNT_LOW,
    CKF_USER_PIN_FINAL_TRY,
    CKF_USER_PIN_LOCKED,
    KEY_ID,
    SEAL_APP,
    SM2_PRIVATE,
    ULONG,
    module_copy,
    openssl_sm2_verify,
    provision,
    raw_to_der,
    sm2_e,
    sm2_token,
)
from testdata import SO_PIN, USER_PIN

from app.core import gm

WRONG = "000000"
CKR_PIN_INCORRECT = 0xA0
CKR_PIN_LOCKED = 0xA4
CKR_BUFFER_TOO_SMALL = 0x150
CKR_ARGUMENTS_BAD = 0x7
CKR_OK = 0
KEY_TYPE_SM2 = 0x80000004
PUBLIC_POINT = gm.sm2_public_point_from_private(int.from_bytes(SM2_PRIVATE, "big"))


def login_error(session: PyKCS11.Session, pin: str) -> int:
    """The CKR_ code of a login (0 when it succeeds)."""
    try:
        session.login(pin)
    except PyKCS11.PyKCS11Error as exc:
        return int(exc.value)
    session.logout()
    return CKR_OK


def private_key(session: PyKCS11.Session) -> PyKCS11.CK_OBJECT_HANDLE:
    (key,) = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_ID, KEY_ID)])
    return key


# ---- PIN ----


def test_wrong_pins_walk_count_low_final_try_locked_and_the_so_unlocks(tmp_path: Path) -> None:
    with sm2_token(tmp_path, max_pin_tries=3) as tok:
        session = tok.session()
        assert tok.pin_flags() == 0
        assert login_error(session, WRONG) == CKR_PIN_INCORRECT
        assert tok.pin_flags() == CKF_USER_PIN_COUNT_LOW
        assert login_error(session, USER_PIN) == CKR_OK  # a right PIN resets the counter
        assert tok.pin_flags() == 0

        assert login_error(session, WRONG) == CKR_PIN_INCORRECT
        assert tok.pin_flags() == CKF_USER_PIN_COUNT_LOW
        assert login_error(session, WRONG) == CKR_PIN_INCORRECT
        assert tok.pin_flags() == CKF_USER_PIN_FINAL_TRY
        assert login_error(session, WRONG) == CKR_PIN_INCORRECT
        assert tok.pin_flags() == CKF_USER_PIN_LOCKED

        # locked: even the right PIN is refused, and refusing does not count another try
        store = tok.conf["store"]
        before = (Path(str(store)) / "token0.bin").read_bytes()
        assert login_error(session, USER_PIN) == CKR_PIN_LOCKED
        assert (Path(str(store)) / "token0.bin").read_bytes() == before
        assert tok.pin_flags() == CKF_USER_PIN_LOCKED

        session.login(SO_PIN, PyKCS11.CKU_SO)
        session.initPin("654321")
        session.logout()
        assert tok.pin_flags() == 0
        assert login_error(session, USER_PIN) == CKR_PIN_INCORRECT  # the old PIN is gone
        assert login_error(session, "654321") == CKR_OK
        assert tok.pin_flags() == 0


def test_with_six_tries_the_flags_stay_count_low_until_one_is_left(tmp_path: Path) -> None:
    with sm2_token(tmp_path, provision_key=False) as tok:
        session = tok.session()
        seen = []
        for _ in range(6):
            assert login_error(session, WRONG) in (CKR_PIN_INCORRECT,)
            seen.append(tok.pin_flags())
        assert seen == [CKF_USER_PIN_COUNT_LOW] * 4 + [CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED]


def test_set_pin_needs_the_old_pin_and_counts_a_wrong_one(tmp_path: Path) -> None:
    with sm2_token(tmp_path, provision_key=False, max_pin_tries=3) as tok:
        session = tok.session()
        with pytest.raises(PyKCS11.PyKCS11Error) as err:
            session.setPin(WRONG, "777777")
        assert err.value.value == CKR_PIN_INCORRECT
        assert tok.pin_flags() == CKF_USER_PIN_COUNT_LOW
        session.setPin(USER_PIN, "777777")
        assert tok.pin_flags() == 0
        assert login_error(session, "777777") == CKR_OK


def test_the_pin_never_reaches_the_store_file(tmp_path: Path) -> None:
    with sm2_token(tmp_path) as tok:
        data = (Path(str(tok.conf["store"])) / "token0.bin").read_bytes()
    assert USER_PIN.encode() not in data and SO_PIN.encode() not in data


# ---- objects ----


def test_private_objects_are_invisible_before_login(tmp_path: Path) -> None:
    with sm2_token(tmp_path) as tok:
        with tok.user() as session:
            prov = provision.Provisioner(tok.lib, tok.conf)
            prov.import_data(session, SEAL_APP, "public seal", b"public", b"\x01")
            prov.import_data(session, SEAL_APP, "private seal", b"secret", b"\x02", private=True)
            assert len(session.findObjects()) == 4  # private key, public key, two data objects
        public = tok.session(rw=False)
        classes = sorted(
            int(public.getAttributeValue(o, [PyKCS11.CKA_CLASS])[0]) for o in public.findObjects()
        )
        assert classes == [PyKCS11.CKO_DATA, PyKCS11.CKO_PUBLIC_KEY]
        assert public.findObjects([(PyKCS11.CKA_LABEL, "private seal")]) == []
        public.login(USER_PIN)
        assert len(public.findObjects()) == 4
        public.logout()
        assert len(public.findObjects()) == 2


def test_the_private_key_value_is_never_readable(tmp_path: Path) -> None:
    with sm2_token(tmp_path) as tok, tok.user() as session:
        key = private_key(session)
        # PyKCS11 turns CKR_ATTRIBUTE_SENSITIVE into None (the raw code is checked through ctypes below)
        assert session.getAttributeValue(key, [PyKCS11.CKA_VALUE]) == [None]
        attrs = (CK_ATTRIBUTE * 1)(CK_ATTRIBUTE(PyKCS11.CKA_VALUE, None, 0))
        assert (
            tok.c.C_GetAttributeValue(session.session.value(), key.value(), attrs, 1)
            == PyKCS11.CKR_ATTRIBUTE_SENSITIVE
        )
        assert attrs[0].ulValueLen == ctypes.c_ulong(-1).value
        sensitive, extractable, key_type, point, params = session.getAttributeValue(
            key,
            [
                PyKCS11.CKA_SENSITIVE,
                PyKCS11.CKA_EXTRACTABLE,
                PyKCS11.CKA_KEY_TYPE,
                PyKCS11.CKA_EC_POINT,
                PyKCS11.CKA_EC_PARAMS,
            ],
        )
        assert (sensitive, extractable, key_type) == (True, False, KEY_TYPE_SM2)
        assert bytes(point) == b"\x04\x41" + PUBLIC_POINT
        assert bytes(params) == provision.EC_PARAMS_SM2
        # a search cannot probe the secret either
        assert session.findObjects([(PyKCS11.CKA_VALUE, SM2_PRIVATE)]) == []
        # and it cannot be made readable
        with pytest.raises(PyKCS11.PyKCS11Error) as err:
            session.setAttributeValue(key, [(PyKCS11.CKA_SENSITIVE, False)])
        assert err.value.value == PyKCS11.CKR_ATTRIBUTE_READ_ONLY


def test_data_objects_round_trip_and_persist(tmp_path: Path) -> None:
    values = {"empty": b"", "small": b"\x00seal\xff", "large": os.urandom(300_000)}
    with sm2_token(tmp_path, provision_key=False) as tok:
        with tok.user() as session:
            prov = provision.Provisioner(tok.lib, tok.conf)
            for label, value in values.items():
                prov.import_data(session, SEAL_APP, label, value, label.encode())
            (obj,) = session.findObjects([(PyKCS11.CKA_LABEL, "small")])
            session.setAttributeValue(obj, [(PyKCS11.CKA_LABEL, "印章 renamed")])
    with provision.loaded(tok.conf_path, module_copy(tmp_path)) as lib:  # a new instance reads the file
        session = lib.openSession(0, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
        found = {}
        for obj in session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_DATA)]):
            label, app, value = session.getAttributeValue(
                obj, [PyKCS11.CKA_LABEL, PyKCS11.CKA_APPLICATION, PyKCS11.CKA_VALUE], allAsBinary=True
            )
            assert bytes(app).decode() == SEAL_APP
            found[bytes(label).decode()] = bytes(value)
        assert found == {"empty": b"", "印章 renamed": values["small"], "large": values["large"]}
        session.login(USER_PIN)
        (obj,) = session.findObjects([(PyKCS11.CKA_LABEL, "large")])
        session.destroyObject(obj)
        assert len(session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_DATA)])) == 2


def test_objects_and_pin_counter_persist_across_finalize(tmp_path: Path) -> None:
    with sm2_token(tmp_path, max_pin_tries=3) as tok:
        assert login_error(tok.session(), WRONG) == CKR_PIN_INCORRECT
        path = tok.path
    with provision.loaded(tok.conf_path, path) as lib:  # C_Finalize then C_Initialize on the same instance
        assert int(lib.getTokenInfo(0).flags) & CKF_USER_PIN_COUNT_LOW
        session = lib.openSession(0)
        session.login(USER_PIN)
        assert len(session.findObjects()) == 2
        assert lib.getTokenInfo(0).label.strip() == "SM2 test token"


_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
import PyKCS11
lib = PyKCS11.PyKCS11Lib().load(sys.argv[2])
session = lib.openSession(0, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
try:
    session.login("000000")
except PyKCS11.PyKCS11Error as exc:
    wrong = int(exc.value)
session.login(sys.argv[3])
session.createObject([(PyKCS11.CKA_CLASS, PyKCS11.CKO_DATA), (PyKCS11.CKA_TOKEN, True),
                      (PyKCS11.CKA_LABEL, "from the child"), (PyKCS11.CKA_VALUE, b"child")])
print(json.dumps({"wrong": wrong, "count": len(session.findObjects())}))
"""


def test_state_is_shared_with_another_process(tmp_path: Path) -> None:
    with sm2_token(tmp_path, max_pin_tries=3) as tok:
        session = tok.session()
        assert login_error(session, WRONG) == CKR_PIN_INCORRECT  # one wrong try here...
        env = {**os.environ, provision.CONF_ENV: str(tok.conf_path)}
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(Path(__file__).parent), str(tok.path), USER_PIN],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        child = json.loads(done.stdout)
        assert child["wrong"] == CKR_PIN_INCORRECT
        # ...one in the child: then its right PIN reset the counter, which this process sees
        assert tok.pin_flags() == 0
        assert child["count"] == 3
        assert [
            bytes(session.getAttributeValue(o, [PyKCS11.CKA_VALUE])[0])
            for o in session.findObjects([(PyKCS11.CKA_LABEL, "from the child")])
        ] == [b"child"]


def test_a_damaged_store_is_a_device_error_not_a_crash(tmp_path: Path) -> None:
    with sm2_token(tmp_path) as tok:
        store = Path(str(tok.conf["store"])) / "token0.bin"
        data = store.read_bytes()
        for damaged in (
            data[:40],
            data[:-3],
            b"P11SM2S1" + b"\xff" * 200,
            data[:176] + b"\xff\xff\xff\x7f" + data[180:],
        ):
            store.write_bytes(damaged)
            with pytest.raises(PyKCS11.PyKCS11Error) as err:
                tok.lib.getTokenInfo(0)
            assert err.value.value == PyKCS11.CKR_DEVICE_ERROR
        store.write_bytes(data)
        assert tok.lib.getTokenInfo(0).label.strip() == "SM2 test token"


# ---- signing ----


@pytest.mark.parametrize("signature_format", ["raw", "der"])
@pytest.mark.parametrize("mechanism", ["mech_sm2_raw", "mech_sm3_sm2"])
def test_sm2_signatures_verify_with_openssl_and_gm(
    tmp_path: Path, mechanism: str, signature_format: str
) -> None:
    message = "合同 contract 2026".encode() * 100
    with sm2_token(tmp_path, signature_format=signature_format) as tok, tok.user() as session:
        mech = PyKCS11.Mechanism(int(tok.conf[mechanism]))  # type: ignore[call-overload]
        data = sm2_e(PUBLIC_POINT, message) if mechanism == "mech_sm2_raw" else message
        signature = bytes(session.sign(private_key(session), data, mech))
    if signature_format == "raw":
        assert len(signature) == 64
        signature = raw_to_der(signature)
    else:
        assert signature[0] == 0x30 and 8 <= len(signature) <= 72
    assert gm.sm2_verify(PUBLIC_POINT, message, signature)
    assert openssl_sm2_verify(tmp_path, PUBLIC_POINT, message, signature)
    assert not gm.sm2_verify(PUBLIC_POINT, message + b"x", signature)


def test_multi_part_sm3_with_sm2(tmp_path: Path) -> None:
    message = os.urandom(10_000)
    with sm2_token(tmp_path, signature_format="der") as tok, tok.user() as session:
        c = tok.c
        mech = CK_MECHANISM(int(tok.conf["mech_sm3_sm2"]), None, 0)  # type: ignore[call-overload]
        handle = session.session.value()
        assert c.C_SignInit(handle, ctypes.byref(mech), private_key(session).value()) == CKR_OK
        for start in range(0, len(message), 3000):
            part = message[start : start + 3000]
            assert c.C_SignUpdate(handle, part, len(part)) == CKR_OK
        size = ULONG(0)
        assert c.C_SignFinal(handle, None, ctypes.byref(size)) == CKR_OK
        buf = ctypes.create_string_buffer(size.value)
        assert c.C_SignFinal(handle, buf, ctypes.byref(size)) == CKR_OK
        signature = buf.raw[: size.value]
    assert gm.sm2_verify(PUBLIC_POINT, message, signature)


def test_sign_two_call_convention(tmp_path: Path) -> None:
    message = b"two calls"
    with sm2_token(tmp_path, signature_format="der") as tok, tok.user() as session:
        c = tok.c
        mech = CK_MECHANISM(int(tok.conf["mech_sm3_sm2"]), None, 0)  # type: ignore[call-overload]
        handle = session.session.value()
        assert c.C_SignInit(handle, ctypes.byref(mech), private_key(session).value()) == CKR_OK
        size = ULONG(0)
        assert c.C_Sign(handle, message, len(message), None, ctypes.byref(size)) == CKR_OK
        exact = size.value
        small = ULONG(exact - 1)
        buf = ctypes.create_string_buffer(72)
        assert c.C_Sign(handle, message, len(message), buf, ctypes.byref(small)) == CKR_BUFFER_TOO_SMALL
        assert small.value == exact  # the operation is still active and reports the size again
        size = ULONG(72)
        assert c.C_Sign(handle, message, len(message), buf, ctypes.byref(size)) == CKR_OK
        assert size.value == exact
        assert gm.sm2_verify(PUBLIC_POINT, message, buf.raw[:exact])
        # the operation ended with the signature
        assert (
            c.C_Sign(handle, message, len(message), buf, ctypes.byref(size))
            == PyKCS11.CKR_OPERATION_NOT_INITIALIZED
        )


def test_raw_mechanism_wants_exactly_32_bytes_and_signing_needs_login(tmp_path: Path) -> None:
    with sm2_token(tmp_path) as tok:
        raw = PyKCS11.Mechanism(int(tok.conf["mech_sm2_raw"]))  # type: ignore[call-overload]
        with tok.user() as session:
            key = private_key(session)
            for bad in (bytes(31), bytes(33)):  # (PyKCS11 refuses empty data itself; ctypes below)
                with pytest.raises(PyKCS11.PyKCS11Error) as err:
                    session.sign(key, bad, raw)
                assert err.value.value == PyKCS11.CKR_DATA_LEN_RANGE
            with pytest.raises(PyKCS11.PyKCS11Error) as err:
                session.sign(key, bytes(32), PyKCS11.Mechanism(PyKCS11.CKM_ECDSA))
            assert err.value.value == PyKCS11.CKR_MECHANISM_INVALID
        c = tok.c
        mech = CK_MECHANISM(int(tok.conf["mech_sm2_raw"]), None, 0)  # type: ignore[call-overload]
        public = tok.session()
        # not logged in: the private key does not exist for this session
        assert (
            c.C_SignInit(public.session.value(), ctypes.byref(mech), key.value())
            == PyKCS11.CKR_KEY_HANDLE_INVALID
        )
        public.closeSession()
        with tok.user() as session:
            h = session.session.value()
            assert c.C_SignInit(h, ctypes.byref(mech), key.value()) == CKR_OK
            size = ULONG(72)
            buf = ctypes.create_string_buffer(72)
            assert c.C_Sign(h, None, 0, buf, ctypes.byref(size)) == PyKCS11.CKR_DATA_LEN_RANGE


def test_generated_key_pair_signs(tmp_path: Path) -> None:
    with sm2_token(tmp_path, provision_key=False) as tok, tok.user() as session:
        keygen = PyKCS11.Mechanism(int(tok.conf["mech_sm2_keygen"]))  # type: ignore[call-overload]
        pub, priv = session.generateKeyPair(
            [(PyKCS11.CKA_TOKEN, True), (PyKCS11.CKA_ID, b"\x09")],
            [(PyKCS11.CKA_TOKEN, True), (PyKCS11.CKA_ID, b"\x09"), (PyKCS11.CKA_PRIVATE, True)],
            mecha=keygen,
        )
        point = bytes(session.getAttributeValue(pub, [PyKCS11.CKA_EC_POINT], allAsBinary=True)[0])[2:]
        assert (
            bytes(session.getAttributeValue(priv, [PyKCS11.CKA_EC_POINT], allAsBinary=True)[0])[2:] == point
        )
        local, never = session.getAttributeValue(priv, [PyKCS11.CKA_LOCAL, PyKCS11.CKA_NEVER_EXTRACTABLE])
        assert local and never
        message = b"generated on the token"
        signature = bytes(session.sign(priv, message, PyKCS11.Mechanism(int(tok.conf["mech_sm3_sm2"]))))  # type: ignore[call-overload]
        assert gm.sm2_verify(point, message, raw_to_der(signature))


def test_vendor_numbers_come_from_the_conf(tmp_path: Path) -> None:
    ibm = {
        "mech_sm2_raw": 0x8005000B,
        "mech_sm3_sm2": 0x8005000C,
        "mech_sm2_keygen": 0x80050001,
        "key_type_sm2": 0x80050002,
    }
    with sm2_token(tmp_path, **ibm) as tok, tok.user() as session:
        mechs = (ULONG * 8)()
        count = ULONG(8)
        assert tok.c.C_GetMechanismList(0, mechs, ctypes.byref(count)) == CKR_OK
        assert sorted(mechs[: count.value]) == sorted(
            [ibm["mech_sm2_raw"], ibm["mech_sm3_sm2"], ibm["mech_sm2_keygen"]]
        )
        key = private_key(session)
        assert session.getAttributeValue(key, [PyKCS11.CKA_KEY_TYPE])[0] == ibm["key_type_sm2"]
        with pytest.raises(PyKCS11.PyKCS11Error) as err:
            session.sign(key, b"m", PyKCS11.Mechanism(0x80008100))
        assert err.value.value == PyKCS11.CKR_MECHANISM_INVALID
        signature = bytes(session.sign(key, b"m", PyKCS11.Mechanism(ibm["mech_sm3_sm2"])))
    assert gm.sm2_verify(PUBLIC_POINT, b"m", raw_to_der(signature))


# ---- bad input ----


def test_imports_that_cannot_be_sm2_keys_are_refused(tmp_path: Path) -> None:
    n = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
    with sm2_token(tmp_path, provision_key=False) as tok, tok.user() as session:
        base = [(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_TOKEN, True)]
        cases = [
            (
                base + [(PyKCS11.CKA_KEY_TYPE, KEY_TYPE_SM2), (PyKCS11.CKA_VALUE, bytes(32))],
                "ATTRIBUTE_VALUE_INVALID",
            ),
            (
                base
                + [(PyKCS11.CKA_KEY_TYPE, KEY_TYPE_SM2), (PyKCS11.CKA_VALUE, (n - 1).to_bytes(32, "big"))],
                "ATTRIBUTE_VALUE_INVALID",
            ),
            (
                base + [(PyKCS11.CKA_KEY_TYPE, KEY_TYPE_SM2), (PyKCS11.CKA_VALUE, bytes(30) + b"\x01")],
                "ATTRIBUTE_VALUE_INVALID",
            ),
            (
                base + [(PyKCS11.CKA_KEY_TYPE, PyKCS11.CKK_EC), (PyKCS11.CKA_VALUE, SM2_PRIVATE)],
                "ATTRIBUTE_VALUE_INVALID",
            ),
            (base + [(PyKCS11.CKA_KEY_TYPE, KEY_TYPE_SM2)], "TEMPLATE_INCOMPLETE"),
            (
                base
                + [
                    (PyKCS11.CKA_KEY_TYPE, KEY_TYPE_SM2),
                    (PyKCS11.CKA_VALUE, SM2_PRIVATE),
                    (PyKCS11.CKA_EXTRACTABLE, True),
                ],
                "ATTRIBUTE_VALUE_INVALID",
            ),
            (
                base
                + [
                    (PyKCS11.CKA_KEY_TYPE, KEY_TYPE_SM2),
                    (PyKCS11.CKA_VALUE, SM2_PRIVATE),
                    (PyKCS11.CKA_EC_POINT, b"\x04\x41" + b"\x04" + bytes(64)),
                ],
                "TEMPLATE_INCONSISTENT",
            ),
            ([(PyKCS11.CKA_TOKEN, True)], "TEMPLATE_INCOMPLETE"),
            (
                [(PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE), (PyKCS11.CKA_TOKEN, True)],
                "TEMPLATE_INCOMPLETE",
            ),
        ]
        for template, expected in cases:
            with pytest.raises(PyKCS11.PyKCS11Error) as err:
                session.createObject(template)
            assert err.value.value == getattr(PyKCS11, f"CKR_{expected}"), template
        assert session.findObjects() == []
        # a read-only session cannot create token objects; nobody logged in cannot create private ones
        ro = tok.session(rw=False)
        with pytest.raises(PyKCS11.PyKCS11Error) as err:
            ro.createObject([(PyKCS11.CKA_CLASS, PyKCS11.CKO_DATA), (PyKCS11.CKA_TOKEN, True)])
        assert err.value.value == PyKCS11.CKR_SESSION_READ_ONLY


def test_null_pointers_bad_handles_and_small_buffers(tmp_path: Path) -> None:
    with sm2_token(tmp_path) as tok:
        c = tok.c
        session = tok.session()
        h = session.session.value()
        assert c.C_GetTokenInfo(0, None) == CKR_ARGUMENTS_BAD
        assert c.C_GetTokenInfo(99, None) == PyKCS11.CKR_SLOT_ID_INVALID
        assert c.C_GetSlotList(1, None, None) == CKR_ARGUMENTS_BAD
        count = ULONG(0)
        assert c.C_GetSlotList(1, None, ctypes.byref(count)) == CKR_OK and count.value == 2
        one = (ULONG * 1)()
        count = ULONG(1)
        assert c.C_GetSlotList(1, one, ctypes.byref(count)) == CKR_BUFFER_TOO_SMALL and count.value == 2
        assert c.C_OpenSession(0, 4, None, None, None) == CKR_ARGUMENTS_BAD
        assert (
            c.C_OpenSession(0, 0, None, None, ctypes.byref(ULONG()))
            == PyKCS11.CKR_SESSION_PARALLEL_NOT_SUPPORTED
        )
        assert c.C_Login(987654, 1, b"123456", 6) == PyKCS11.CKR_SESSION_HANDLE_INVALID
        assert c.C_Login(h, 7, b"123456", 6) == PyKCS11.CKR_USER_TYPE_INVALID
        assert c.C_Login(h, 1, None, 6) == CKR_ARGUMENTS_BAD
        assert tok.pin_flags() == 0  # none of that counted as a try
        assert c.C_FindObjectsInit(h, None, 3) == CKR_ARGUMENTS_BAD
        assert c.C_FindObjects(h, None, 0, ctypes.byref(ULONG())) == PyKCS11.CKR_OPERATION_NOT_INITIALIZED
        assert c.C_Encrypt(h, None, 0, None, None) == PyKCS11.CKR_FUNCTION_NOT_SUPPORTED
        assert c.C_GenerateRandom(h, None, 16) == CKR_ARGUMENTS_BAD
        # attributes: NULL → length, too small → CKR_BUFFER_TOO_SMALL with CK_UNAVAILABLE_INFORMATION
        (pub,) = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PUBLIC_KEY)])
        attrs = (CK_ATTRIBUTE * 2)(CK_ATTRIBUTE(PyKCS11.CKA_EC_POINT, None, 0), CK_ATTRIBUTE(0x7FFF, None, 0))
        assert c.C_GetAttributeValue(h, pub.value(), attrs, 2) == PyKCS11.CKR_ATTRIBUTE_TYPE_INVALID
        assert attrs[0].ulValueLen == 67 and attrs[1].ulValueLen == ctypes.c_ulong(-1).value
        small = ctypes.create_string_buffer(10)
        attrs = (CK_ATTRIBUTE * 1)(
            CK_ATTRIBUTE(PyKCS11.CKA_EC_POINT, ctypes.cast(small, ctypes.c_void_p), 10)
        )
        assert c.C_GetAttributeValue(h, pub.value(), attrs, 1) == CKR_BUFFER_TOO_SMALL
        assert attrs[0].ulValueLen == ctypes.c_ulong(-1).value
        assert c.C_GetAttributeValue(h, 123456, attrs, 1) == PyKCS11.CKR_OBJECT_HANDLE_INVALID
        assert c.C_GetAttributeValue(h, pub.value(), None, 1) == CKR_ARGUMENTS_BAD
        # a template value whose pointer is NULL with a length is refused, not read
        bad = (CK_ATTRIBUTE * 1)(CK_ATTRIBUTE(PyKCS11.CKA_LABEL, None, 5))
        assert c.C_SetAttributeValue(h, pub.value(), bad, 1) == PyKCS11.CKR_ATTRIBUTE_VALUE_INVALID
        assert c.C_CreateObject(h, bad, 1, ctypes.byref(ULONG())) == PyKCS11.CKR_ATTRIBUTE_VALUE_INVALID
        assert c.C_CreateObject(h, None, 1, ctypes.byref(ULONG())) == CKR_ARGUMENTS_BAD


def test_a_bad_conf_file_fails_initialisation(tmp_path: Path) -> None:
    conf = tmp_path / "bad.conf"
    path = module_copy(tmp_path)
    c = ctypes.CDLL(str(path))
    c.C_Initialize.argtypes = [ctypes.c_void_p]
    c.C_Initialize.restype = ctypes.c_ulong
    old = os.environ.get(provision.CONF_ENV)
    try:
        os.environ[provision.CONF_ENV] = str(conf)
        for text in (
            "store = /tmp/x\nmax_pin_triez = 3\n",
            "slots = 0\n",
            "signature_format = pem\n",
            "mech_sm2_raw = 12abc\n",
            "no equals sign\n",
        ):
            conf.write_text(text)
            assert c.C_Initialize(None) == PyKCS11.CKR_GENERAL_ERROR, text
        conf.unlink()
        assert c.C_Initialize(None) == PyKCS11.CKR_GENERAL_ERROR  # named but missing
    finally:
        if old is None:
            os.environ.pop(provision.CONF_ENV, None)
        else:
            os.environ[provision.CONF_ENV] = old


# ---- concurrency ----

_WRITER = """
import sys
import PyKCS11
lib = PyKCS11.PyKCS11Lib().load(sys.argv[1])
session = lib.openSession(0, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
for i in range(int(sys.argv[3])):
    session.createObject([(PyKCS11.CKA_CLASS, PyKCS11.CKO_DATA), (PyKCS11.CKA_TOKEN, True),
                          (PyKCS11.CKA_LABEL, f"{sys.argv[2]}-{i}"), (PyKCS11.CKA_VALUE, b"x" * 1000)])
"""


def test_concurrent_writers_in_two_processes_lose_nothing(tmp_path: Path) -> None:
    with sm2_token(tmp_path, provision_key=False) as tok:
        env = {**os.environ, provision.CONF_ENV: str(tok.conf_path)}
        children = [
            subprocess.Popen([sys.executable, "-c", _WRITER, str(module_copy(tmp_path)), name, "25"], env=env)
            for name in ("a", "b")
        ]
        assert [child.wait(timeout=120) for child in children] == [0, 0]
        session = tok.session()
        labels = sorted(session.getAttributeValue(o, [PyKCS11.CKA_LABEL])[0] for o in session.findObjects())
        assert labels == sorted(f"{name}-{i}" for name in "ab" for i in range(25))
        handles = [o.value() for o in session.findObjects()]
        assert len(set(handles)) == 50  # every object got its own handle


def test_threads_signing_at_once_get_valid_signatures(tmp_path: Path) -> None:
    import threading

    with sm2_token(tmp_path, signature_format="der") as tok, tok.user() as login:
        key = private_key(login).value()
        c = tok.c
        mech = CK_MECHANISM(int(tok.conf["mech_sm3_sm2"]), None, 0)  # type: ignore[call-overload]
        results: list[tuple[bytes, bytes]] = []
        errors: list[int] = []

        def worker(n: int) -> None:
            handle = ULONG()
            rv = c.C_OpenSession(0, 4, None, None, ctypes.byref(handle))
            for i in range(15):
                message = f"thread {n} message {i}".encode()
                buf = ctypes.create_string_buffer(72)
                size = ULONG(72)
                rv = rv or c.C_SignInit(handle.value, ctypes.byref(mech), key)
                rv = rv or c.C_Sign(handle.value, message, len(message), buf, ctypes.byref(size))
                if rv:
                    errors.append(rv)
                    return
                results.append((message, buf.raw[: size.value]))
            c.C_CloseSession(handle.value)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == [] and len(results) == 60
    assert all(gm.sm2_verify(PUBLIC_POINT, message, signature) for message, signature in results)


def test_a_clean_build_is_warning_free_and_exports_only_the_pkcs11_api(tmp_path: Path) -> None:
    """`make setup` builds with -Wall -Wextra -Werror; nothing but the 68 C_ functions leaves the library."""
    out = tmp_path / "build"
    done = subprocess.run(
        ["make", "-C", str(provision.ROOT / "tests" / "p11sm2"), f"OUT={out}"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    symbols = subprocess.run(
        ["nm", "-D", "--defined-only", str(out / "libsealdesk_sm2_test.so")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    exported = {s for s in symbols if s.startswith("C_")}
    assert len(exported) == 68 and "C_GetFunctionList" in exported
    assert not [s for s in symbols if s.startswith("p11sm2_")]  # internals stay hidden
