"""Module loading, token listing and the python-pkcs11 0.9.5 quirks, against real SoftHSM tokens."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from app.core import softhsm
from app.core.errors import ModuleLoadFailed, NoTokenPresent, TokenNotFound
from app.core.keys import PinState, TokenManager, decode_text
from app.core.keys.catalog import (
    MODULE_ENV,
    binary_bits,
    discover,
    load_catalog,
    load_failure_hint,
    python_bits,
)
from app.core.keys.model import SEAL_APPLICATION
from app.core.keys.p11 import find_slot

USER_PIN = "123456"  # the fresh_token fixture's user PIN


def alive_handles(mgr: TokenManager, module_path: str, upto: int = 256) -> set[int]:
    """Session handles the module answers C_GetSessionInfo for (SoftHSM numbers them from 1)."""
    module = mgr._module(module_path)
    return module.worker.call(lambda: {h for h in range(1, upto) if module.raw.session_alive(h)})


# --- catalog and module loading -------------------------------------------------------------------
def test_catalog_lists_known_vendors_and_softhsm_flags():
    specs = {spec.id: spec for spec in load_catalog()}
    for vendor in ("softhsm2", "opensc", "longmai-gm3000", "feitian-epass3000gm", "feitian-epass3003", "haitai", "watchdata"):
        assert vendor in specs
    softhsm_spec = specs["softhsm2"]
    assert softhsm_spec.needs_reinit is True
    assert softhsm_spec.quirks.get("no_hashed_ecdsa") is True
    assert specs["longmai-gm3000"].confirmed is False
    # the catalog candidates for this OS include the installed SoftHSM
    assert softhsm.module_path() in softhsm_spec.candidates


def test_discover_uses_catalog_env_and_settings(tmp_path: Path, softhsm_module: str, monkeypatch):
    fake = tmp_path / "vendor_pkcs11.so"
    fake.write_bytes(b"not a library")
    monkeypatch.setenv(MODULE_ENV, os.pathsep.join([str(fake), softhsm_module]))
    found = discover(["/nonexistent/libmissing.so"])
    paths = [c.path for c in found]
    assert paths.count(softhsm_module) == 1  # catalog and env name the same file: listed once
    assert str(fake) in paths and "/nonexistent/libmissing.so" in paths
    soft = next(c for c in found if c.path == softhsm_module)
    assert soft.spec.id == "softhsm2" and soft.spec.needs_reinit
    monkeypatch.delenv(MODULE_ENV)
    assert [c.path for c in discover([], use_catalog=False)] == []


def test_module_load_failures_are_reported_not_fatal(tmp_path: Path, softhsm_module: str, fresh_token: str):
    not_a_library = tmp_path / "broken_pkcs11.so"
    not_a_library.write_text("this is text, not ELF")
    missing = str(tmp_path / "missing_pkcs11.so")
    mgr = TokenManager(extra_modules=[str(not_a_library), missing, softhsm_module], use_catalog=False)
    try:
        infos = {m.path: m for m in mgr.modules()}
        assert infos[softhsm_module].loaded and infos[softhsm_module].error is None
        for path, hint in ((str(not_a_library), "not a shared library"), (missing, "file not found")):
            info = infos[path]
            assert not info.loaded
            assert isinstance(info.error, ModuleLoadFailed)
            assert hint in info.error.detail
            assert info.name in info.error.user_message()
        assert fresh_token in [t.label for t in mgr.tokens()]  # the good module still works
    finally:
        mgr.close()


def test_architecture_hint_for_wrong_bitness(tmp_path: Path, softhsm_module: str):
    assert binary_bits(softhsm_module) == python_bits()
    other = 32 if python_bits() == 64 else 64
    # an ELF of the other class
    elf = tmp_path / "libother.so"
    elf.write_bytes(b"\x7fELF" + bytes([1 if other == 32 else 2]) + b"\x01\x01" + bytes(64))
    assert binary_bits(str(elf)) == other
    assert f"{other}-bit module" in load_failure_hint(str(elf))
    # a PE DLL for i386
    pe = bytearray(256)
    pe[:2] = b"MZ"
    struct.pack_into("<I", pe, 0x3C, 0x80)
    pe[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<H", pe, 0x84, 0x014C)
    dll = tmp_path / "vendor32.dll"
    dll.write_bytes(bytes(pe))
    assert binary_bits(str(dll)) == 32
    mgr = TokenManager(extra_modules=[str(elf)], use_catalog=False)
    try:
        (info,) = mgr.modules()
        assert not info.loaded and f"{other}-bit module" in info.error.detail
    finally:
        mgr.close()


# --- listing --------------------------------------------------------------------------------------
def test_lists_token_with_details(manager: TokenManager, fresh_token: str, softhsm_module: str):
    token = manager.find_token(label=fresh_token)
    assert token.label == fresh_token
    assert token.module_path == softhsm_module and token.module_name == "SoftHSM 2"
    assert token.manufacturer == "SoftHSM project" and token.model == "SoftHSM v2"
    assert len(token.serial) == 16 and int(token.serial, 16) >= 0
    assert token.pin_state is PinState.OK
    assert token.key == (softhsm_module, token.serial)
    assert manager.find_token(serial=token.serial) == token
    assert token in manager.tokens()
    # uninitialised (free) SoftHSM slots are not listed
    assert all(t.label for t in manager.tokens())


def test_catalog_manager_finds_softhsm(fresh_token: str, softhsm_module: str):
    mgr = TokenManager()
    try:
        assert any(m.path == softhsm_module and m.loaded for m in mgr.modules())
        assert mgr.find_token(label=fresh_token).module_path == softhsm_module
    finally:
        mgr.close()


def test_unknown_token_and_no_token(manager: TokenManager, fresh_token: str, tmp_path: Path):
    with pytest.raises(TokenNotFound):
        manager.find_token(serial="0000000000000000")
    empty = TokenManager(extra_modules=[str(tmp_path / "none.so")], use_catalog=False)
    try:
        with pytest.raises(NoTokenPresent):
            empty.find_token(label=fresh_token)
    finally:
        empty.close()


# --- labels ---------------------------------------------------------------------------------------
def test_decode_text_falls_back_to_gb18030_then_hex():
    assert decode_text("合同专用章".encode()) == "合同专用章"
    assert decode_text("合同专用章".encode("gbk")) == "合同专用章"
    assert decode_text(b"\x81\x30\xff") == "8130ff"
    assert decode_text(b"label   ") == "label"


def test_gbk_object_label_is_read_tolerantly(manager: TokenManager, fresh_token: str):
    """python-pkcs11's default mapper raises on a GBK label; our session mapper decodes it."""
    from pkcs11 import Attribute, ObjectClass

    token = manager.find_token(label=fresh_token)
    gbk = "财务专用章".encode("gbk")
    with manager.open_session(token, USER_PIN) as session:
        raw_session = session._session
        module = session._module

        def write_gbk() -> None:  # as a vendor tool writing GBK would; our mapper packs bytes as-is
            raw_session.create_object(
                {
                    Attribute.CLASS: ObjectClass.DATA,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: False,
                    Attribute.APPLICATION: SEAL_APPLICATION,
                    Attribute.OBJECT_ID: b"\x01",
                    Attribute.LABEL: gbk,
                    Attribute.VALUE: b"\x30\x00",
                }
            )

        module.worker.call(write_gbk)
        assert [s.label for s in session.seals()] == ["财务专用章"]

        def strict_read() -> str:
            plain = find_slot(module.lib, token.slot_id).get_token().open(user_pin=None)
            try:
                obj = next(iter(plain.get_objects({Attribute.CLASS: ObjectClass.DATA})))
                return obj[Attribute.LABEL]
            finally:
                plain.close()

        with pytest.raises(UnicodeDecodeError):  # the 0.9.5 quirk is real
            module.worker.call(strict_read)


# --- python-pkcs11 0.9.5 quirks ---------------------------------------------------------------------
def test_pkcs11_open_with_wrong_pin_leaks_a_session_but_ours_does_not(manager: TokenManager, fresh_token: str):
    import pkcs11.exceptions as p11exc

    token = manager.find_token(label=fresh_token)
    module = manager._module(token.module_path)
    before = alive_handles(manager, token.module_path)

    def library_open() -> None:
        find_slot(module.lib, token.slot_id).get_token().open(user_pin="999999")

    with pytest.raises(p11exc.PinIncorrect) as caught:
        module.worker.call(library_open)
    assert str(caught.value) == ""  # pkcs11 exceptions carry no text
    leaked = alive_handles(manager, token.module_path) - before
    assert len(leaked) == 1  # quirk confirmed on 0.9.5: one session per failed Token.open()
    module.worker.call(lambda: [module.raw.close_session(h) for h in leaked])
    assert alive_handles(manager, token.module_path) == before


def test_vendor_mechanism_numbers_are_refused_by_python_pkcs11(manager: TokenManager, fresh_token: str):
    import pkcs11.exceptions as p11exc
    from pkcs11 import Attribute, ObjectClass

    token = manager.find_token(label=fresh_token)
    with manager.open_session(token, USER_PIN) as session:
        session.generate_key_pair("ec-p256", b"\x07", "k")

        def vendor_sign() -> bytes:
            key = next(iter(session._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})))
            return key.sign(b"\x00" * 32, mechanism=0x80008104)  # CKM_SM2_SIGN (Sansec numbering)

        with pytest.raises(p11exc.ArgumentsBad):
            session._module.worker.call(vendor_sign)


def test_slot_events_unavailable_on_softhsm(manager: TokenManager, fresh_token: str):
    import pkcs11.exceptions as p11exc

    module = manager._module(manager.find_token(label=fresh_token).module_path)
    with pytest.raises(p11exc.NoEvent):
        module.worker.call(lambda: module.lib.wait_for_slot_event(blocking=False))



# --- worker thread --------------------------------------------------------------------------------
def test_worker_runs_calls_in_order_on_one_thread_and_propagates_errors():
    import threading

    from app.core.keys.worker import ModuleWorker

    worker = ModuleWorker("test")
    try:
        seen: list[tuple[int, str]] = []
        threads = [
            threading.Thread(target=lambda n=n: worker.call(lambda: seen.append((n, threading.current_thread().name))))
            for n in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(n for n, _ in seen) == list(range(8))
        assert {name for _, name in seen} == {"pkcs11:test"}
        assert worker.call(lambda: worker.call(lambda: 5)) == 5  # nested call does not deadlock
        with pytest.raises(ZeroDivisionError):
            worker.call(lambda: 1 / 0)
    finally:
        worker.stop()
    with pytest.raises(RuntimeError):
        worker.call(lambda: None)
