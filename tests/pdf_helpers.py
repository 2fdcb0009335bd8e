"""Test helpers for the PDF signing tests: a small software CA (cryptography), a software DigestSigner,
test PDFs made with PyMuPDF, seal pictures, an RFC 3161 TSA on 127.0.0.1 (certomancer's TimeStamper
behind werkzeug), and poppler/qpdf/openssl wrappers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.core.placement import StampSpot

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@dataclass
class Issued:
    """A key and its certificate."""

    key: object
    cert: x509.Certificate

    @property
    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_der(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


@dataclass
class SoftwareCA:
    """A root CA in memory issuing signing and TSA certificates."""

    root: Issued
    issued: list[Issued] = field(default_factory=list)

    @classmethod
    def create(cls, cn: str = "SealDesk Test Root CA") -> SoftwareCA:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        name = _name(cn, "SealDesk Test")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=2))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(Issued(key, cert))

    @property
    def root_der(self) -> bytes:
        return self.root.cert_der

    def issue(
        self,
        cn: str,
        *,
        org: str = "某某市测试有限公司",
        key_type: str = "ec",
        tsa: bool = False,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> Issued:
        """A leaf certificate: signing (digitalSignature + nonRepudiation) or, with tsa=True, time stamping."""
        if key_type == "rsa":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            key = ec.generate_private_key(ec.SECP256R1())
        return self.certify_key(key.public_key(), cn, org=org, tsa=tsa, not_before=not_before, not_after=not_after, key=key)

    def certify_key(
        self,
        public_key,
        cn: str,
        *,
        org: str = "某某市测试有限公司",
        tsa: bool = False,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key: object = None,
    ) -> Issued:
        """A leaf certificate for `public_key` (e.g. a key generated on a SoftHSM token; then key=None)."""
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn, org))
            .issuer_name(self.root.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(days=1))
            .not_valid_after(not_after or now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root.key.public_key()), critical=False
            )
        )
        if tsa:
            builder = builder.add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        else:
            builder = builder.add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            )
        issued = Issued(key, builder.sign(self.root.key, hashes.SHA256()))
        self.issued.append(issued)
        return issued


@dataclass
class SoftwareDigestSigner:
    """The DigestSigner protocol over a software key (the token-less twin of TokenDigestSigner)."""

    key: object
    certificate: bytes
    key_type: str
    scheme: str
    calls: int = 0

    @classmethod
    def from_issued(cls, issued: Issued, scheme: str | None = None) -> SoftwareDigestSigner:
        key_type = "ec" if isinstance(issued.key, ec.EllipticCurvePrivateKey) else "rsa"
        return cls(issued.key, issued.cert_der, key_type, scheme or ("ecdsa" if key_type == "ec" else "pkcs1v15"))

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        self.calls += 1
        algo = _HASHES[hash_name]()
        if self.key_type == "ec":
            return self.key.sign(digest, ec.ECDSA(Prehashed(algo)))
        if self.scheme == "pss":
            return self.key.sign(digest, padding.PSS(padding.MGF1(algo), algo.digest_size), Prehashed(algo))
        return self.key.sign(digest, padding.PKCS1v15(), Prehashed(algo))


# --- PDFs and pictures ----------------------------------------------------------------------------
def make_pdf(
    path: Path,
    *,
    pages: int = 1,
    rotate: dict[int, int] | None = None,
    texts: dict[int, list[tuple[float, float, str]]] | None = None,
    encrypt: bool = False,
) -> Path:
    """An A4 PDF made with PyMuPDF; `texts[page]` = [(x, y from top-left in pt, text)] (before rotation)."""
    import pymupdf as fitz

    doc = fitz.open()
    for index in range(pages):
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 72), f"SealDesk test page {index + 1}", fontsize=14)
        for x, y, text in (texts or {}).get(index, []):
            page.insert_text((x, y), text, fontsize=20)
        if rotate and index in rotate:
            page.set_rotation(rotate[index])
    kwargs = {}
    if encrypt:
        kwargs = {"encryption": fitz.PDF_ENCRYPT_AES_256, "owner_pw": "owner-secret", "user_pw": "user-secret"}
    doc.save(str(path), **kwargs)
    doc.close()
    return path


def seal_png(width_px: int = 200, height_px: int = 200, *, ring: int = 14) -> bytes:
    """A red ring seal with a red star and a transparent background/interior (RGBA PNG)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (width_px, height_px), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((2, 2, width_px - 3, height_px - 3), outline=(220, 0, 0, 255), width=ring)
    cx, cy, r = width_px / 2, height_px * 0.3, min(width_px, height_px) * 0.08
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(220, 0, 0, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def marker_png(width_px: int = 120, height_px: int = 200) -> bytes:
    """A picture whose top quarter is red and the rest transparent: shows which way is up."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (width_px, height_px), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((0, 0, width_px - 1, height_px // 4), fill=(220, 0, 0, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def spot(page_index: int, rect: tuple[float, float, float, float], rotation: int = 0, **kw) -> StampSpot:
    """A StampSpot for tests (mm fields are informative only for signing)."""
    w, h = rect[2] - rect[0], rect[3] - rect[1]
    if rotation in (90, 270):
        w, h = h, w
    return StampSpot(
        page_index=page_index,
        rect=rect,
        rotation=rotation,
        center_mm=(0.0, 0.0),
        size_mm=(w * 25.4 / 72, h * 25.4 / 72),
        **kw,
    )


def render_page(path: Path, page_index: int, zoom: float = 1.0):
    """(pixmap, page) of a rendered page with annotations/widgets; pixels as a PIL image."""
    import pymupdf as fitz
    from PIL import Image

    doc = fitz.open(str(path))
    page = doc[page_index]
    pix = page.get_pixmap(matrix=fitz.Matrix(zoom, zoom), annots=True, alpha=False)
    img = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    matrix = page.transformation_matrix * page.rotation_matrix * fitz.Matrix(zoom, zoom)
    doc.close()
    return img, matrix


def user_rect_to_pixels(rect, matrix) -> tuple[int, int, int, int]:
    """A default-user-space rect (PDF coordinates, y up) → pixel box (left, top, right, bottom)."""
    import pymupdf as fitz

    x0, y0, x1, y1 = rect
    corners = [fitz.Point(x, y) * matrix for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1))]
    xs, ys = [p.x for p in corners], [p.y for p in corners]
    return int(min(xs)), int(min(ys)), int(round(max(xs))), int(round(max(ys)))


def red_pixels(img, box=None) -> list[tuple[int, int]]:
    """Coordinates of strongly red pixels (in `box` = left, top, right, bottom, or the whole image)."""
    left, top, right, bottom = box or (0, 0, img.width, img.height)
    px = img.load()
    found = []
    for y in range(max(top, 0), min(bottom, img.height)):
        for x in range(max(left, 0), min(right, img.width)):
            r, g, b = px[x, y][:3]
            if r > 150 and g < 90 and b < 90:
                found.append((x, y))
    return found


def dark_pixels(img, box) -> int:
    left, top, right, bottom = box
    px = img.load()
    count = 0
    for y in range(max(top, 0), min(bottom, img.height)):
        for x in range(max(left, 0), min(right, img.width)):
            r, g, b = px[x, y][:3]
            if r < 80 and g < 80 and b < 80:
                count += 1
    return count


# --- external tools -------------------------------------------------------------------------------
def pdfsig(path: Path) -> str:
    proc = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False, timeout=60)
    return proc.stdout + proc.stderr


def pdfsig_signatures(path: Path) -> list[str]:
    """pdfsig's output split into one block per signature."""
    blocks = re.split(r"^Signature #\d+:", pdfsig(path), flags=re.M)
    return blocks[1:]


def qpdf_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False, timeout=60)


def extract_contents(path: Path, index: int = -1) -> bytes:
    """The CMS of the signature number `index` (DER, trailing zero padding stripped) via pyHanko's reader."""
    from asn1crypto import cms
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        sig = reader.embedded_signatures[index]
        raw = sig.pkcs7_content
    return cms.ContentInfo.load(raw).dump()


def certify_pdf(src: Path, dst: Path, issued: Issued, *, permission: int) -> None:
    """A certification signature with DocMDP P=`permission`, made directly with pyHanko."""
    from asn1crypto import keys
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = ax509.Certificate.load(issued.cert_der)
    signer = signers.SimpleSigner(
        signing_cert=cert,
        signing_key=keys.PrivateKeyInfo.load(issued.key_der),
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Certification", certify=True, docmdp_permissions=fields.MDPPerm(permission)
    )
    with open(src, "rb") as inf, open(dst, "wb") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=outf)


# --- RFC 3161 TSA ---------------------------------------------------------------------------------
@contextmanager
def running_tsa(ca: SoftwareCA) -> Iterator[str]:
    """An RFC 3161 time-stamping service on 127.0.0.1 (certomancer TimeStamper, werkzeug server)."""
    from asn1crypto import keys, tsp
    from asn1crypto import x509 as ax509
    from certomancer.services import TimeStamper
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    issued = ca.issue("SealDesk Test TSA", org="SealDesk Test", key_type="ec", tsa=True)
    stamper = TimeStamper(
        tsa_cert=ax509.Certificate.load(issued.cert_der),
        tsa_key=keys.PrivateKeyInfo.load(issued.key_der),
        certs_to_embed=[ax509.Certificate.load(ca.root_der)],
    )

    @Request.application
    def app(request: Request) -> Response:
        if request.method != "POST":
            return Response("POST an RFC 3161 request", status=405)
        req = tsp.TimeStampReq.load(request.get_data())
        return Response(stamper.request_tsa_response(req).dump(), mimetype="application/timestamp-reply")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tsa"
    finally:
        server.shutdown()
        thread.join(timeout=5)
