"""Typed errors of the core.

Every error carries a translatable user message (English source text marked for Qt Linguist, with
`{named}` placeholders) and a technical detail for logs. GUI and CLI show
`err.user_message(translate)`; nothing else formats errors for users.

Secrets (PINs) must never be passed to an error: neither as a parameter nor in `detail`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from .i18n_marks import QT_TRANSLATE_NOOP

CONTEXT = "errors"

Translate = Callable[[str, str], str]


def _identity(context: str, text: str) -> str:
    del context
    return text


class SealDeskError(Exception):
    """Base of all SealDesk errors."""

    message: ClassVar[str] = QT_TRANSLATE_NOOP("errors", "An unexpected error occurred.")
    exit_code: ClassVar[int] = 1

    def __init__(self, detail: str = "", **params: Any) -> None:
        self.detail = detail
        self.params = params
        super().__init__(self.user_message())

    def user_message(self, translate: Translate = _identity) -> str:
        """The message for the user, translated by `translate(context, source_text)`."""
        text = translate(CONTEXT, self.message)
        # parameters that are themselves marked messages (a PIN warning, a seal status) are translated too
        params = {k: translate(CONTEXT, v) if isinstance(v, str) else v for k, v in self.params.items()}
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text

    def __str__(self) -> str:
        base = self.user_message()
        return f"{base} ({self.detail})" if self.detail else base


# --- user input / generic -------------------------------------------------------------------------
class InvalidArgument(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "Invalid input: {what}.")
    exit_code = 2


class PageListInvalid(InvalidArgument):
    message = QT_TRANSLATE_NOOP(
        "errors", "The page list “{spec}” cannot be read at “{item}”. Write it like 1-3,5,-1 (-1 = last page)."
    )


class FileRejected(SealDeskError):
    """A problem with a file the user named, said with its name; the underlying error decides the rest."""

    message = QT_TRANSLATE_NOOP("errors", "{path}: {problem}")

    def __init__(self, path: str, inner: SealDeskError) -> None:
        self.inner = inner
        self.exit_code = inner.exit_code  # type: ignore[misc] - per instance: the underlying kind's code
        super().__init__(inner.detail, path=path)

    def user_message(self, translate: Translate = _identity) -> str:
        template = translate(CONTEXT, self.message)
        return template.format(path=self.params.get("path", ""), problem=self.inner.user_message(translate))


class Cancelled(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "The operation was cancelled.")
    exit_code = 130


# --- PKCS#11 modules, tokens, PINs ----------------------------------------------------------------
class TokenError(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "The USB key reported an error.")
    exit_code = 3


class ModuleLoadFailed(TokenError):
    message = QT_TRANSLATE_NOOP(
        "errors",
        "The key driver {module} could not be loaded. Check that it is installed and matches this "
        "program's architecture (64-bit drivers for 64-bit SealDesk).",
    )


class NoTokenPresent(TokenError):
    message = QT_TRANSLATE_NOOP("errors", "No USB key was found. Insert your key and try again.")


class TokenNotFound(TokenError):
    message = QT_TRANSLATE_NOOP("errors", "The USB key {token} was not found.")


class TokenRemoved(TokenError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The USB key was removed during the operation. Nothing was written; insert it and retry."
    )


class PinError(TokenError):
    message = QT_TRANSLATE_NOOP("errors", "The PIN was not accepted.")


class PinIncorrect(PinError):
    """Wrong PIN. `pin_state` holds the token's PIN state read right after the failure."""

    message = QT_TRANSLATE_NOOP("errors", "Wrong PIN. {warning}")

    def __init__(self, detail: str = "", *, pin_state: Any = None, warning: str = "", **params: Any):
        self.pin_state = pin_state
        super().__init__(detail, warning=warning, **params)


class PinLocked(PinError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The PIN is locked after too many wrong entries. Ask your seal administrator to unlock the key."
    )


class PinMustChange(PinError):
    message = QT_TRANSLATE_NOOP("errors", "The key requires you to change its PIN before use.")


class PinInvalid(PinError):
    message = QT_TRANSLATE_NOOP("errors", "The PIN does not meet the key's rules ({rule}).")


class PinMismatch(PinError):
    message = QT_TRANSLATE_NOOP("errors", "The two new PINs do not match.")
    exit_code = 2


class KeyNotFound(TokenError):
    message = QT_TRANSLATE_NOOP("errors", "The signing key for this seal was not found on the USB key.")


class MechanismUnsupported(TokenError):
    message = QT_TRANSLATE_NOOP("errors", "The USB key does not support the signature algorithm {mechanism}.")


class SigningFailed(TokenError):
    message = QT_TRANSLATE_NOOP("errors", "The USB key could not make the signature.")


# --- seals (GB/T 38540 / GM/T 0031) ---------------------------------------------------------------
class SealError(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "The seal cannot be used.")
    exit_code = 4


class SealFormatError(SealError):
    message = QT_TRANSLATE_NOOP("errors", "The seal data is damaged or not in a supported format.")


class SealSignatureInvalid(SealError):
    message = QT_TRANSLATE_NOOP("errors", "The seal maker's signature on the seal is not valid.")


class StampSignatureInvalid(SealError):
    """An electronic signature made with a seal (SES_Signature) does not verify."""

    message = QT_TRANSLATE_NOOP("errors", "The electronic signature made with the seal is not valid: {reason}")


class SealExpired(SealError):
    message = QT_TRANSLATE_NOOP("errors", "The seal expired on {date}.")


class SealNotYetValid(SealError):
    message = QT_TRANSLATE_NOOP("errors", "The seal is valid only from {date}.")


class SealNotBound(SealError):
    message = QT_TRANSLATE_NOOP("errors", "The seal is not bound to this signing certificate.")


class SealNotFound(SealError):
    message = QT_TRANSLATE_NOOP("errors", "The seal {seal} was not found.")


class SealRevoked(SealError):
    message = QT_TRANSLATE_NOOP("errors", "The seal has been {status} by the seal authority.")


class SealPictureUnsupported(SealError):
    message = QT_TRANSLATE_NOOP("errors", "The seal picture type {type} cannot be shown.")


# --- certificates ---------------------------------------------------------------------------------
class CertificateError(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "The certificate cannot be used.")
    exit_code = 4


class CertificateExpired(CertificateError):
    message = QT_TRANSLATE_NOOP("errors", "The signing certificate expired on {date}.")


class CertificateNotYetValid(CertificateError):
    message = QT_TRANSLATE_NOOP("errors", "The signing certificate is valid only from {date}.")


class MakerCertificateExpired(CertificateExpired):
    message = QT_TRANSLATE_NOOP("errors", "The seal maker's certificate expired on {date}.")


class MakerCertificateNotYetValid(CertificateNotYetValid):
    message = QT_TRANSLATE_NOOP("errors", "The seal maker's certificate is valid only from {date}.")


class CertificateInvalid(CertificateError):
    message = QT_TRANSLATE_NOOP("errors", "The certificate is damaged or unreadable.")


# --- policy ---------------------------------------------------------------------------------------
class PolicyRefused(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "Stamping is not allowed: {reason}")
    exit_code = 4


class ApprovalRequired(PolicyRefused):
    message = QT_TRANSLATE_NOOP(
        "errors", "An official seal needs an approval reference (用印审批号) before use: give it with --approval."
    )


# --- documents ------------------------------------------------------------------------------------
class DocumentError(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "The document cannot be processed.")
    exit_code = 5


class DocumentDamaged(DocumentError):
    message = QT_TRANSLATE_NOOP("errors", "The document {name} is damaged or not a PDF.")


class DocumentNotFound(DocumentError):
    message = QT_TRANSLATE_NOOP("errors", "The document {name} was not found.")


class DocumentEncrypted(DocumentError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The document {name} needs a password to open. Remove the password first, then stamp the copy."
    )


class DocumentLocked(DocumentError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The document {name} is certified and its certification forbids further signatures."
    )


class PageOutOfRange(DocumentError):
    message = QT_TRANSLATE_NOOP("errors", "Page {page} does not exist (the document has {count} pages).")


class KeywordNotFound(DocumentError):
    message = QT_TRANSLATE_NOOP("errors", "The text “{keyword}” was not found in the document.")


class PlacementInvalid(DocumentError):
    message = QT_TRANSLATE_NOOP("errors", "The seal cannot be placed there: {reason}")


class SealOffPage(PlacementInvalid):
    message = QT_TRANSLATE_NOOP(
        "errors",
        "A {seal_width}×{seal_height} mm seal centred at {x},{y} mm would lie partly off page {page}, which "
        "is {width}×{height} mm (width × height as displayed). Move it so that the whole seal is on the page.",
    )


class SpotOffPage(PlacementInvalid):
    message = QT_TRANSLATE_NOOP(
        "errors",
        "The position {x},{y} mm is not on page {page}, which is {width}×{height} mm (width × height as "
        "displayed, measured from the top-left corner).",
    )


class CrossPageTooManyPages(PlacementInvalid):
    message = QT_TRANSLATE_NOOP(
        "errors",
        "A {width} mm seal cannot be cut into {count} slices: each would be narrower than {minimum} mm. "
        "Stamp at most {most} pages at a time with --pages.",
    )


class AlreadyStamped(DocumentError):
    """Not a failure: a batch skips a document whose output already holds an intact stamping by the
    same seal (`detail` is the output's path). `--again` stamps it anyway."""

    message = QT_TRANSLATE_NOOP("errors", "already stamped ({output})")
    exit_code = 0


class OutputError(DocumentError):
    message = QT_TRANSLATE_NOOP("errors", "The signed file could not be written to {path}.")


class OutputExists(OutputError):
    message = QT_TRANSLATE_NOOP(
        "errors", "{path} already exists. Choose another name with --out, or move that file away first."
    )


class OutputIsInput(OutputError):
    message = QT_TRANSLATE_NOOP("errors", "The signed file must not replace the original document.")


# --- usage log ------------------------------------------------------------------------------------
class UsageLogError(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "The usage log could not be written.")
    exit_code = 6


class UsageLogCorrupt(UsageLogError):
    message = QT_TRANSLATE_NOOP("errors", "The usage log has been altered or damaged: {problem}")


# --- network / city system ------------------------------------------------------------------------
class NetworkError(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "The server {server} could not be reached.")
    exit_code = 7


class ServerAnswerInvalid(NetworkError):
    message = QT_TRANSLATE_NOOP("errors", "The server {server} sent an answer SealDesk does not understand.")
