"""The SM2 demo identity: a token "SealDesk SM2 Demo" on SealDesk's SM2 test module, holding one SM2 seal.

Real seal holders under the city e-seal measures carry SM2 certificates; the demo shows that family next to
the SoftHSM demo key (RSA/ECDSA, demo.py). As there, the simulated authority is in memory only: an SM2 root
CA issues an SM2 seal-maker certificate and the holder's certificate; the maker signs a GB/T 38540 v4 official
seal; then both authority keys are dropped. The holder's key is made in software and imported into the token
(the module's key generation needs the vendor mechanism, and importing is what CA tools do with escrowed
keys); afterwards it exists only on the token. The root's certificate is written beside the demo root, to be
trusted the same way (`sealdesk trust add`).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import gm, sm2_test_module
from .clock import Clock, utc_now
from .demo import DEMO_ORG, DEMO_PIN, DEMO_SO_PIN, DEMO_VID, SM2_DEMO_LABEL, DemoSeal, demo_dir
from .errors import ModuleLoadFailed, ModuleNotBuilt
from .paths import write_private
from .ses import kinds

SM2_KEY_ID = b"\x21"
SM2_SEAL_NAME = f"{DEMO_ORG}公章（SM2）"
MODULE_NAME = "SealDesk SM2 test module"


@dataclass(frozen=True)
class Sm2DemoInfo:
    """What `sealdesk demo-key` made on the SM2 test module."""

    label: str
    serial: str
    module_path: str
    seals: tuple[DemoSeal, ...]
    root_cert_path: Path


def root_cert_path() -> Path:
    """The SM2 demo root's certificate, beside the demo root (demo-root-ca.pem)."""
    return demo_dir() / "demo-sm2-root-ca.pem"


def _name(cn: str, org: str = DEMO_ORG) -> object:
    from asn1crypto import x509

    return x509.Name.build({"country_name": "CN", "organization_name": org, "common_name": cn}, use_printable=False)


def issue_sm2_certificate(
    subject: object, point: bytes, issuer: object, issuer_key: int, *, ca: bool, start: dt.datetime, days: int
) -> bytes:
    """An SM2-with-SM3 X.509 v3 certificate (asn1crypto builds it: `cryptography` has no SM2)."""
    from asn1crypto import keys, x509

    gm.register_oids()
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(63) + 1,
            "signature": {"algorithm": gm.SM2_WITH_SM3_OID},
            "issuer": issuer,
            "validity": {
                "not_before": x509.Time({"utc_time": start}),
                "not_after": x509.Time({"utc_time": start + dt.timedelta(days=days)}),
            },
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo(
                {
                    "algorithm": {
                        "algorithm": "ec",
                        "parameters": keys.ECDomainParameters(name="named", value=gm.SM2_CURVE_OID),
                    },
                    "public_key": point,
                }
            ),
            "extensions": [
                {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": ca}},
                {
                    "extn_id": "key_usage",
                    "critical": True,
                    "extn_value": {"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"},
                },
                {"extn_id": "key_identifier", "critical": False, "extn_value": gm.sm3(point)[:20]},
            ],
        }
    )
    signature = gm.sm2_sign(issuer_key, tbs.dump())
    return x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": {"algorithm": gm.SM2_WITH_SM3_OID}, "signature_value": signature}
    ).dump()


@dataclass(frozen=True)
class Sm2Identity:
    """The simulated SM2 authority's output: what goes onto the token, and the root to trust."""

    root: bytes
    maker: bytes
    holder: bytes
    holder_key: int
    """The holder's private scalar: imported into the token, then dropped."""
    es_id: str
    seal_der: bytes


def make_sm2_identity(*, clock: Clock = utc_now) -> Sm2Identity:
    """Root → seal maker and root → holder (SM2-with-SM3 certificates), and the maker's v4 official seal.

    The root and maker keys live only inside this call: nothing can issue under the root afterwards.
    """
    from .demo import DemoSealSpec, _draw
    from .ses import SealPicture, build_seal_v4

    now = clock().replace(microsecond=0)
    start = now - dt.timedelta(days=1)
    root_key, maker_key, holder_key = (gm.generate_private_key() for _ in range(3))
    root_name = _name("SealDesk Demo SM2 Root CA")

    def issue(subject: object, key: int, *, ca: bool = False, days: int = 730) -> bytes:
        point = gm.sm2_public_point_from_private(key)
        return issue_sm2_certificate(subject, point, root_name, root_key, ca=ca, start=start, days=days)

    root = issue(root_name, root_key, ca=True, days=3650)
    maker = issue(_name("SealDesk Demo SM2 Seal Maker", "SealDesk 演示制章机构"), maker_key, days=1825)
    holder = issue(_name(DEMO_ORG), holder_key)
    spec = DemoSealSpec(SM2_KEY_ID, "sm2", DEMO_ORG, SM2_SEAL_NAME, kinds.OFFICIAL_LEGAL_NAME, "round", 42.0, "")
    es_id = f"DEMOSM2{now:%Y%m%d}{uuid.uuid4().hex[:8].upper()}"
    seal_der = build_seal_v4(
        es_id=es_id,
        vid=DEMO_VID,
        seal_type=spec.seal_type,
        name=spec.seal_name,
        certs=[holder],
        create_date=now,
        valid_start=start,
        valid_end=start + dt.timedelta(days=730),
        picture=SealPicture(type="PNG", data=_draw(spec), width_mm=spec.size_mm, height_mm=spec.size_mm),
        maker_cert=maker,
        sign_alg=gm.SM2_WITH_SM3_OID,
        sign=lambda tbs: gm.sm2_sign(maker_key, tbs),
    )
    return Sm2Identity(root, maker, holder, holder_key, es_id, seal_der)


def create_sm2_demo(*, clock: Clock = utc_now) -> Sm2DemoInfo:
    """(Re)create the SM2 demo token on the SM2 test module with its official seal.

    Raises ModuleNotBuilt / ModuleLoadFailed when the module is missing or does not load, so the caller can
    say why the SM2 demo was skipped.
    """
    from .keys import TokenManager

    path = sm2_test_module.module_path()
    if path is None:
        raise ModuleNotBuilt(f"{sm2_test_module.BUILD_PATH} missing", module=MODULE_NAME)
    made = make_sm2_identity(clock=clock)
    manager = TokenManager(extra_modules=[path], use_catalog=False)
    try:
        failed = [m for m in manager.modules() if not m.loaded]
        if failed:
            raise failed[0].error or ModuleLoadFailed(path, module=MODULE_NAME)
        manager.initialise_token(path, SM2_DEMO_LABEL, DEMO_SO_PIN, DEMO_PIN)
        token = manager.find_token(label=SM2_DEMO_LABEL)
        with manager.open_session(token, DEMO_PIN) as session:
            session.import_sm2_key(SM2_KEY_ID, DEMO_ORG, made.holder_key)
            session.put_certificate(SM2_KEY_ID, DEMO_ORG, made.holder)
            session.put_seal(SM2_KEY_ID, SM2_SEAL_NAME, made.seal_der)
        serial = token.serial
    finally:
        manager.close()
    cert_path = root_cert_path()
    write_private(cert_path, _pem(made.root))
    seal = DemoSeal(SM2_KEY_ID, made.es_id, SM2_SEAL_NAME, kinds.OFFICIAL_LEGAL_NAME)
    return Sm2DemoInfo(SM2_DEMO_LABEL, serial, path, (seal,), cert_path)


def _pem(der: bytes) -> bytes:
    from asn1crypto import pem

    return pem.armor("CERTIFICATE", der)
