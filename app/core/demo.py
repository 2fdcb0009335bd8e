"""The demo key: a SoftHSM token "SealDesk Demo" holding three seals, for trying SealDesk without a USB key.

Everything a real seal authority would have is simulated: a demo root CA, a seal-maker certificate, holder
key pairs generated ON the token (private keys never leave it), holder certificates issued by the demo root,
and three GB/T 38540 v4 seals made and signed by the demo maker. The same provisioning is the test fixture.

The demo PIN is 123456 — the usual factory PIN of Chinese keys — and SealDesk reminds the holder to change it.
The demo root's certificate is saved beside the token so a user can choose to trust it; it is never trusted
by default.

No private key of the simulated authority is ever stored: the root CA key and the seal maker's key exist
only in memory while the token is provisioned (they issue the holder certificates and sign the seals, then
are dropped). Each (re)provisioning therefore makes a new root, and a copied demo folder cannot be used to
issue anything. The only private keys are the holders', generated on the (SoftHSM) token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import softhsm
from .clock import Clock, utc_now
from .errors import ModuleLoadFailed, PinError
from .paths import data_dir, private_dir, write_private
from .ses import kinds

DEMO_LABEL = "SealDesk Demo"
SM2_DEMO_LABEL = "SealDesk SM2 Demo"
"""The SM2 demo key on the SM2 test module (demo_sm2.py); same PINs as the demo key."""
DEMO_LABELS = (DEMO_LABEL, SM2_DEMO_LABEL)
DEMO_PIN = "123456"
DEMO_SO_PIN = "12345678"
DEMO_ORG = "示例科技有限公司"
DEMO_VID = "SealDesk"


@dataclass(frozen=True)
class DemoSealSpec:
    key_id: bytes
    key_type: str
    """"ec-p256" or "rsa2048": the holder key generated on the token."""
    holder_cn: str
    seal_name: str
    seal_type: int
    picture: str
    """"round", "square" — which drawing."""
    size_mm: float
    purpose: str = ""


DEMO_SEALS = (
    DemoSealSpec(b"\x01", "ec-p256", f"{DEMO_ORG}", f"{DEMO_ORG}合同专用章", kinds.CONTRACT, "round", 42.0, "合同专用章"),
    DemoSealSpec(b"\x02", "rsa2048", "张三", "张三（法定代表人）", kinds.DUTY_LEGAL_REPRESENTATIVE, "square", 20.0),
    DemoSealSpec(b"\x03", "ec-p256", "李四", "李四", kinds.PERSONAL, "square", 18.0),
)


@dataclass(frozen=True)
class DemoSeal:
    key_id: bytes
    es_id: str
    name: str
    seal_type: int


@dataclass(frozen=True)
class DemoKeyInfo:
    label: str
    serial: str
    seals: tuple[DemoSeal, ...]
    root_cert_path: Path


LEGACY_ROOT_KEY = "demo-root-ca.key"
"""Where SealDesk before 0.2 kept the demo root's private key; deleted on sight."""


def demo_dir() -> Path:
    return private_dir(data_dir() / "demo")


def root_cert_path(label: str = DEMO_LABEL) -> Path:
    """The root certificate that issued `label`'s certificates: demo-root-ca.pem for the demo key."""
    if label == DEMO_LABEL:
        return demo_dir() / "demo-root-ca.pem"
    return demo_dir() / f"root-{hashlib.sha256(label.encode('utf-8')).hexdigest()[:16]}.pem"


def legacy_root_key_exists() -> bool:
    """True when an older SealDesk left the demo root key in the data folder (the demo key must be re-made)."""
    return (data_dir() / "demo" / LEGACY_ROOT_KEY).exists()


def _retire_legacy_root() -> bool:
    """Delete a stored demo root key and untrust its root; True when there was one."""
    if not remove_legacy_root_key():
        return False
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        from .truststore import trust_dir

        old = x509.load_pem_x509_certificate(root_cert_path().read_bytes()).public_bytes(Encoding.DER)
        (trust_dir() / f"{hashlib.sha256(old).hexdigest()}.der").unlink(missing_ok=True)
    except (OSError, ValueError):
        pass  # no readable old root certificate: nothing was trusted through it
    return True


def remove_legacy_root_key() -> bool:
    """Delete the demo root key an older SealDesk stored in the data folder; True if there was one."""
    try:
        (data_dir() / "demo" / LEGACY_ROOT_KEY).unlink()
    except FileNotFoundError:
        return False
    return True


def demo_key_exists() -> bool:
    if softhsm.module_path() is None:
        return False
    return DEMO_LABEL in softhsm.token_labels()


def _name(cn: str, org: str = DEMO_ORG):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _issue(subject, public_key, issuer, issuer_key, *, ca: bool, start: dt.datetime, days: int, usage: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, usage == "sign", False, False, False, False, False, False, False), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _draw(spec: DemoSealSpec) -> bytes:
    from .seal_art import draw_round_seal, draw_square_name_seal

    if spec.picture == "round":
        return draw_round_seal(DEMO_ORG, spec.purpose, diameter_mm=spec.size_mm)
    suffix = "印" if spec.seal_type == kinds.PERSONAL else "之印"
    return draw_square_name_seal(spec.holder_cn, size_mm=spec.size_mm, suffix=suffix)


def create_demo_key(*, force: bool = False, clock: Clock = utc_now) -> DemoKeyInfo:
    """Create (or with `force`, re-create) the demo token with its three seals.

    A demo key made by an older SealDesk, whose root key lay in the data folder, is re-created (anyone who
    copied that folder could issue under its root) and that root is no longer trusted.
    """
    softhsm.ensure_config()
    if _retire_legacy_root():
        force = True
    if softhsm.module_path() is not None and DEMO_LABEL in softhsm.token_labels():
        if not force:
            return load_demo_info()
        softhsm.delete_token(DEMO_LABEL)
    return provision_token(DEMO_LABEL, DEMO_PIN, DEMO_SO_PIN, DEMO_SEALS, clock=clock)


def provision_token(
    label: str,
    pin: str,
    so_pin: str,
    specs: tuple[DemoSealSpec, ...] = DEMO_SEALS,
    *,
    clock: Clock = utc_now,
    seal_days: int = 730,
    cert_days: int = 730,
) -> DemoKeyInfo:
    """Create a SoftHSM token holding demo-style seals (the demo key, and test keys with other validity)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from .keys import TokenManager
    from .ses import SealPicture, build_seal_v4

    module = softhsm.module_path()
    if module is None:
        raise ModuleLoadFailed("SoftHSM is not installed (Debian: apt-get install softhsm2)", module="SoftHSM")
    softhsm.ensure_config()
    softhsm.init_token(label, pin, so_pin)

    now = clock().replace(microsecond=0)
    start = now - dt.timedelta(days=1)
    root_key, root = _demo_root(start)  # in memory only: dropped when this function returns
    root_name = root.subject
    maker_key = ec.generate_private_key(ec.SECP256R1())
    maker = _issue(
        _name("SealDesk Demo Seal Maker", "SealDesk 演示制章机构"),
        maker_key.public_key(),
        root_name,
        root_key,
        ca=False,
        start=start,
        days=1825,
        usage="sign",
    )
    maker_der = maker.public_bytes(serialization.Encoding.DER)

    def maker_sign(tbs: bytes) -> bytes:
        return maker_key.sign(tbs, ec.ECDSA(hashes.SHA256()))

    made: list[DemoSeal] = []
    manager = TokenManager(extra_modules=[module], use_catalog=False)
    try:
        manager.reinitialize(module)
        token = manager.find_token(label=label)
        with manager.open_session(token, pin) as session:
            for number, spec in enumerate(specs, start=1):
                public_key = session.generate_key_pair(spec.key_type, spec.key_id, spec.holder_cn)
                cert = _issue(
                    _name(spec.holder_cn),
                    public_key,
                    root_name,
                    root_key,
                    ca=False,
                    start=start,
                    days=cert_days,
                    usage="sign",
                )
                cert_der = cert.public_bytes(serialization.Encoding.DER)
                session.put_certificate(spec.key_id, spec.holder_cn, cert_der)
                es_id = f"DEMO{now:%Y%m%d}{number:04d}{uuid.uuid4().hex[:8].upper()}"
                picture = SealPicture(type="PNG", data=_draw(spec), width_mm=spec.size_mm, height_mm=spec.size_mm)
                seal_der = build_seal_v4(
                    es_id=es_id,
                    vid=DEMO_VID,
                    seal_type=spec.seal_type,
                    name=spec.seal_name,
                    certs=[cert_der],
                    create_date=now,
                    valid_start=start,
                    valid_end=start + dt.timedelta(days=seal_days),
                    picture=picture,
                    maker_cert=maker_der,
                    sign_alg="1.2.840.10045.4.3.2",
                    sign=maker_sign,
                )
                session.put_seal(spec.key_id, spec.seal_name, seal_der)
                made.append(DemoSeal(spec.key_id, es_id, spec.seal_name, spec.seal_type))
        serial = token.serial
    finally:
        manager.close()
    # root_key and maker_key go out of scope here: the simulated authority's keys are never written anywhere
    cert_path = root_cert_path(label)
    write_private(cert_path, root.public_bytes(serialization.Encoding.PEM))
    return DemoKeyInfo(label, serial, tuple(made), cert_path)


def _demo_root(start: dt.datetime):
    """A new demo root CA (key, certificate). The key stays in memory: nothing can issue under it later."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("SealDesk Demo Root CA")
    cert = _issue(name, key.public_key(), name, key, ca=True, start=start, days=3650, usage="ca")
    return key, cert


def load_demo_info() -> DemoKeyInfo:
    """Describe the existing demo key (reads its public seal objects; no PIN needed)."""
    from .keys import TokenManager
    from .ses import parse_seal

    module = softhsm.module_path()
    manager = TokenManager(extra_modules=[module] if module else [], use_catalog=False)
    try:
        token = manager.find_token(label=DEMO_LABEL)
        seals = []
        try:
            with manager.open_session(token, DEMO_PIN) as session:
                for stored in session.seals():
                    seal = parse_seal(stored.der)
                    seals.append(DemoSeal(stored.key_id, seal.es_id, seal.name, seal.type))
        except PinError:
            pass  # the holder changed the demo PIN, as advised: describe the key without its seals
    finally:
        manager.close()
    return DemoKeyInfo(DEMO_LABEL, token.serial, tuple(seals), root_cert_path())
