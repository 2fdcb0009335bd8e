"""Usage records (用印登记): the local signed, hash-chained log, and the record format the city system checks."""

from .log import DigestSigner, HolderCheck, LogVerification, UsageLog, default_path
from .records import (
    FORMAT,
    GENESIS_HASH,
    NewRecord,
    Placement,
    RecordFormatError,
    UsageRecord,
    canonical_json,
    check_chain,
    message_signature_problem,
    signature_problem,
)

__all__ = [
    "FORMAT",
    "GENESIS_HASH",
    "DigestSigner",
    "HolderCheck",
    "LogVerification",
    "NewRecord",
    "Placement",
    "RecordFormatError",
    "UsageLog",
    "UsageRecord",
    "canonical_json",
    "check_chain",
    "default_path",
    "message_signature_problem",
    "signature_problem",
]
