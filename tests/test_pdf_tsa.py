"""PAdES B-T: a signature timestamp from a real RFC 3161 service on 127.0.0.1 (certomancer's TimeStamper
served by werkzeug), checked with pyHanko and pdfsig."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess

import pytest
from pdf_helpers import (
    SoftwareDigestSigner,
    extract_contents,
    make_pdf,
    pdfsig_signatures,
    running_tsa,
    seal_png,
    spot,
)

from app.core.errors import NetworkError
from app.core.pdf.sign import SignSettings, sign_pdf
from app.core.pdf.verify import verify_pdf


def test_signature_timestamp_from_a_tsa(tmp_path, ca):
    signer = SoftwareDigestSigner.from_issued(ca.issue("张三", key_type="rsa"))
    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "bt.pdf"
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    with running_tsa(ca) as url, open(out, "wb") as fh:
        outcome = sign_pdf(src, fh, signer=signer, spots=[spot(0, (100, 100, 220, 220))], spot_images=[seal_png()],
                           seal_der=b"\x04\x00", settings=SignSettings(tsa_url=url))  # fmt: skip
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    assert outcome.timestamped

    report = verify_pdf(out, trust_roots=[ca.root_der])
    (sig,) = report.signatures
    assert report.all_valid
    assert sig.timestamp_time is not None and before <= sig.timestamp_time <= after
    assert sig.timestamp_trusted and sig.timestamp_problem is None and sig.cert_valid_at_signing

    # Without the root, the TSA is not trusted either, but the token is still a valid one.
    (untrusted,) = verify_pdf(out).signatures
    assert untrusted.timestamp_time == sig.timestamp_time and not untrusted.timestamp_trusted

    # pdfsig (poppler 22) checks the signature but does not print signature timestamps ...
    (block,) = pdfsig_signatures(out)
    assert "Signature Validation: Signature is Valid." in block and "Total document signed" in block

    # ... so openssl checks the token: it is the TSA's signature over the hash of our signature value.
    from asn1crypto import cms
    from cryptography.hazmat.primitives.serialization import Encoding

    signer_info = cms.ContentInfo.load(extract_contents(out))["content"]["signer_infos"][0]
    (attr,) = [a for a in signer_info["unsigned_attrs"] if a["type"].native == "signature_time_stamp_token"]
    token = tmp_path / "tst.der"
    token.write_bytes(attr["values"][0].dump())
    root = tmp_path / "root.pem"
    root.write_bytes(ca.root.cert.public_bytes(Encoding.PEM))
    digest = hashlib.sha256(signer_info["signature"].native).hexdigest()
    proc = subprocess.run(
        ["openssl", "ts", "-verify", "-token_in", "-in", str(token), "-digest", digest, "-CAfile", str(root)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and "Verification: OK" in proc.stdout, proc.stdout + proc.stderr


def test_unreachable_tsa_is_a_network_error_and_writes_nothing(tmp_path, ca):
    signer = SoftwareDigestSigner.from_issued(ca.issue("张三"))
    src = make_pdf(tmp_path / "in.pdf")
    with running_tsa(ca) as url:
        dead_url = url  # the server is gone after the block: the port refuses connections
    out = io.BytesIO()
    with pytest.raises(NetworkError) as err:
        sign_pdf(src, out, signer=signer, spots=[spot(0, (100, 100, 220, 220))], spot_images=[seal_png()],
                 seal_der=None, settings=SignSettings(tsa_url=dead_url, tsa_timeout=3))  # fmt: skip
    assert "127.0.0.1" in err.value.user_message()
    assert out.getvalue() == b""
