"""The local usage log: records, canonical encoding, hash chain, signatures, tampering, concurrency."""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID

from app.core.clock import fixed_clock
from app.core.errors import InvalidArgument, UsageLogCorrupt, UsageLogError
from app.core.usage import (
    GENESIS_HASH,
    LogVerification,
    NewRecord,
    Placement,
    RecordFormatError,
    UsageLog,
    UsageRecord,
    canonical_json,
)
from app.i18n import translate

# --- software signers (the DigestSigner shape, backed by cryptography) ----------------------------


def _make_cert(key, serial: int, name: str, public_key=None) -> bytes:
    """A certificate for `public_key` (default: `key`'s own), signed by `key`."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key or key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass
class SoftSigner:
    """A DigestSigner in software; `raw_ecdsa` mimics PKCS#11's r‖s output."""

    key: object
    certificate: bytes
    key_type: str
    scheme: str
    raw_ecdsa: bool = False
    calls: int = 0

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        assert hash_name == "sha256" and len(digest) == 32
        self.calls += 1
        prehashed = utils.Prehashed(hashes.SHA256())
        if self.scheme == "pkcs1v15":
            return self.key.sign(digest, padding.PKCS1v15(), prehashed)
        if self.scheme == "pss":
            return self.key.sign(digest, padding.PSS(padding.MGF1(hashes.SHA256()), 32), prehashed)
        der = self.key.sign(digest, ec.ECDSA(prehashed))
        if not self.raw_ecdsa:
            return der
        r, s = utils.decode_dss_signature(der)
        size = (self.key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


_KEY_CACHE: dict[str, object] = {}


def _rsa_key(tag: str):
    if tag not in _KEY_CACHE:
        _KEY_CACHE[tag] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEY_CACHE[tag]


def rsa_signer(scheme: str = "pkcs1v15", tag: str = "a", serial: int = 0x1A2B3C) -> SoftSigner:
    key = _rsa_key(tag)
    return SoftSigner(key, _make_cert(key, serial, f"RSA {tag}"), "rsa", scheme)


def ec_signer(raw: bool = True, serial: int = 0x77) -> SoftSigner:
    key = ec.generate_private_key(ec.SECP256R1())
    return SoftSigner(key, _make_cert(key, serial, "EC"), "ec", "ecdsa", raw_ecdsa=raw)


def serial_hex(certificate: bytes) -> str:
    return format(x509.load_der_x509_certificate(certificate).serial_number, "X")


def new_record(signer, holder: str = "TOKEN1:1A2B3C", name: str = "合同.pdf", **changes) -> NewRecord:
    content = f"signed output of {name}".encode()
    from cryptography.hazmat.primitives import hashes as h

    sm3 = h.Hash(h.SM3())
    sm3.update(content)
    base = NewRecord(
        holder=holder,
        seal_id="4403000000001",
        seal_name="深圳市示例科技有限公司合同专用章",
        seal_kind="official",
        cert_serial=serial_hex(signer.certificate),
        cert_issuer="CN=Test CA",
        document_name=name,
        document_sha256=hashlib.sha256(content).hexdigest(),
        document_sm3=sm3.finalize().hex(),
        page_count=3,
        placements=(Placement(1, 120.5, 230.25, 42.0, 42.0), Placement(3, -21.0, 100.0, 10.5, 42.0)),
        approval_ref="SP-2026-0042",
        purpose="签订采购合同",
    )
    return replace(base, **changes)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "usage.sqlite3"


@pytest.fixture
def log(log_path: Path):
    usage_log = UsageLog(log_path, client_host="test-host", client_version="9.9.9")
    yield usage_log
    usage_log.close()


def raw_sql(path: Path, *statements: str, params: tuple = ()) -> None:
    """Tamper with the file directly, as an attacker with file access would (dropping the guards first)."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS records_append_only_update")
    conn.execute("DROP TRIGGER IF EXISTS records_append_only_delete")
    for statement in statements:
        conn.execute(statement, params if "?" in statement else ())
    conn.commit()
    conn.close()


def problems_text(log: UsageLog) -> str:
    result = log.verify()
    assert not result.ok
    return "\n".join(result.problems)


# --- round trip, encoding -------------------------------------------------------------------------


def test_append_and_read_back_round_trip(log: UsageLog) -> None:
    assert log.verify() == LogVerification(ok=True, checked=0, problems=())
    signer = rsa_signer()
    moment = datetime(2026, 11, 25, 8, 30, 15, 123456, tzinfo=UTC)
    record = log.append(new_record(signer), signer, clock=fixed_clock(moment))

    assert record.seq == 1 and record.prev_hash == GENESIS_HASH
    assert record.stamped_at == "2026-11-25T08:30:15.123Z"
    assert record.outcome == "signed" and record.refers_to is None
    assert (record.client_host, record.client_version) == ("test-host", "9.9.9")
    assert record.signer_cert_sha256 == hashlib.sha256(signer.certificate).hexdigest()
    assert record.record_hash == hashlib.sha256(record.canonical_bytes()).hexdigest()
    assert log.records() == [record]
    assert log.records(holder=record.holder) == [record]
    assert log.records(holder="someone else") == []
    assert log.certificate(record.signer_cert_sha256) == signer.certificate

    # JSON round trip (what the sync module uploads) survives a real JSON text round trip
    wire = json.loads(json.dumps(record.to_json(), ensure_ascii=False))
    assert UsageRecord.from_json(wire) == record
    assert wire["placements"][1] == {
        "page": 3, "x_mm": "-21.000", "y_mm": "100.000", "width_mm": "10.500", "height_mm": "42.000"
    }  # fmt: skip

    # the signature is independently verifiable with the certificate's public key over SHA-256(canonical)
    public_key = x509.load_der_x509_certificate(signer.certificate).public_key()
    public_key.verify(
        base64.b64decode(record.signature), record.canonical_bytes(), padding.PKCS1v15(), hashes.SHA256()
    )
    assert log.verify().ok


def test_canonical_bytes_are_specified_json(log: UsageLog) -> None:
    signer = rsa_signer()
    record = log.append(new_record(signer), signer)
    canonical = record.canonical_bytes()
    text = canonical.decode("utf-8")
    # sorted keys, no whitespace, raw UTF-8 (no \\u escapes), no hash/signature inside
    assert text.startswith('{"approval_ref":"SP-2026-0042","cert_issuer":"CN=Test CA",')
    assert "合同专用章" in text and "\\u" not in text and ": " not in text and ", " not in text
    body = json.loads(text)
    assert list(body) == sorted(body)
    assert "signature" not in body and "record_hash" not in body
    assert body["format"] == "sealdesk-usage-record/1"
    # rebuilding from the wire JSON, as a server in another language would, gives the same bytes
    wire = record.to_json()
    del wire["signature"], wire["record_hash"]
    assert json.dumps(wire, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == canonical
    # floats and non-ASCII keys are refused, so the encoding stays RFC 8785-compatible
    with pytest.raises(RecordFormatError):
        canonical_json({"x": 1.5})
    with pytest.raises(RecordFormatError):
        canonical_json({"键": 1})


def test_placement_rounds_and_validates() -> None:
    p = Placement(1, 10.00049, -0.0001, 42, 42)
    assert (p.x_mm, p.y_mm, p.width_mm) == (10.0, 0.0, 42.0)
    assert p.to_json()["y_mm"] == "0.000"
    with pytest.raises(RecordFormatError):
        Placement(0, 1, 1, 1, 1)
    with pytest.raises(RecordFormatError):
        Placement(1, float("nan"), 1, 1, 1)
    with pytest.raises(RecordFormatError):
        Placement(1, 1, 1, 0, 1)


def test_invalid_new_record_is_refused_before_signing(log: UsageLog) -> None:
    signer = rsa_signer()
    with pytest.raises(InvalidArgument):
        log.append(new_record(signer, document_sha256="ABC"), signer)
    with pytest.raises(InvalidArgument):
        log.append(new_record(signer, page_count=2), signer)  # placement on page 3
    assert signer.calls == 0 and log.records() == []


# --- chain ----------------------------------------------------------------------------------------


def test_seq_is_per_holder_and_chained(log: UsageLog) -> None:
    signer_a, signer_b = rsa_signer(), rsa_signer("pss", tag="b", serial=0xB0B)
    a = [log.append(new_record(signer_a, holder="A", name=f"a{i}.pdf"), signer_a) for i in range(3)]
    b = [log.append(new_record(signer_b, holder="B", name=f"b{i}.pdf"), signer_b) for i in range(2)]
    a.append(log.append(new_record(signer_a, holder="A", name="a3.pdf"), signer_a))

    assert [r.seq for r in a] == [1, 2, 3, 4] and [r.seq for r in b] == [1, 2]
    assert a[0].prev_hash == b[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in a[1:]] == [r.record_hash for r in a[:-1]]
    assert b[1].prev_hash == b[0].record_hash
    assert log.records(holder="A") == a
    assert log.records(holder="A", after_seq=2) == a[2:]
    assert [r.document_name for r in log.records()] == ["a0.pdf", "a1.pdf", "a2.pdf", "b0.pdf", "b1.pdf", "a3.pdf"]
    assert log.holders() == ["A", "B"]
    result = log.verify()
    assert result.ok and result.checked == 6 and result.problems == ()


@pytest.mark.parametrize("raw", [True, False], ids=["raw-r-s", "der"])
def test_ecdsa_signatures_are_stored_as_der_and_verify(log: UsageLog, raw: bool) -> None:
    signer = ec_signer(raw=raw)
    record = log.append(new_record(signer, holder="EC"), signer)
    signature = base64.b64decode(record.signature)
    assert signature[0] == 0x30  # DER SEQUENCE
    public_key = x509.load_der_x509_certificate(signer.certificate).public_key()
    public_key.verify(signature, record.canonical_bytes(), ec.ECDSA(hashes.SHA256()))
    assert log.verify().ok


def test_log_survives_reopen_and_is_wal(log_path: Path) -> None:
    signer = rsa_signer()
    with UsageLog(log_path) as first:
        record = first.append(new_record(signer), signer)
        assert first._connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn = sqlite3.connect(log_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
    with UsageLog(log_path) as second:
        assert second.records() == [record]
        assert second.append(new_record(signer), signer).seq == 2
        assert second.verify().ok


def test_default_path_is_in_the_data_dir() -> None:
    from app.core.paths import data_dir

    with UsageLog() as usage_log:
        assert usage_log.path == data_dir() / "usage.sqlite3"
        assert usage_log.path.exists()


# --- failures never write -------------------------------------------------------------------------


class ExplodingSigner(SoftSigner):
    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        raise RuntimeError("token removed")


def test_failing_signer_writes_nothing_and_consumes_no_seq(log: UsageLog) -> None:
    good = rsa_signer()
    log.append(new_record(good), good)
    bad = ExplodingSigner(good.key, good.certificate, "rsa", "pkcs1v15")
    with pytest.raises(RuntimeError, match="token removed"):
        log.append(new_record(bad), bad)
    assert len(log.records()) == 1
    assert log.append(new_record(good), good).seq == 2
    assert log.verify().ok


def test_signature_from_a_key_that_does_not_match_the_certificate_is_refused(log: UsageLog) -> None:
    signer = rsa_signer()
    # same serial number, other key: only the signature check can tell
    mismatched = replace(signer, certificate=rsa_signer(tag="b", serial=0x1A2B3C).certificate)
    with pytest.raises(UsageLogError, match="does not verify"):
        log.append(new_record(mismatched), mismatched)
    assert log.records() == []


@dataclass
class SoftSM2Signer:
    """The interop SM2 key (tests/data/interop/USER.p12) as an SM2 signer: it signs the record's bytes."""

    private_key: int
    certificate: bytes
    key_type: str = "sm2"
    scheme: str = "sm2"

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        raise AssertionError("SM2 records must be signed over the message, not a digest")

    def sign_message(self, message: bytes) -> bytes:
        from app.core.gm import sm2_sign

        return sm2_sign(self.private_key, message)


def test_sm2_signer_records_are_signed_over_the_message_and_checked(log: UsageLog, interop_dir: Path) -> None:
    from app.core.gm import load_sm2_p12, sm2_public_point_from_cert, sm2_verify

    private_key, certificate = load_sm2_p12((interop_dir / "USER.p12").read_bytes(), b"777777")
    signer = SoftSM2Signer(private_key, certificate)
    first = log.append(new_record(signer, holder="SM2"), signer)
    second = log.append(new_record(signer, holder="SM2"), signer)
    assert log.records() == [first, second]
    result = log.verify()
    assert result.ok and result.checked == 2 and not result.problems
    signature = base64.b64decode(first.signature)
    assert sm2_verify(sm2_public_point_from_cert(certificate), first.canonical_bytes(), signature)


def test_records_are_append_only_in_sql(log: UsageLog, log_path: Path) -> None:
    signer = rsa_signer()
    log.append(new_record(signer), signer)
    conn = sqlite3.connect(log_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE records SET document_name = 'x.pdf'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM records")
    conn.close()


# --- void -----------------------------------------------------------------------------------------


def test_void_record_refers_to_the_voided_one(log: UsageLog) -> None:
    signer = rsa_signer()
    first = log.append(new_record(signer), signer)
    void = log.void(first, "output not written: PermissionError", signer)
    assert (void.outcome, void.refers_to, void.seq, void.prev_hash) == ("void", first.record_id, 2, first.record_hash)
    assert void.purpose == "output not written: PermissionError"
    assert void.document_sha256 == first.document_sha256
    assert log.records() == [first, void]  # the original is untouched
    assert log.verify().ok
    with pytest.raises(UsageLogError, match="already voided"):
        log.void(first, "again", signer)
    with pytest.raises(UsageLogError, match="cannot be voided"):
        log.void(void, "a void of a void", signer)
    stranger = replace(first, record_id="00000000-0000-4000-8000-000000000000")
    with pytest.raises(UsageLogError, match="not in this usage log"):
        log.void(stranger, "unknown", signer)
    with pytest.raises(InvalidArgument):
        log.void(first, "  ", signer)
    assert len(log.records()) == 2


# --- tampering ------------------------------------------------------------------------------------


@pytest.fixture
def three(log: UsageLog) -> list[UsageRecord]:
    signer = rsa_signer()
    return [log.append(new_record(signer, name=f"doc{i}.pdf"), signer) for i in range(3)]


def test_edited_field_is_reported(log: UsageLog, log_path: Path, three: list[UsageRecord]) -> None:
    raw_sql(log_path, "UPDATE records SET document_name = 'forged.pdf' WHERE seq = 2")
    text = problems_text(log)
    assert f"record {three[1].record_id}" in text and "seq 2" in text
    assert "record_hash does not match its content" in text


def test_edited_field_with_recomputed_hash_breaks_the_chain_and_signature(
    log: UsageLog, log_path: Path, three: list[UsageRecord]
) -> None:
    forged = replace(three[1], document_name="forged.pdf")
    forged = replace(forged, record_hash=forged.computed_hash())
    raw_sql(log_path, "UPDATE records SET document_name = ?, record_hash = ? WHERE seq = 2",
            params=(forged.document_name, forged.record_hash))  # fmt: skip
    text = problems_text(log)
    assert f"{three[1].record_id} (holder 'TOKEN1:1A2B3C', seq 2): bad signature" in text
    assert f"{three[2].record_id} (holder 'TOKEN1:1A2B3C', seq 3): prev_hash does not match" in text


def test_deleted_middle_record_is_reported(log: UsageLog, log_path: Path, three: list[UsageRecord]) -> None:
    raw_sql(log_path, "DELETE FROM records WHERE seq = 2")
    result = log.verify()
    assert not result.ok and result.checked == 2
    text = "\n".join(result.problems)
    assert f"{three[2].record_id} (holder 'TOKEN1:1A2B3C', seq 3): seq 2 missing" in text
    assert "prev_hash does not match" in text


def test_swapped_signatures_are_reported(log: UsageLog, log_path: Path, three: list[UsageRecord]) -> None:
    raw_sql(
        log_path,
        f"UPDATE records SET signature = '{three[2].signature}' WHERE seq = 1",
        f"UPDATE records SET signature = '{three[0].signature}' WHERE seq = 3",
    )
    problems = log.verify().problems
    bad = [p for p in problems if "bad signature" in p]
    assert len(bad) == 2
    assert any(three[0].record_id in p for p in bad) and any(three[2].record_id in p for p in bad)


def test_reordered_records_are_reported(log: UsageLog, log_path: Path, three: list[UsageRecord]) -> None:
    # swap the seq numbers of records 1 and 3: the order claimed no longer matches the chain
    raw_sql(
        log_path,
        "UPDATE records SET seq = -1 WHERE seq = 1",
        "UPDATE records SET seq = 1 WHERE seq = 3",
        "UPDATE records SET seq = 3 WHERE seq = -1",
    )
    text = problems_text(log)
    assert "prev_hash does not match" in text and "record_hash does not match its content" in text
    assert three[0].record_id in text and three[2].record_id in text


def test_signature_by_another_key_is_reported(log: UsageLog, log_path: Path, three: list[UsageRecord]) -> None:
    other = rsa_signer(tag="b", serial=0xB0B)
    forged_sig = base64.b64encode(other.sign_digest(bytes.fromhex(three[1].record_hash), "sha256")).decode()
    raw_sql(log_path, "UPDATE records SET signature = ? WHERE seq = 2", params=(forged_sig,))
    text = problems_text(log)
    assert f"{three[1].record_id} (holder 'TOKEN1:1A2B3C', seq 2): bad signature" in text


def test_last_record_rewritten_with_another_key_is_reported(
    log: UsageLog, log_path: Path, three: list[UsageRecord]
) -> None:
    """An attacker rewrites the newest record and re-signs it with their own key and certificate."""
    other = rsa_signer(tag="b", serial=0xB0B)
    forged = replace(
        three[2], document_name="forged.pdf", signer_cert_sha256=hashlib.sha256(other.certificate).hexdigest()
    )
    forged = replace(forged, record_hash=forged.computed_hash())
    signature = base64.b64encode(other.sign_digest(bytes.fromhex(forged.record_hash), "sha256")).decode()
    conn = sqlite3.connect(log_path)
    conn.execute("INSERT INTO certificates VALUES (?, ?)", (forged.signer_cert_sha256, other.certificate))
    conn.commit()
    conn.close()
    raw_sql(
        log_path,
        "UPDATE records SET document_name = ?, signer_cert_sha256 = ?, record_hash = ?, signature = ? WHERE seq = 3",
        params=(forged.document_name, forged.signer_cert_sha256, forged.record_hash, signature),
    )
    text = problems_text(log)
    assert f"{three[2].record_id} (holder 'TOKEN1:1A2B3C', seq 3): bad signature" in text
    assert "is not the record's certificate" in text


def test_unknown_signer_certificate_and_garbage_rows_are_reported(
    log: UsageLog, log_path: Path, three: list[UsageRecord]
) -> None:
    raw_sql(
        log_path,
        "UPDATE records SET placements = 'not json' WHERE seq = 1",
        f"UPDATE records SET signer_cert_sha256 = '{'ab' * 32}' WHERE seq = 2",
    )
    result = log.verify()
    text = "\n".join(result.problems)
    assert result.checked == 3
    assert f"record {three[0].record_id} (holder 'TOKEN1:1A2B3C', seq 1): unreadable" in text
    assert "is not known" in text
    with pytest.raises(UsageLogCorrupt):
        log.records()


# --- concurrency ----------------------------------------------------------------------------------


def test_concurrent_appends_from_threads_stay_gap_free(log_path: Path) -> None:
    signer = rsa_signer()
    shared = UsageLog(log_path)
    errors: list[BaseException] = []

    def work(own_connection: bool) -> None:
        usage_log = UsageLog(log_path) if own_connection else shared
        try:
            for i in range(6):
                usage_log.append(new_record(signer, name=f"t{threading.get_ident()}-{i}.pdf"), signer)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            if own_connection:
                usage_log.close()

    threads = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    records = shared.records(holder="TOKEN1:1A2B3C")
    assert [r.seq for r in records] == list(range(1, 25))
    assert shared.verify().ok
    shared.close()


def _process_worker(path: str, key_pem: bytes, cert: bytes, count: int, start) -> None:
    key = serialization.load_pem_private_key(key_pem, password=None)
    signer = SoftSigner(key, cert, "rsa", "pkcs1v15")
    with UsageLog(Path(path)) as usage_log:
        start.wait(30)
        for i in range(count):
            usage_log.append(new_record(signer, name=f"pid{multiprocessing.current_process().pid}-{i}.pdf"), signer)
            time.sleep(0.003)  # let the other process in between (SQLite's busy handler backs off)


def test_concurrent_appends_from_processes_stay_gap_free(log_path: Path) -> None:
    signer = rsa_signer()
    UsageLog(log_path).close()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    processes = [
        context.Process(target=_process_worker, args=(str(log_path), signer.pem(), signer.certificate, 20, start))
        for _ in range(2)
    ]
    for p in processes:
        p.start()
    start.set()  # both write at the same time
    for p in processes:
        p.join(60)
    assert [p.exitcode for p in processes] == [0, 0]
    with UsageLog(log_path) as usage_log:
        records = usage_log.records(holder="TOKEN1:1A2B3C")
        assert [r.seq for r in records] == list(range(1, 41))
        assert len({r.document_name.split("-")[0] for r in records}) == 2  # both processes wrote
        assert usage_log.verify().ok


# --- damaged files --------------------------------------------------------------------------------


def test_garbage_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    path.write_bytes(b"this is not a database at all\x00\xff" * 200)
    with pytest.raises(UsageLogCorrupt) as info:
        UsageLog(path)
    assert isinstance(info.value, UsageLogError)
    assert "not a readable SQLite database" in info.value.user_message()
    assert str(path) in str(info.value)


def test_damaged_pages_give_a_clear_error(log_path: Path) -> None:
    signer = rsa_signer()
    with UsageLog(log_path) as usage_log:
        for i in range(5):
            usage_log.append(new_record(signer, name=f"d{i}.pdf"), signer)
    data = bytearray(log_path.read_bytes())
    assert len(data) >= 3 * 4096
    data[4096:] = b"\xde\xad" * ((len(data) - 4096) // 2)  # keep the header page, wreck the rest
    log_path.write_bytes(bytes(data))
    with pytest.raises(UsageLogCorrupt) as info:
        with UsageLog(log_path) as usage_log:
            usage_log.records()
    assert "is damaged" in info.value.user_message() or "not a readable" in info.value.user_message()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(UsageLogError, match="schema 99"):
        UsageLog(path)


def test_closed_log_raises(log: UsageLog) -> None:
    log.close()
    with pytest.raises(UsageLogError):
        log.records()


# --- a real key ----------------------------------------------------------------------------------


def test_records_signed_by_a_softhsm_token(log: UsageLog, tmp_path: Path, softhsm_module: str, fresh_token: str):
    """The stamping path signs records with tokens.TokenDigestSigner; RSA and EC keys on a real token."""
    import subprocess

    from app.core.keys import TokenManager

    ca_key = _rsa_key("ca")
    manager = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    try:
        token = manager.find_token(label=fresh_token)
        with manager.open_session(token, "123456") as session:
            made = []
            for number, key_type in enumerate(("rsa2048", "ec-p256"), start=1):
                key_id = bytes([number])
                public_key = session.generate_key_pair(key_type, key_id, f"usage {key_type}")
                serial = 0x5EA1_0000 + number
                session.put_certificate(key_id, f"usage {key_type}", _make_cert(ca_key, serial, key_type, public_key))
                signer = session.digest_signer(key_id)
                holder = f"{token.serial}:{serial:X}"
                first = log.append(new_record(signer, holder=holder, name=f"{key_type}.pdf"), signer)
                made += [first, log.void(first, "output not written", signer)]
                made.append(log.append(new_record(signer, holder=holder), signer))
    finally:
        manager.close()

    assert [r.seq for r in made] == [1, 2, 3, 1, 2, 3]
    result = log.verify()
    assert result.ok and result.checked == 6, result.problems
    # openssl checks one token signature of each kind over the canonical bytes, independently of Python
    for record in (made[0], made[3]):
        cert = x509.load_der_x509_certificate(log.certificate(record.signer_cert_sha256))
        (tmp_path / "pub.pem").write_bytes(
            cert.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        (tmp_path / "body").write_bytes(record.canonical_bytes())
        (tmp_path / "sig").write_bytes(base64.b64decode(record.signature))
        done = subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"), "-signature", str(tmp_path / "sig"),
             str(tmp_path / "body")],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0 and "Verified OK" in done.stdout, done.stdout + done.stderr


# --- the specification, checked independently ----------------------------------------------------


def test_worked_example_in_the_docs_matches_the_encoding() -> None:
    """docs/usage-log.md shows one record's canonical bytes and hash; they must stay true."""
    doc = (Path(__file__).parent.parent / "docs" / "usage-log.md").read_text(encoding="utf-8")
    example = UsageRecord(
        record_id="3f1c2a9e-8b7d-4c6e-9a51-2d0f4b7e6c13", seq=1, prev_hash=GENESIS_HASH,
        stamped_at="2026-11-25T08:30:15.123Z", holder="SN0001:1A2B3C", seal_id="4403000000001",
        seal_name="示例科技有限公司合同专用章", seal_kind="official", cert_serial="1A2B3C",
        cert_issuer="CN=Example CA,O=Example,C=CN", document_name="合同.pdf",
        document_sha256=hashlib.sha256(b"x").hexdigest(), document_sm3="e" * 64, page_count=3,
        placements=(Placement(1, 120.5, 230.25, 42, 42),), approval_ref="SP-2026-0042", purpose=None,
        client_host="desk-01", client_version="0.1.0", outcome="signed", refers_to=None,
        signer_cert_sha256="c" * 64,
    )  # fmt: skip
    canonical = example.canonical_bytes().decode("utf-8")
    assert f"\n{canonical}\n" in doc
    assert f"record_hash = {hashlib.sha256(canonical.encode()).hexdigest()}" in doc


NODE_VERIFIER = r"""
const crypto = require("crypto");
const fs = require("fs");
const [recordsFile, certFile] = process.argv.slice(2);
const records = JSON.parse(fs.readFileSync(recordsFile, "utf8"));
const cert = new crypto.X509Certificate(fs.readFileSync(certFile));
const sortKeys = (v) => Array.isArray(v) ? v.map(sortKeys)
  : (v && typeof v === "object") ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])])) : v;
let prev = "0".repeat(64), seq = 1;
for (const r of records) {
  const body = Object.assign({}, r); delete body.signature; delete body.record_hash;
  const canonical = Buffer.from(JSON.stringify(sortKeys(body)), "utf8");
  const hash = crypto.createHash("sha256").update(canonical).digest("hex");
  if (hash !== r.record_hash) throw new Error(`hash mismatch at seq ${r.seq}`);
  if (r.prev_hash !== prev || r.seq !== seq) throw new Error(`chain broken at seq ${r.seq}`);
  if (BigInt("0x" + cert.serialNumber) !== BigInt("0x" + r.cert_serial)) throw new Error("serial");
  const sig = Buffer.from(r.signature, "base64");
  const key = cert.publicKey;
  const ok = key.asymmetricKeyType === "rsa"
    ? crypto.verify("sha256", canonical, key, sig) ||
      crypto.verify("sha256", canonical, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
                                           saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO }, sig)
    : crypto.verify("sha256", canonical, key, sig);
  if (!ok) throw new Error(`bad signature at seq ${r.seq}`);
  prev = r.record_hash; seq += 1;
}
console.log(`verified ${records.length}`);
"""


@pytest.mark.parametrize("make_signer", [rsa_signer, lambda: rsa_signer("pss"), ec_signer], ids=["pkcs1", "pss", "ec"])
def test_records_verify_in_node_js(log: UsageLog, tmp_path: Path, make_signer) -> None:
    """A server in another language rebuilds the canonical bytes from the wire JSON and checks everything."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    signer = make_signer()
    first = log.append(new_record(signer, holder="N", name='引号"与\\反斜杠\n换行.pdf'), signer)
    log.void(first, "output not written", signer)
    log.append(new_record(signer, holder="N", approval_ref=None, purpose="\u2028 emoji 🙂"), signer)
    (tmp_path / "records.json").write_text(
        json.dumps([r.to_json() for r in log.records(holder="N")], ensure_ascii=False), encoding="utf-8"
    )
    pem = x509.load_der_x509_certificate(signer.certificate).public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(pem)
    (tmp_path / "verify.js").write_text(NODE_VERIFIER, encoding="utf-8")
    done = subprocess.run(
        [node, str(tmp_path / "verify.js"), str(tmp_path / "records.json"), str(tmp_path / "cert.pem")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "verified 3"

    # the same verifier notices an edit, so its success above means something
    tampered = json.loads((tmp_path / "records.json").read_text(encoding="utf-8"))
    tampered[1]["purpose"] = "edited"
    (tmp_path / "records.json").write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    again = subprocess.run(
        [node, str(tmp_path / "verify.js"), str(tmp_path / "records.json"), str(tmp_path / "cert.pem")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert again.returncode != 0 and "hash mismatch at seq 2" in again.stderr


def test_a_holder_whose_records_change_certificate_is_reported(log: UsageLog) -> None:
    """Regression (review): one holder = one signing certificate. A record appended for the same holder
    with another key whose certificate carries the same serial is reported, even though it chains."""
    first = rsa_signer(tag="a", serial=0x1A2B3C)
    impostor = rsa_signer(tag="b", serial=0x1A2B3C)  # same serial, different key and certificate
    log.append(new_record(first), first)
    log.append(new_record(impostor), impostor)
    result = log.verify()
    assert not result.ok
    assert any("not the holder's" in problem for problem in result.problems)


# --- holder certificates against the trusted roots ------------------------------------------------


def test_a_forged_chain_under_a_self_signed_certificate_is_an_unverified_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, demo_key, softhsm_module: str
) -> None:
    """A perfect hash chain with valid signatures proves nothing about WHO signed: the holder's certificate
    must chain to a trusted root. Genuine records come from the demo key (SoftHSM); the forger uses a
    software key and a self-signed certificate — one plain, one copying the demo root's name as issuer."""
    import io
    import sys

    from app import cli
    from app.core import demo
    from app.core.keys import TokenManager

    home = tmp_path / "home"
    monkeypatch.setenv("SEALDESK_HOME", str(home))
    path = home / "usage.sqlite3"
    root_pem = demo_key.root_cert_path.read_bytes()
    root = x509.load_pem_x509_certificate(root_pem)
    genuine_holders = []
    with UsageLog(path, client_host="desk", client_version="1") as log:
        with TokenManager(extra_modules=[softhsm_module], use_catalog=False) as manager:
            token = manager.find_token(label=demo.DEMO_LABEL)
            with manager.open_session(token, demo.DEMO_PIN) as session:
                for entry in session.keys():
                    signer = session.digest_signer(entry.key_id)
                    holder = f"{token.serial}:{serial_hex(signer.certificate)}"
                    genuine_holders.append(holder)
                    log.append(new_record(signer, holder=holder), signer)
        forger = ec_signer(serial=0x77)
        impostor_key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        impostor_cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "示例科技有限公司")]))
            .issuer_name(root.subject)  # claims the demo root, signed by itself
            .public_key(impostor_key.public_key())
            .serial_number(0x88)
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(impostor_key, hashes.SHA256())
            .public_bytes(serialization.Encoding.DER)
        )
        impostor = SoftSigner(impostor_key, impostor_cert, "ec", "ecdsa")
        for number in range(3):
            log.append(new_record(forger, holder="FORGED:77", name=f"fake{number}.pdf"), forger)
        log.append(new_record(impostor, holder="FORGED:88"), impostor)

        assert log.verify().ok  # the chains themselves are flawless
        trusted_root = root.public_bytes(serialization.Encoding.DER)
        checks = {c.holder: c for c in log.verify_holders([trusted_root])}
        assert set(checks) == {*genuine_holders, "FORGED:77", "FORGED:88"}
        assert all(checks[h].trusted for h in genuine_holders), [checks[h].problem for h in genuine_holders]
        assert not checks["FORGED:77"].trusted and len(checks["FORGED:77"].record_ids) == 3
        assert not checks["FORGED:88"].trusted and "示例科技有限公司" in checks["FORGED:88"].subject
        assert not any(c.trusted for c in log.verify_holders([]))  # nothing trusted: nobody verified

    def run(argv: list[str]) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        code = cli.main(argv)
        out = capsys.readouterr()
        return code, out.out, out.err

    root_file = tmp_path / "root.pem"
    root_file.write_bytes(root_pem)
    code, out, _ = run(["log", "verify", "--trust", str(root_file)])
    assert code == 8
    assert translate("cli", "Usage log intact: {n} records checked.").split("{n}")[0] in out
    holder_line = translate("cli", "unverified holder {holder} ({subject}): {n} records").split("{subject}")[0]
    assert holder_line.format(holder="FORGED:77") in out and holder_line.format(holder="FORGED:88") in out
    detail = translate("cli", "Technical detail: {detail}").split("{detail}")[0]  # the validator's English, labelled
    assert out.count("\n    " + detail) == 2, out
    assert not any(h in out for h in genuine_holders)
    code, out, _ = run(["log", "verify", "--json", "--trust", str(root_file)])
    report = json.loads(out)
    assert code == 8 and report["chain_ok"] and not report["ok"]
    assert sorted(h["holder"] for h in report["unverified_holders"]) == ["FORGED:77", "FORGED:88"]
    assert {h["result"] for h in report["unverified_holders"]} == {"unverified_holder"}
    assert run(["trust", "add", str(root_file)])[0] == 0  # the trust store counts as well
    code, out, _ = run(["log", "verify", "--json"])
    assert sorted(h["holder"] for h in json.loads(out)["unverified_holders"]) == ["FORGED:77", "FORGED:88"]


def test_a_holder_certificate_is_checked_at_the_records_times(log: UsageLog, ca) -> None:
    """Records made while the certificate was valid stay verified after it expires; one made after is not."""
    from pdf_helpers import SoftwareDigestSigner

    now = datetime.now(UTC)
    issued = ca.issue("王五", not_before=now - timedelta(days=20), not_after=now - timedelta(days=10))
    signer = SoftwareDigestSigner.from_issued(issued)
    log.append(new_record(signer, holder="T:1"), signer, clock=fixed_clock(now - timedelta(days=15)))
    assert [c.trusted for c in log.verify_holders([ca.root_der])] == [True]
    log.append(new_record(signer, holder="T:1"), signer, clock=fixed_clock(now))
    (check,) = log.verify_holders([ca.root_der])
    assert not check.trusted and len(check.record_ids) == 2, check
