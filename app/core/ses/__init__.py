"""Electronic seals: GM/T 0031-2014 (v1), GB/T 38540-2020 (v4) and GM/T 0031-2025 (v5).

Parse, verify and build seals (SESeal) and parse/verify signatures made with them (SES_Signature).
See docs/seal-format.md.
"""

from ..gm import register_oids
from .build import build_seal_v4, build_ses_signature_v4
from .model import Seal, SealCheck, SealPicture, SesSignature, SesSignatureCheck
from .parse import parse_seal, parse_ses_signature
from .verify import signature_algorithm_verify, verify_seal, verify_ses_signature

register_oids()

__all__ = [
    "Seal",
    "SealCheck",
    "SealPicture",
    "SesSignature",
    "SesSignatureCheck",
    "build_seal_v4",
    "build_ses_signature_v4",
    "parse_seal",
    "parse_ses_signature",
    "signature_algorithm_verify",
    "verify_seal",
    "verify_ses_signature",
]
