"""citysim over HTTPS with a test CA on 127.0.0.1: the right CA bundle works, the system bundle and a wrong CA
fail verification, and plain HTTP to the HTTPS port gets no answer (no downgrade)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
import requests
from citysim_helpers import CitySim, register, running_citysim, write_pem
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pdf_helpers import SoftwareCA, SoftwareDigestSigner

TOKEN = "tls-test-token-Pw2"


def _server_certificate(ca: SoftwareCA, tmp: Path) -> tuple[Path, Path]:
    """A TLS server certificate for 127.0.0.1 and localhost, issued by the test CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "citysim test server")]))
        .issuer_name(ca.root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.root.key.public_key()), critical=False)
        .sign(ca.root.key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "server.pem", tmp / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def https_sim(ca, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("citysim-tls")
    bundle = write_pem(tmp / "ca-bundle.pem", ca.root_der)
    with running_citysim(tmp, [bundle], token=TOKEN, tls=_server_certificate(ca, tmp)) as sim:
        sim.verify = str(bundle)
        yield sim


def test_right_ca_bundle_succeeds(https_sim: CitySim, ca):
    assert https_sim.base_url.startswith("https://127.0.0.1:")
    signer = SoftwareDigestSigner.from_issued(ca.issue("TLS 持有人"))
    response = register(https_sim, signer, "TLS:1", ["TLS-SEAL"])
    assert response.status_code == 201, response.text
    assert https_sim.get("/seals/TLS-SEAL/status").json()["status"] == "active"


def test_system_bundle_and_wrong_ca_fail(https_sim: CitySim, tmp_path: Path):
    url = https_sim.api + "/holders/challenge"
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.post(url, json={}, headers=https_sim.headers(), timeout=10)  # verify=True: the system bundle
    wrong = write_pem(tmp_path / "other-ca.pem", SoftwareCA.create("Another Root").root_der)
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.post(url, json={}, headers=https_sim.headers(), timeout=10, verify=str(wrong))


def test_plain_http_to_the_https_port_gets_nothing(https_sim: CitySim):
    plain = https_sim.api.replace("https://", "http://") + "/holders/challenge"
    with pytest.raises(requests.exceptions.ConnectionError):  # the TLS server drops the cleartext request
        requests.post(plain, json={}, headers=https_sim.headers(), timeout=10)
