"""Sign a PDF with a key that only signs digests (a PKCS#11 token), through pyHanko.

One stamping = one incremental update holding: the new signature field with one widget annotation per
seal picture in its /Kids (the first placement, multi-page copies, cross-page slices) — or an existing
empty signature field of the document, filled — and the PAdES signature (ETSI.CAdES.detached) covering
all of it. Widgets of the one signature field are what pyHanko's *default* difference analysis accepts
after an earlier signature ("form filling"), so a later SealDesk stamping never makes someone else's
signature look tampered with. The document's AcroForm entries (NeedAppearances, DA, DR, XFA…) are kept
as they were, so forms keep their look. The seal (DER GB/T 38540 SESeal) travels
inside the CMS SignerInfo as a signed attribute, `SEAL_ATTRIBUTE_OID`; see docs/signature-format.md.

pyHanko is imported lazily (start-up time of the GUI).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..errors import (
    DocumentDamaged,
    DocumentError,
    InvalidArgument,
    MechanismUnsupported,
    NetworkError,
    PageOutOfRange,
    PlacementInvalid,
    SealDeskError,
    SigningFailed,
)
from ..gm import is_sm2_certificate
from ..i18n_marks import QT_TRANSLATE_NOOP
from ..signer import DigestSigner
from .inspect import OpenedPdf, check_can_sign, incremental_writer, open_pdf

if TYPE_CHECKING:  # pragma: no cover
    from app.core.placement import StampSpot

    from .sm2_cms import Sm2MessageSigner

SEAL_ATTRIBUTE_OID = "2.25.222528157247365489077371394512627047332"
"""OID of SealDesk's signed CMS attribute carrying the DER SESeal (`SealDeskSeal ::= OCTET STRING`)."""

SEAL_ATTRIBUTE_NAME = "sealdesk_seal"
"""asn1crypto's readable name for `SEAL_ATTRIBUTE_OID`."""

SUPPORTED_HASHES = ("sha256", "sha384", "sha512")
"""Digest algorithms SealDesk signs PDFs with (SM3 is not defined for RSA/ECDSA PAdES signatures)."""

STAMP_ANNOT_FLAGS = 4 | 64 | 128
"""Print | ReadOnly | Locked: the extra seal pictures print, and viewers do not let users move them."""

WIDGET_FLAGS = 4 | 128
"""Print | Locked, as pyHanko sets on the signature widget itself."""

EXTRA_PICTURE_MODES = ("widgets", "stamp_annotations")
""""widgets" is the layout of every stamping; "stamp_annotations" is the layout of SealDesk's first
releases, kept only so that the verifier of such old files (pdf/diff_rules.py) stays tested against real
ones (see docs/decisions.md). The Stamper never asks for it."""

_ALLOWED_ROTATIONS = (0, 90, 180, 270)


@dataclass(frozen=True)
class SignSettings:
    """How the signature is made (the where is in the StampSpots)."""

    field_name: str | None = None
    """Name of the new signature field; default "Seal-<8 hex>"."""
    reason: str | None = None
    """/Reason of the signature dictionary (e.g. the purpose of the stamping)."""
    location: str | None = None
    """/Location of the signature dictionary."""
    hash_name: str = "sha256"
    """Digest algorithm: sha256, sha384 or sha512."""
    tsa_url: str | None = None
    """RFC 3161 time-stamping service; set → PAdES B-T (signature timestamp token in the CMS)."""
    tsa_timeout: float = 10.0
    """Seconds to wait for the time-stamping service."""
    pades: bool = True
    """SubFilter ETSI.CAdES.detached (PAdES); False → adbe.pkcs7.detached."""
    extra_pictures: str = "widgets"
    """How spots after the first are written: "widgets" (more widget annotations of the new signature
    field: pyHanko's default difference analysis calls them form filling for earlier signatures) or
    "stamp_annotations" (legacy layout of old SealDesk files, for tests of their verification only)."""
    existing_field: bool = False
    """Sign into the existing empty signature field `field_name` instead of creating a field (the only
    way to sign a document certified with DocMDP P=2). Exactly one spot, inside the field's box."""


@dataclass(frozen=True)
class SignOutcome:
    """What sign_pdf wrote (hashing the output is the caller's business)."""

    field_name: str
    """The new signature field."""
    pages_stamped: tuple[int, ...]
    """Zero-based indexes of the pages that got a seal picture, ascending, without duplicates."""
    extra_pictures: int
    """Number of pictures besides the signature widget (stamp annotations or extra widgets)."""
    timestamped: bool
    """A signature timestamp token from the TSA is in the signature (PAdES B-T)."""


# --- seal attribute -------------------------------------------------------------------------------
_registered = False


def register_seal_attribute() -> None:
    """Teach asn1crypto the seal attribute, so parsed SignerInfos yield its OCTET STRING."""
    global _registered
    if _registered:
        return
    from asn1crypto import cms, core
    from pyhanko.sign.ades.asn1_util import register_cms_attribute

    register_cms_attribute(SEAL_ATTRIBUTE_OID, SEAL_ATTRIBUTE_NAME, core.OctetString)
    # asn1crypto builds the name → OID map once, on first use; pyHanko's helper only adds to the forward map,
    # so when anything parsed a CMS attribute before us (OFD plain signatures, SES export), naming ours fails.
    reverse = cms.CMSAttributeType._reverse_map
    if reverse is not None:
        reverse.setdefault(SEAL_ATTRIBUTE_NAME, SEAL_ATTRIBUTE_OID)
    _registered = True


# --- mechanism ------------------------------------------------------------------------------------
def signature_mechanism(key_type: str, scheme: str, hash_name: str):
    """The CMS signatureAlgorithm matching what the DigestSigner produces (asn1crypto object)."""
    from asn1crypto import algos

    if hash_name not in SUPPORTED_HASHES:
        raise InvalidArgument(f"hash {hash_name!r} not in {SUPPORTED_HASHES}", what="hash algorithm")
    if key_type == "ec" and scheme == "ecdsa":
        # RFC 5753: the ECDSA signatureAlgorithm names the digest too.
        return algos.SignedDigestAlgorithm({"algorithm": f"{hash_name}_ecdsa"})
    if key_type == "rsa" and scheme == "pkcs1v15":
        return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"})
    if key_type == "rsa" and scheme == "pss":
        digest = algos.DigestAlgorithm({"algorithm": hash_name})
        params = algos.RSASSAPSSParams(
            {
                "hash_algorithm": digest,
                "mask_gen_algorithm": algos.MaskGenAlgorithm(
                    {"algorithm": "mgf1", "parameters": algos.DigestAlgorithm({"algorithm": hash_name})}
                ),
                "salt_length": hashlib.new(hash_name).digest_size,
            }
        )
        return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params})
    raise MechanismUnsupported(
        f"key type {key_type!r} with scheme {scheme!r}", mechanism=f"{key_type}/{scheme}"
    )


def _check_signature(
    public_key, key_type: str, scheme: str, digest: bytes, hash_name: str, sig: bytes
) -> None:
    """Verify the token's signature with the certificate's key: a key/cert mismatch never reaches a file."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    algo = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[hash_name]
    try:
        if key_type == "ec":
            public_key.verify(sig, digest, ec.ECDSA(Prehashed(algo)))
        elif scheme == "pss":
            pad = padding.PSS(mgf=padding.MGF1(algo), salt_length=algo.digest_size)
            public_key.verify(sig, digest, pad, Prehashed(algo))
        else:
            public_key.verify(sig, digest, padding.PKCS1v15(), Prehashed(algo))
    except (InvalidSignature, TypeError, ValueError) as exc:
        raise SigningFailed(
            "the key's signature does not verify with the certificate's public key "
            f"({key_type}/{scheme}, {hash_name}): {type(exc).__name__}"
        ) from exc


def _placeholder_size(public_key, key_type: str) -> int:
    """Upper bound of the signature length, for pyHanko's dry run (size estimate)."""
    n = (public_key.key_size + 7) // 8
    return 2 * n + 9 if key_type == "ec" else n


def _make_seal_spec_class():
    """Build the signed-attribute spec that appends the seal attribute (its base classes live in pyHanko)."""
    from asn1crypto import core
    from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec

    class _SealAttributeProvider(CMSAttributeProvider):
        attribute_type = SEAL_ATTRIBUTE_OID

        def __init__(self, seal_der: bytes):
            self.seal_der = seal_der

        async def build_attr_value(self, dry_run=False):
            return core.OctetString(self.seal_der)

    class _WithSealAttribute(SignedAttributeProviderSpec):
        def __init__(self, inner, seal_der: bytes):
            self.inner = inner
            self.seal_der = seal_der

        def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
            yield from self.inner.signed_attr_providers(
                data_digest=data_digest, digest_algorithm=digest_algorithm
            )
            yield _SealAttributeProvider(self.seal_der)

    return _WithSealAttribute


_SEAL_SPEC_CLASS = None


def with_seal_attribute(inner, seal_der: bytes | None):
    """pyHanko's signed-attribute spec `inner` plus SealDesk's seal attribute (the same for every key
    algorithm, so the seal is carried identically in RSA/ECDSA and SM2 signatures); `inner` when no seal."""
    global _SEAL_SPEC_CLASS
    if seal_der is None:
        return inner
    register_seal_attribute()
    if _SEAL_SPEC_CLASS is None:
        _SEAL_SPEC_CLASS = _make_seal_spec_class()
    return _SEAL_SPEC_CLASS(inner, seal_der)


_SEAL_SIGNER_BASE = None


def seal_signer_base():
    """pyHanko's `Signer` whose signed attributes are pyHanko's default (CAdES/PAdES) ones plus the seal
    attribute (`self._seal_der`, None: none): the base of TokenPdfSigner and of sm2_cms's Sm2PdfSigner."""
    global _SEAL_SIGNER_BASE
    if _SEAL_SIGNER_BASE is None:
        from pyhanko.sign.signers.pdf_cms import Signer

        class SealSigner(Signer):
            _seal_der: bytes | None = None

            def _signed_attr_provider_spec(
                self, attr_settings, timestamper=None, use_cades=False, is_pdf_sig=True
            ):
                inner = super()._signed_attr_provider_spec(
                    attr_settings=attr_settings,
                    timestamper=timestamper,
                    use_cades=use_cades,
                    is_pdf_sig=is_pdf_sig,
                )
                return with_seal_attribute(inner, self._seal_der)

        _SEAL_SIGNER_BASE = SealSigner
    return _SEAL_SIGNER_BASE


def _make_token_signer_class():
    """Build TokenPdfSigner lazily: its base class lives in pyHanko."""
    from asn1crypto import x509
    from cryptography import x509 as cx509
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class TokenPdfSigner(seal_signer_base()):
        """pyHanko Signer over a DigestSigner: hashes the signed attributes here, the key signs the digest."""

        def __init__(
            self,
            digest_signer: DigestSigner,
            *,
            hash_name: str = "sha256",
            chain: Sequence[bytes] = (),
            seal_der: bytes | None = None,
        ):
            try:
                cert = x509.Certificate.load(bytes(digest_signer.certificate))
                cert.native  # noqa: B018 - parse fully now, not halfway through signing
                self._public_key = cx509.load_der_x509_certificate(
                    bytes(digest_signer.certificate)
                ).public_key()
                chain_certs = [x509.Certificate.load(bytes(c)) for c in chain]
                for c in chain_certs:
                    c.native  # noqa: B018
            except Exception as exc:  # noqa: BLE001
                from ..errors import CertificateInvalid

                raise CertificateInvalid(f"{type(exc).__name__}: {exc}") from exc
            algo = cert.public_key.algorithm
            if (algo == "ec") != (digest_signer.key_type == "ec") or algo not in ("rsa", "ec"):
                raise MechanismUnsupported(
                    f"certificate key {algo} vs signer key type {digest_signer.key_type}",
                    mechanism=f"{digest_signer.key_type}/{digest_signer.scheme}",
                )
            self._digest_signer = digest_signer
            self._hash_name = hash_name
            self._seal_der = seal_der
            super().__init__(
                signing_cert=cert,
                cert_registry=SimpleCertificateStore.from_certs([cert, *chain_certs]),
                signature_mechanism=signature_mechanism(
                    digest_signer.key_type, digest_signer.scheme, hash_name
                ),
                embed_roots=True,
            )

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
            ds = self._digest_signer
            if dry_run:
                return bytes(_placeholder_size(self._public_key, ds.key_type))
            digest_algorithm = digest_algorithm.lower()
            if digest_algorithm != self._hash_name:
                raise SigningFailed(f"asked for {digest_algorithm}, configured for {self._hash_name}")
            digest = hashlib.new(digest_algorithm, data).digest()
            signature = bytes(ds.sign_digest(digest, digest_algorithm))
            _check_signature(self._public_key, ds.key_type, ds.scheme, digest, digest_algorithm, signature)
            return signature

    return TokenPdfSigner


_TOKEN_SIGNER_CLASS = None


def token_pdf_signer(
    digest_signer: DigestSigner,
    *,
    hash_name: str = "sha256",
    chain: Sequence[bytes] = (),
    seal_der: bytes | None = None,
):
    """A pyHanko `Signer` (class TokenPdfSigner) wrapping `digest_signer`."""
    global _TOKEN_SIGNER_CLASS
    register_seal_attribute()
    if _TOKEN_SIGNER_CLASS is None:
        _TOKEN_SIGNER_CLASS = _make_token_signer_class()
    return _TOKEN_SIGNER_CLASS(digest_signer, hash_name=hash_name, chain=chain, seal_der=seal_der)


# --- appearance -----------------------------------------------------------------------------------
def image_matrix(width: float, height: float, rotation: int) -> tuple[float, ...]:
    """`cm` operands mapping the image's unit square onto a width×height box in default user space,
    turned by `rotation` degrees counter-clockwise, so that after the page's clockwise /Rotate the
    image looks upright. `width`/`height` are the box's sides in user space (the /Rect's)."""
    if rotation == 0:
        return (width, 0, 0, height, 0, 0)
    if rotation == 90:
        return (0, height, -width, 0, width, 0)
    if rotation == 180:
        return (-width, 0, 0, -height, width, height)
    if rotation == 270:
        return (0, -height, width, 0, 0, height)
    raise PlacementInvalid(f"rotation {rotation}", reason=f"unsupported page rotation {rotation}")


def _load_png(png: bytes, index: int):
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(png))
        img.load()
    except Exception as exc:  # noqa: BLE001
        raise InvalidArgument(f"spot image {index}: {type(exc).__name__}: {exc}", what="seal image") from exc
    return img if img.mode == "RGBA" else img.convert("RGBA")


_IMAGE_REFS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""writer → {id(image): (image, reference)}: one image XObject per distinct picture in a revision."""


def _image_ref(writer, image, pil_image):
    """The image XObject for `image` in this writer, embedded once however many copies show it."""
    per_writer = _IMAGE_REFS.setdefault(writer, {})
    cached = per_writer.get(id(image))
    if cached is None or cached[0] is not image:
        cached = (image, pil_image(image, writer))
        per_writer[id(image)] = cached
    return cached[1]


def _seal_appearance(writer, width: float, height: float, image, rotation: int, inner=None):
    """An AppearanceContent drawing `image` (RGBA, alpha as /SMask) over the whole box, counter-rotated;
    with `inner` = (dx, dy, w, h), only over that part of the box (an existing field larger than the seal:
    the picture keeps its true size). Either way the content is one `cm` and one image XObject."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.content import AppearanceContent, ResourceType
    from pyhanko.pdf_utils.images import pil_image
    from pyhanko.pdf_utils.layout import BoxConstraints

    class SealPicture(AppearanceContent):
        def render(self) -> bytes:
            ref = _image_ref(self.writer, image, pil_image)
            self.set_resource(ResourceType.XOBJECT, generic.pdf_name("/Seal"), ref)
            if inner is None:
                m = image_matrix(self.box.width, self.box.height, rotation)
            else:
                dx, dy, w, h = inner
                a, b, c, d, e, f = image_matrix(w, h, rotation)
                m = (a, b, c, d, e + dx, f + dy)
            return b"q %s cm /Seal Do Q" % b" ".join(b"%.4f" % v for v in m)

    return SealPicture(writer=writer, box=BoxConstraints(width=width, height=height))


def _seal_style(image, rotation: int, inner=None):
    """A pyHanko stamp style whose only content is the seal picture: no border, no text, opacity 1."""
    from pyhanko.stamp import BaseStampStyle

    @dataclass(frozen=True)
    class SealStyle(BaseStampStyle):
        border_width: int = 0
        background_opacity: float = 1.0

        def create_stamp(self, writer, box, text_params):
            return _seal_appearance(writer, box.width, box.height, image, rotation, inner)

    return SealStyle()


def _add_stamp_annotation(writer, spot, image, rotation: int, field_name: str, index: int) -> None:
    """A /Stamp annotation showing `image` at spot.rect, registered on its page in this revision."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name, pdf_string

    x0, y0, x1, y1 = spot.rect
    page_ref, _ = writer.find_page_for_modification(spot.page_index)
    appearance = _seal_appearance(writer, x1 - x0, y1 - y0, image, rotation)
    annot = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Stamp"),
            pdf_name("/Rect"): generic.ArrayObject(
                generic.FloatObject(round(v, 4)) for v in (x0, y0, x1, y1)
            ),
            pdf_name("/F"): generic.NumberObject(STAMP_ANNOT_FLAGS),
            pdf_name("/P"): page_ref,
            pdf_name("/NM"): pdf_string(f"{field_name}-{index}"),
            pdf_name("/Contents"): pdf_string(f"Seal picture of signature {field_name}"),
        }
    )
    appearance.apply_appearance(annot)
    writer.register_annotation(page_ref, writer.add_object(annot))


def _add_extra_widgets(writer, field_name: str, sig_field, extras) -> None:
    """Append widget annotations showing the extra pictures to the new signature field's /Kids.

    Runs after pyHanko set up the field (one kid, its appearance applied) and before the revision is
    written and hashed, so the widgets are covered by the signature. Every kid gets /Parent (ISO 32000
    requires it for a field with several widgets; MuPDF draws a widget only when it inherits /FT and /T)
    and a copy of the field's /V reference: poppler before 23.x reads a kid with /Parent as a field of
    its own and would otherwise report the signature as "not signed" (see docs/decisions.md).
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name

    field_ref = next(
        ref for ref in writer.root["/AcroForm"]["/Fields"] if ref.get_object().get("/T") == field_name
    )
    value = sig_field.raw_get("/V")
    kids = sig_field["/Kids"]
    for kid in kids:
        kid.get_object()[pdf_name("/Parent")] = field_ref
        kid.get_object()[pdf_name("/V")] = value
    for spot, image, rotation in extras:
        x0, y0, x1, y1 = spot.rect
        page_ref, _ = writer.find_page_for_modification(spot.page_index)
        widget = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/Rect"): generic.ArrayObject(
                    generic.FloatObject(round(v, 4)) for v in (x0, y0, x1, y1)
                ),
                pdf_name("/F"): generic.NumberObject(WIDGET_FLAGS),
                pdf_name("/P"): page_ref,
                pdf_name("/Parent"): field_ref,
                pdf_name("/V"): value,
            }
        )
        _seal_appearance(writer, x1 - x0, y1 - y0, image, rotation).apply_appearance(widget)
        widget_ref = writer.add_object(widget)
        kids.append(widget_ref)
        writer.register_annotation(page_ref, widget_ref)


# --- signing --------------------------------------------------------------------------------------
def _check_spots(spots: Sequence[StampSpot], spot_images: Sequence[bytes], page_count: int) -> list[int]:
    if not spots:
        raise InvalidArgument("no stamp spot", what="seal placement")
    if len(spots) != len(spot_images):
        raise InvalidArgument(f"{len(spots)} spots but {len(spot_images)} images", what="seal placement")
    rotations = []
    for spot in spots:
        if not 0 <= spot.page_index < page_count:
            raise PageOutOfRange(f"page index {spot.page_index}", page=spot.page_index + 1, count=page_count)
        x0, y0, x1, y1 = spot.rect
        if not (x0 < x1 and y0 < y1):
            raise PlacementInvalid(f"rect {spot.rect}", reason="empty or inverted rectangle")
        rotation = int(spot.rotation) % 360
        if rotation not in _ALLOWED_ROTATIONS:
            raise PlacementInvalid(
                f"rotation {spot.rotation}", reason="page rotation is not a multiple of 90°"
            )
        rotations.append(rotation)
    return rotations


def sign_pdf(
    input_path: Path | OpenedPdf,
    output: BinaryIO,
    *,
    signer: DigestSigner | Sm2MessageSigner,
    spots: Sequence[StampSpot],
    spot_images: Sequence[bytes],
    seal_der: bytes | None,
    settings: SignSettings,
    chain: Sequence[bytes] = (),
    direct: bool = False,
) -> SignOutcome:
    """Sign `input_path` (a path, or a document already opened with `open_pdf`) as an incremental
    update and write the whole signed file to `output`.

    `spot_images[i]` (RGBA PNG) is shown at `spots[i]`; the first spot is the signature widget, the
    others become stamp annotations in the same revision. Nothing is written to `output` unless
    signing succeeded (the signed file is built in memory first). `chain`: DER CA certificates to
    embed next to the signing certificate. `direct`: pyHanko writes straight into `output` (readable
    and seekable) instead of an in-memory copy of the whole signed file; on failure `output` holds a
    partial file, so only pass a file the caller discards then (stamping's O_TMPFILE output).
    A signer with an SM2 certificate (an `Sm2MessageSigner`) makes an SM2/SM3 signature (pdf/sm2_cms.py); its
    digest is always SM3, whatever `settings.hash_name` says.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.general import SigningError

    document = input_path if isinstance(input_path, OpenedPdf) else open_pdf(input_path)
    name, facts = document.name, document.facts
    check_can_sign(facts, new_field=not settings.existing_field, reader=document.reader)
    rotations = _check_spots(spots, spot_images, facts.page_count)
    if settings.extra_pictures not in EXTRA_PICTURE_MODES:
        raise InvalidArgument(f"extra_pictures={settings.extra_pictures!r}", what="signature settings")
    inner = _inner_box(document.reader, spots, settings) if settings.existing_field else None
    decoded: dict[bytes, object] = {}  # identical pictures (copies on many pages) decode and embed once
    images = []
    for index, png in enumerate(spot_images):
        if png not in decoded:
            decoded[png] = _load_png(png, index)
        images.append(decoded[png])
    field_name = settings.field_name or f"Seal-{uuid.uuid4().hex[:8]}"
    settings = replace(settings, field_name=field_name)
    if is_sm2_certificate(bytes(signer.certificate)):  # an Sm2MessageSigner: SM2/SM3 CMS, SM3 digest
        from .sm2_cms import SM2_HASH, sm2_pdf_signer

        settings = replace(settings, hash_name=SM2_HASH)
        pdf_signer_obj = sm2_pdf_signer(signer, chain=chain, seal_der=seal_der)
    else:
        pdf_signer_obj = token_pdf_signer(signer, hash_name=settings.hash_name, chain=chain, seal_der=seal_der)

    try:
        signed = _sign_bytes(
            document.reader, pdf_signer_obj, spots, images, rotations, inner, settings,
            out=output if direct else None,
        )  # fmt: skip
    except SealDeskError:
        raise
    except SigningError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, SealDeskError):
            raise cause from exc
        raise DocumentError(f"pyHanko: {exc}") from exc
    except PdfError as exc:
        raise DocumentDamaged(f"pyHanko: {exc}", name=name) from exc

    if signed is not None:
        output.write(signed)
    return SignOutcome(
        field_name=field_name,
        pages_stamped=tuple(sorted({s.page_index for s in spots})),
        extra_pictures=len(spots) - 1,
        timestamped=bool(settings.tsa_url),
    )


def _inner_box(reader, spots, settings: SignSettings) -> tuple[float, float, float, float]:
    """Where the one spot lies inside the existing field's box: (dx, dy, width, height) in points.

    The seal keeps its true size; an existing field too small for it is refused (its box cannot grow:
    that would change the prepared form, which a certification forbids)."""
    from .fields import find_empty_field

    if not settings.field_name:
        raise InvalidArgument("existing_field without field_name", what="signature field")
    if len(spots) != 1:
        raise InvalidArgument(f"{len(spots)} spots for one existing field", what="seal placement")
    field = find_empty_field(reader, settings.field_name)
    (spot,) = spots
    fx0, fy0, fx1, fy1 = field.rect
    x0, y0, x1, y1 = spot.rect
    tolerance = 0.01
    if spot.page_index != field.page_index or not (
        x0 >= fx0 - tolerance and y0 >= fy0 - tolerance and x1 <= fx1 + tolerance and y1 <= fy1 + tolerance
    ):
        raise PlacementInvalid(
            f"seal rect {spot.rect} on page {spot.page_index + 1} is not inside field {field.name!r} "
            f"{field.rect} on page {(field.page_index or 0) + 1}",
            reason=QT_TRANSLATE_NOOP("errors", "the seal at its true size does not fit in the signature field"),
        )
    return (max(x0 - fx0, 0.0), max(y0 - fy0, 0.0), x1 - x0, y1 - y0)


_ACROFORM_KEYS_PYHANKO_SETS = frozenset({"/Fields", "/SigFlags"})


def _restore_acroform(writer, original: dict | None) -> None:
    """Put back the AcroForm entries pyHanko dropped or changed while preparing the field.

    pyHanko deletes /NeedAppearances (and sets /SigFlags 3): forms whose fields have values but no
    appearance streams (LibreOffice's) then show empty fields in poppler and MuPDF. Every original entry
    is restored, /SigFlags keeps the original bits plus SignaturesExist|AppendOnly. Unchanged entries are
    what pyHanko's difference analysis expects, so earlier signatures are not affected.
    """
    from pyhanko.pdf_utils import generic

    if original is None or "/AcroForm" not in writer.root:
        return
    form = writer.root["/AcroForm"]
    changed = False
    for key, raw in original.items():
        if key in _ACROFORM_KEYS_PYHANKO_SETS:
            continue
        if key not in form or form.raw_get(key) != raw:
            form[key] = raw
            changed = True
    old_flags = original.get("/SigFlags")
    old_flags = old_flags.get_object() if old_flags is not None else None
    new_flags = form["/SigFlags"] if "/SigFlags" in form else 0
    if isinstance(old_flags, int) and int(new_flags) != (int(old_flags) | 3):
        form[generic.pdf_name("/SigFlags")] = generic.NumberObject(int(old_flags) | 3)
        changed = True
    if changed:
        writer.update_container(form)


async def _sign_in_steps(pdf_signer, writer, settings: SignSettings, extras, out: BinaryIO, acroform) -> None:
    """pyHanko's PdfSigner.async_sign_pdf, step by step: the extra widgets are added and the AcroForm
    entries restored after pyHanko prepared the field and before the revision is written and hashed."""
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    session = pdf_signer.init_signing_session(writer, existing_fields_only=settings.existing_field)
    validation_info = await session.perform_presign_validation(writer)
    bytes_reserved = await session.estimate_signature_container_size(validation_info, tight=False)
    tbs = session.prepare_tbs_document(validation_info=validation_info, bytes_reserved=bytes_reserved)
    if extras:  # after prepare_tbs_document: the field's /V (the signature dictionary) exists
        _add_extra_widgets(writer, settings.field_name, session.sig_field, extras)
    _restore_acroform(writer, acroform)
    prepared, res_output = tbs.digest_tbs_document(output=out)
    post = await tbs.perform_signature(
        document_digest=prepared.document_digest,
        pdf_cms_signed_attrs=PdfCMSSignedAttributes(signing_time=session.system_time),
    )
    await post.post_signature_processing(res_output)


def _sign_bytes(
    reader, pdf_signer_obj, spots, images, rotations, inner, settings: SignSettings, out: BinaryIO | None = None
) -> bytes | None:
    """The signed file as bytes, or None after writing it into `out` (readable and seekable)."""
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_byterange import BuildProps
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    field_name = settings.field_name
    # a snapshot: the writer edits the reader's cached AcroForm object in place
    acroform = None
    if "/AcroForm" in reader.root:
        form = reader.root["/AcroForm"]
        acroform = {key: form.raw_get(key) for key in form}
    as_widgets = settings.extra_pictures == "widgets" and len(spots) > 1
    writer = incremental_writer(reader)  # IncrementalPdfFileWriter, also for a direct /Encrypt
    extras = list(zip(spots, images, rotations, strict=True))[1:]
    if not as_widgets:
        for index, (spot, image, rotation) in enumerate(extras, start=1):
            _add_stamp_annotation(writer, spot, image, rotation, field_name, index)

    first = spots[0]
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=settings.hash_name,
        reason=settings.reason,
        location=settings.location,
        subfilter=fields.SigSeedSubFilter.PADES
        if settings.pades
        else fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
        app_build_props=BuildProps(name="SealDesk"),
    )
    timestamper = None
    if settings.tsa_url:
        from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper  # imports requests

        timestamper = RequestsHTTPTimeStamper(settings.tsa_url, timeout=settings.tsa_timeout)
    new_field_spec = None
    if not settings.existing_field:
        new_field_spec = fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=first.page_index,
            box=tuple(float(v) for v in first.rect),
            combine_annotation=not as_widgets,
        )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=pdf_signer_obj,
        timestamper=timestamper,
        stamp_style=_seal_style(images[0], rotations[0], inner),
        new_field_spec=new_field_spec,
    )
    buffer = out if out is not None else io.BytesIO()
    try:
        asyncio.run(_sign_in_steps(pdf_signer, writer, settings, extras if as_widgets else [], buffer, acroform))
    except TimestampRequestError as exc:
        raise NetworkError(f"time-stamping service: {exc}", server=settings.tsa_url) from exc
    return None if out is not None else buffer.getvalue()
