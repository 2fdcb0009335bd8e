"""City sync against citysim on 127.0.0.1: end to end, faults through a real proxy, server and client kills."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
from city_helpers import (
    TOKEN,
    CitySim,
    FaultProxy,
    append_records,
    kill_loop,
    register_software_key,
    serial_hex,
    write_pem,
)

from app.core.errors import CityAnswerUnreadable, CityServerFailed, CityTokenRefused, CityUnreachable
from app.core.usage import UsageLog, signature_problem
from app.core.usage.records import UsageRecord
from app.core.usage.sync import CityClient, RetryPolicy, SyncStore, sync_records

FAST = RetryPolicy(attempts=6, base_s=0.05, cap_s=0.2)


@pytest.fixture(scope="module")
def city_root(ca, tmp_path_factory) -> Path:
    return write_pem(tmp_path_factory.mktemp("roots") / "root.pem", ca.root_der)


@pytest.fixture
def citysim(tmp_path, city_root):
    sim = CitySim(tmp_path / "city.sqlite3", [city_root]).start()
    yield sim
    sim.stop(signal.SIGKILL)


@pytest.fixture
def log(tmp_path):
    with UsageLog(tmp_path / "usage.sqlite3") as opened:
        yield opened


@pytest.fixture
def store(log):
    opened = SyncStore(log.path)
    yield opened
    opened.close()


def holder_of(signer) -> str:
    return f"SOFT0001:{serial_hex(signer.certificate)}"


def registered(citysim, signer) -> str:
    client = CityClient(citysim.url, TOKEN, retry=FAST)
    holder_id = register_software_key(client, signer, holder_of(signer))
    client.close()
    return holder_id


def assert_exactly_once(citysim, log, holder: str) -> None:
    """The server holds each local record once, seq 1..n without gaps, with the same hashes."""
    local = log.records(holder=holder)
    stored = [r for r in citysim.stored() if r["chain_id"] == holder]
    assert [r["record_id"] for r in stored] == [r.record_id for r in local]
    assert [r["seq"] for r in stored] == list(range(1, len(local) + 1))
    assert [r["record_hash"] for r in stored] == [r.record_hash for r in local]


def test_records_reach_the_server_once_with_valid_signatures(citysim, log, store, signer):
    holder_id = registered(citysim, signer)
    holder = holder_of(signer)
    append_records(log, signer, holder, 1203)  # three requests: 500 + 500 + 203
    client = CityClient(citysim.url, TOKEN, retry=FAST)
    result = sync_records(log, store, client)
    assert (result.accepted, result.duplicates, result.pending, result.requests) == (1203, 0, 0, 3)
    assert result.ok
    assert_exactly_once(citysim, log, holder)
    # the audit listing gives the records back; each still verifies with the holder's certificate
    listing = client.audit(holder_id, chain_id=holder, after_seq=1200)
    records = [UsageRecord.from_json(r) for r in listing["records"]]
    assert [r.seq for r in records] == [1201, 1202, 1203]
    assert all(signature_problem(r, signer.certificate) is None for r in records)
    assert listing["problems"] == []
    again = sync_records(log, store, client)  # nothing pending: no request at all
    assert (again.requests, again.accepted) == (0, 0)


def test_unregistered_chain_stays_pending_and_goes_once_registered(citysim, log, store, signer):
    holder = holder_of(signer)
    append_records(log, signer, holder, 3)
    client = CityClient(citysim.url, TOKEN, retry=FAST)
    first = sync_records(log, store, client)
    assert first.pending == 3 and {r[1] for r in first.rejected} == {"unregistered"}
    assert store.state_of(log.records()[0].record_id).reason == "unregistered"
    registered(citysim, signer)
    second = sync_records(log, store, client)
    assert (second.accepted, second.pending) == (3, 0)
    assert_exactly_once(citysim, log, holder)


@pytest.mark.parametrize("faults", [
    ["500", "500", "503"],
    ["timeout", "timeout"],
    ["garbage", "partial", "drop"],
    ["429", "duplicate"],
    ["duplicate", "partial", "duplicate"],
])  # fmt: skip
def test_injected_faults_end_with_every_record_exactly_once(citysim, log, store, signer, faults):
    registered(citysim, signer)
    holder = holder_of(signer)
    append_records(log, signer, holder, 620)
    proxy = FaultProxy(citysim.port, retry_after="0.3", hold_s=4.5)
    try:
        proxy.faults.extend(faults)
        client = CityClient(proxy.url, TOKEN, retry=FAST, timeout_s=4.0)
        result = sync_records(log, store, client)
        assert result.ok, result.error
        assert_exactly_once(citysim, log, holder)
        if "429" in faults:  # Retry-After is honoured: the wait after the 429 is at least 0.3 s
            assert max(client.waits) >= 0.3
        assert [f for _m, _p, f in proxy.seen if f] == faults
    finally:
        proxy.close()


def test_each_failure_has_its_error_and_4xx_is_not_retried(citysim, signer):
    proxy = FaultProxy(citysim.port, retry_after="0", hold_s=1.0)
    try:
        quick = CityClient(proxy.url, TOKEN, retry=RetryPolicy(attempts=2, base_s=0.01, cap_s=0.01), timeout_s=0.5)
        cases = [
            (["500", "500"], CityServerFailed),
            (["timeout", "timeout"], CityUnreachable),
            (["garbage", "garbage"], CityAnswerUnreadable),
            (["partial", "partial"], CityAnswerUnreadable),
            (["redirect"], CityUnreachable),
        ]
        for faults, error in cases:
            proxy.faults.extend(faults)
            with pytest.raises(error) as raised:
                quick.challenge()
            assert TOKEN not in str(raised.value) and TOKEN not in raised.value.detail
        before = len(proxy.seen)
        with pytest.raises(CityTokenRefused):
            CityClient(proxy.url, "wrong-token", retry=FAST).challenge()
        from app.core.errors import CityRequestRefused

        with pytest.raises(CityRequestRefused) as refused:  # 404: a 4xx, asked once
            CityClient(proxy.url, TOKEN, retry=FAST).seal_status("no-such-seal")
        assert refused.value.code == "not_found"
        assert len(proxy.seen) == before + 2
    finally:
        proxy.close()


def test_server_down_then_up(citysim, log, store, signer):
    registered(citysim, signer)
    holder = holder_of(signer)
    append_records(log, signer, holder, 5)
    citysim.stop()
    client = CityClient(citysim.url, TOKEN, retry=RetryPolicy(attempts=2, base_s=0.01, cap_s=0.01))
    down = sync_records(log, store, client)
    assert isinstance(down.error, CityUnreachable) and down.pending == 5 and down.synced == 0
    citysim.start()
    up = sync_records(log, store, client)
    assert up.ok and up.accepted == 5
    assert_exactly_once(citysim, log, holder)


def test_server_killed_mid_batch(citysim, log, store, signer):
    registered(citysim, signer)
    holder = holder_of(signer)
    append_records(log, signer, holder, 1200)
    client = CityClient(citysim.url, TOKEN, retry=RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05))
    progress = []

    def kill_after_first_request(event) -> None:
        progress.append(event)
        if len(progress) == 1:
            citysim.stop(signal.SIGKILL)

    first = sync_records(log, store, client, progress=kill_after_first_request)
    assert isinstance(first.error, CityUnreachable)
    assert first.accepted == 500 and first.pending == 700
    citysim.start()
    second = sync_records(log, store, client)
    assert second.ok and second.accepted + second.duplicates == 700
    assert_exactly_once(citysim, log, holder)


def test_client_killed_during_sync_and_restarted(citysim, log, store, signer):
    registered(citysim, signer)
    holder = holder_of(signer)
    added = []

    def new_records() -> None:  # records keep arriving between the kills
        added.extend(append_records(log, signer, holder, 60, start=len(added) + 1))

    # Small uploads (5 records a request) keep each client busy long enough for the kills to land on a
    # fast machine too; how many land is timing, so the test asks for some of each kind, not a number.
    counts = kill_loop(citysim, log, store, 10, seed=8, batch_limit=5, before_each=new_records)
    assert counts["final_ok"] and counts["killed"] >= 3 and counts["killed_after_an_upload"] >= 1, counts
    assert_exactly_once(citysim, log, holder)
    assert len(added) == 600
    assert {s.state.value for s in store.states().values()} == {"synced"}


def test_two_syncs_at_once_do_not_interleave(citysim, log, store, signer, tmp_path):
    registered(citysim, signer)
    holder = holder_of(signer)
    append_records(log, signer, holder, 1000)
    results = []

    def run() -> None:
        with UsageLog(log.path) as own_log:
            own_store = SyncStore(own_log.path)
            client = CityClient(citysim.url, TOKEN, retry=FAST)
            results.append(sync_records(own_log, own_store, client, lock_wait_s=60))
            own_store.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.accepted for r in results) == [0, 1000]  # the second waited, then found nothing pending
    assert sum(r.duplicates for r in results) == 0
    assert_exactly_once(citysim, log, holder)


def test_a_second_sync_waits_then_says_busy(citysim, log, store, signer):
    from app.core.errors import SyncBusy
    from app.core.usage.sync import sync_lock

    registered(citysim, signer)
    append_records(log, signer, holder_of(signer), 2)
    client = CityClient(citysim.url, TOKEN, retry=FAST)
    with sync_lock(log.path):  # the GUI's worker is syncing
        started = time.monotonic()
        with pytest.raises(SyncBusy):
            sync_records(log, store, client, lock_wait_s=0.5)
        assert time.monotonic() - started >= 0.5
    assert sync_records(log, store, client).accepted == 2  # the lock is free again


def test_several_keys_for_one_holder(citysim, ca, log, store, signer):
    from pdf_helpers import SoftwareDigestSigner

    second = SoftwareDigestSigner.from_issued(ca.issue("张三 第二把钥匙", key_type="rsa"))
    client = CityClient(citysim.url, TOKEN, retry=FAST)
    holder_id = register_software_key(client, signer, holder_of(signer))
    again = register_software_key(client, second, f"SOFT0002:{serial_hex(second.certificate)}", holder_id=holder_id)
    assert again == holder_id
    assert register_software_key(client, signer, holder_of(signer)) == holder_id  # the same certificate again
    append_records(log, signer, holder_of(signer), 3)
    append_records(log, second, f"SOFT0002:{serial_hex(second.certificate)}", 2)
    result = sync_records(log, store, client)
    assert result.ok and result.accepted == 5
    listing = client.audit(holder_id)
    assert sorted(c["count"] for c in listing["chains"]) == [2, 3]


def test_application_sync_now_reports_progress_and_stops_when_cancelled(citysim, log, signer, monkeypatch):
    from app.core.application import Application, CityState
    from app.core.settings import Settings
    from app.core.stamping import CancelToken

    registered(citysim, signer)
    append_records(log, signer, holder_of(signer), 1100)
    monkeypatch.setenv("SEALDESK_CITY_TOKEN", TOKEN)
    with Application(Settings(city_url=citysim.url), usage_log=log) as application:
        assert application.city_status().state is CityState.PENDING
        cancel = CancelToken()
        events = []

        def progress(event) -> None:
            events.append(event)
            cancel.cancel()  # after the first request

        stopped = application.sync_now(cancel, progress)
        assert stopped.cancelled and stopped.accepted == 500 and stopped.pending == 600
        assert [(e.sent, e.total) for e in events] == [(500, 1100)]
        done = application.sync_now(None, events.append)
        assert done.ok and done.accepted == 600
        status = application.city_status()
        assert (status.state, status.pending, status.last_error) == (CityState.SYNCED, 0, None)
        assert status.last_sync is not None


def test_usage_entries_show_state_reason_and_unchecked_status(log, store, signer):
    from app.core.application import Application, SyncState
    from app.core.settings import Settings
    from app.core.usage.sync import UploadAnswer
    from app.i18n import translate

    records = append_records(log, signer, holder_of(signer), 4)
    store.apply(UploadAnswer((records[0].record_id,), (), ((records[1].record_id, "fork", "seq 2 taken"),
                                                           (records[2].record_id, "gap", "seq 2 missing"))))  # fmt: skip
    store.mark_status_unchecked(records[3].record_id)
    with Application(Settings(city_url="https://city.example"), usage_log=log) as application:
        entries = {e.record.seq: e for e in application.usage_entries()}
        assert [entries[n].sync_state for n in (1, 2, 3, 4)] == [
            SyncState.SYNCED, SyncState.REJECTED, SyncState.PENDING, SyncState.PENDING]  # fmt: skip
        assert translate("app", "another record already has this number") in entries[2].sync_text(translate)
        assert translate("app", "; seal status unchecked") in entries[4].sync_text(translate)
        assert application.city_status().rejected == 1
    with Application(Settings(), usage_log=log) as application:  # no city system: local only
        assert {e.sync_state for e in application.usage_entries()} == {SyncState.LOCAL}


def test_server_killed_while_it_stores_a_request(citysim, log, store, signer):
    """SIGKILL lands 0–150 ms into an upload of 500 records, several times: the server keeps all of a
    request or none, and the client (which got no answer) sends it again after the restart."""
    registered(citysim, signer)
    holder = holder_of(signer)
    append_records(log, signer, holder, 1000)
    proxy = FaultProxy(citysim.port)
    rng = __import__("random").Random(3)
    kills = []

    def kill_soon(method: str, path: str) -> None:
        if path.endswith("/usage-records") and len(kills) < 3:
            kills.append(threading.Timer(rng.uniform(0.0, 0.15), citysim.stop, args=(signal.SIGKILL,)))
            kills[-1].start()

    proxy.on_forward = kill_soon
    try:
        client = CityClient(proxy.url, TOKEN, retry=RetryPolicy(attempts=1))
        for _ in range(6):
            result = sync_records(log, store, client)
            for timer in kills:
                timer.join()
            if result.ok:
                break
            if citysim.process is None or citysim.process.poll() is not None:
                citysim.start()
        assert result.ok and len(kills) == 3
    finally:
        proxy.close()
    assert_exactly_once(citysim, log, holder)
