"""SM2 holders at the city: the certificate's SM2 path to an SM2 root, the SM2 proof of possession, and SM2-signed
usage records made by UsageLog — through a real citysim on 127.0.0.1 trusting a software SM2 CA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from citysim_helpers import append_records, register, running_citysim, upload
from sm2_helpers import Sm2CA, Sm2Key, write_pem

from app.core.usage import UsageLog, UsageRecord, check_chain

TOKEN = "sm2-test-token-Rk8"


@dataclass
class Sm2Signer:
    """An SM2 key in the shape UsageLog and the registration use: it signs messages, not digests."""

    key: Sm2Key
    key_type: str = "sm2"
    scheme: str = "sm2"

    @property
    def certificate(self) -> bytes:
        return self.key.certificate

    def sign_message(self, message: bytes) -> bytes:
        return self.key.sign_message(message)

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        raise AssertionError("SM2 signs the message, not a digest")


@pytest.fixture(scope="module")
def sm2_ca() -> Sm2CA:
    return Sm2CA.create("SM2 City Root CA")


@pytest.fixture(scope="module")
def sm2_city(sm2_ca, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("citysim-sm2")
    with running_citysim(tmp, [write_pem(tmp / "sm2-root.pem", sm2_ca.root_der)], token=TOKEN) as sim:
        yield sim


def test_sm2_holder_registers_and_its_records_are_accepted(sm2_city, sm2_ca, tmp_path: Path):
    signer = Sm2Signer(sm2_ca.issue("赵六", by_root=True))
    response = register(sm2_city, signer, "SM2TOKEN:1", ["SM2-SEAL"])
    assert response.status_code == 201, response.text
    with UsageLog(tmp_path / "usage.sqlite3") as log:
        records = append_records(log, "SM2TOKEN:1", signer, 3)
    assert upload(sm2_city, records)["accepted"] == [r.record_id for r in records]
    listed = sm2_city.get(f"/holders/{response.json()['holder_id']}/usage-records").json()["records"]
    parsed = [UsageRecord.from_json(r) for r in listed]
    assert check_chain(parsed, lambda _sha: signer.certificate) == (3, [])
    # an SM2 signature by another key over the same record is refused
    impostor = Sm2Signer(sm2_ca.issue("冒名", by_root=True))
    with UsageLog(tmp_path / "other.sqlite3") as other:
        (forged,) = append_records(other, "SM2TOKEN:1", impostor, 1)
    result = upload(sm2_city, [forged])
    assert [r["reason"] for r in result["rejected"]] == ["bad_signature"]


def test_sm2_proof_and_path_are_checked(sm2_city, sm2_ca, tmp_path: Path):
    holder = Sm2Signer(sm2_ca.issue("钱七", by_root=True))
    impostor = Sm2Signer(sm2_ca.issue("冒名", by_root=True))
    from citysim_helpers import registration_body

    body = registration_body(sm2_city, impostor, "SM2TOKEN:2", ["SM2-SEAL-2"])
    body["certificate"] = registration_body(sm2_city, holder, "SM2TOKEN:2", ["SM2-SEAL-2"])["certificate"]
    response = sm2_city.post("/holders", body)
    assert (response.status_code, response.json()["error"]) == (400, "proof_invalid")
    # issued by the intermediate: the registration carries no intermediates, so the path does not reach the root
    deep = Sm2Signer(sm2_ca.issue("孙八"))
    response = register(sm2_city, deep, "SM2TOKEN:3", ["SM2-SEAL-3"])
    assert (response.status_code, response.json()["error"]) == (400, "certificate_untrusted")
    # a city that lists the intermediate among its trust roots accepts it
    roots = [write_pem(tmp_path / "root.pem", sm2_ca.root_der), write_pem(tmp_path / "mid.pem", sm2_ca.intermediate.certificate)]
    with running_citysim(tmp_path, roots, token=TOKEN) as city:
        assert register(city, deep, "SM2TOKEN:3", ["SM2-SEAL-3"]).status_code == 201
    # an SM2 certificate from another SM2 root is untrusted
    stranger = Sm2Signer(Sm2CA.create("Other SM2 Root").issue("外人", by_root=True))
    response = register(sm2_city, stranger, "SM2TOKEN:4", ["SM2-SEAL-4"])
    assert (response.status_code, response.json()["error"]) == (400, "certificate_untrusted")
