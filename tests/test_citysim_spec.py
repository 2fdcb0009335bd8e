"""resources/city-api.yaml against the real server: schemathesis drives a running citysim on 127.0.0.1 with a
valid token and real data (a registered holder, seal and records), and FastAPI's routes match the spec's paths.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from citysim_helpers import ROOT, append_records, register, running_citysim, upload, write_pem
from pdf_helpers import SoftwareDigestSigner

from app.core.usage import UsageLog

SPEC = ROOT / "resources" / "city-api.yaml"
TOKEN = "spec-test-token-7Hq"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "missing_required_header",
        "ignored_auth",
        "unsupported_method",
    ]
)


def _spec() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def test_fastapi_routes_match_the_spec(tmp_path: Path):
    from fastapi.routing import APIRoute

    from citysim.app import create_app
    from citysim.storage import Store

    store = Store(tmp_path / "c.sqlite3")
    try:
        app = create_app(store, [])
    finally:
        store.close()
    served = {
        (route.path, method.lower(), route.operation_id) for route in app.routes if isinstance(route, APIRoute)
        for method in route.methods
    }
    documented = {
        (path, method, operation["operationId"])
        for path, item in _spec()["paths"].items()
        for method, operation in item.items()
    }
    assert served == documented
    assert set(app.openapi()["paths"]) == set(_spec()["paths"])  # FastAPI's own generated document agrees


def test_every_operation_documents_its_errors():
    spec = _spec()
    assert spec["openapi"] == "3.1.0" and spec["security"] == [{"bearer": []}]
    assert spec["components"]["securitySchemes"]["bearer"] == {
        **spec["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert {"401", "500"} <= set(operation["responses"]), (method, path)


@pytest.mark.slow
def test_running_server_conforms_to_the_spec(ca, tmp_path: Path):
    """Schemathesis (coverage, fuzzing, stateful phases) against a live server; no 500s, every response as
    documented. Path parameters are pinned to a registered seal and holder so 200 answers are checked too."""
    roots = [write_pem(tmp_path / "root.pem", ca.root_der)]
    signer = SoftwareDigestSigner.from_issued(ca.issue("规范测试"))
    chain_id = f"SPEC:{uuid.uuid4().hex[:8]}"
    with running_citysim(tmp_path, roots, token=TOKEN) as sim:
        registered = register(sim, signer, chain_id, ["SPEC-SEAL"])
        assert registered.status_code == 201, registered.text
        holder_id = registered.json()["holder_id"]
        with UsageLog(tmp_path / "usage.sqlite3") as log:
            records = append_records(log, chain_id, signer, 4)
        upload(sim, records[:2] + records[3:])  # seq 4 without 3: a gap in the audit listing
        config = tmp_path / "schemathesis.toml"
        config.write_text(
            f'[parameters]\n"path.seal_id" = "SPEC-SEAL"\n"path.holder_id" = "{holder_id}"\n', encoding="utf-8"
        )
        schemathesis = Path(sys.executable).with_name("schemathesis")
        command = [str(schemathesis), "--config-file", str(config), "run", str(SPEC), "--url", sim.base_url,
                   "-H", f"Authorization: Bearer {TOKEN}", "--checks", CHECKS, "--max-examples", "25",
                   "--seed", "8", "--workers", "1", "--request-timeout", "30"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
        assert "passed" in done.stdout and " failed" not in done.stdout
        assert TOKEN not in sim.log_text()
