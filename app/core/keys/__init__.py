"""USB keys (PKCS#11 tokens): the key layer. Import the public API from here.

catalog: which modules to load · worker/registry: one thread per loaded module, process-wide ·
store_lock: the cross-process lock for file-backed modules (SoftHSM) · pin: PIN states and rules ·
model: plain value objects · manager: tokens, public objects · login: the PIN work · session / provisioning: a
logged-in key (read, sign / write) · watcher: hot-plug. Layout on the key: docs/token-layout.md.
"""

from .manager import TokenManager
from .model import KeyEntry, ModuleInfo, PublicObjects, StoredCertificate, StoredSeal, TokenInfo, decode_text
from .pin import PinState, pin_state_text
from .session import KeySession, TokenDigestSigner
from .watcher import TokenWatcher

__all__ = [
    "KeyEntry",
    "KeySession",
    "ModuleInfo",
    "PinState",
    "PublicObjects",
    "StoredCertificate",
    "StoredSeal",
    "TokenDigestSigner",
    "TokenInfo",
    "TokenManager",
    "TokenWatcher",
    "decode_text",
    "pin_state_text",
]
