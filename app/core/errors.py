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


class FileNotFound(InvalidArgument):
    """A file the user named does not exist (not "invalid input": the name is fine, the file is missing)."""

    message = QT_TRANSLATE_NOOP("errors", "The file {path} was not found.")


class FileUnreadable(InvalidArgument):
    message = QT_TRANSLATE_NOOP("errors", "The file {path} cannot be read: {reason}")


class SettingsInvalid(InvalidArgument):
    """`problem` is itself a marked message whose placeholders ({line}, {column}, {key}) come from params."""

    message = QT_TRANSLATE_NOOP("errors", "The settings file {path} cannot be used: {problem}.")

    def user_message(self, translate: Translate = _identity) -> str:
        problem = translate(CONTEXT, str(self.params.get("problem", "")))
        try:
            problem = problem.format(**self.params)
        except (KeyError, IndexError, ValueError):
            pass
        return translate(CONTEXT, self.message).format(path=self.params.get("path", ""), problem=problem)


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


class ModuleNotBuilt(ModuleLoadFailed):
    message = QT_TRANSLATE_NOOP("errors", "The {module} is not built: run `make setup` in SealDesk's source folder.")


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


class PinNotInitialised(PinError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The key has no user PIN yet. Ask your seal administrator to initialise the key."
    )


class PinInvalid(PinError):
    message = QT_TRANSLATE_NOOP("errors", "The PIN does not meet the key's rules ({rule}).")

    _RULES = (
        (r"(\d+)–(\d+) characters", QT_TRANSLATE_NOOP("errors", "{0}–{1} characters")),
        (r"at least (\d+) characters", QT_TRANSLATE_NOOP("errors", "at least {0} characters")),
        (r"text", QT_TRANSLATE_NOOP("errors", "text")),
    )
    """The rules the token layer states (tokens._length_rule) → translatable wording."""

    def user_message(self, translate: Translate = _identity) -> str:
        import re

        rule = str(self.params.get("rule", ""))
        for pattern, template in self._RULES:
            found = re.fullmatch(pattern, rule)
            if found:
                rule = translate(CONTEXT, template).format(*found.groups())
                break
        return translate(CONTEXT, self.message).format(rule=rule)


class PinMismatch(PinError):
    message = QT_TRANSLATE_NOOP("errors", "The two new PINs do not match.")
    exit_code = 2


class KeyNotFound(TokenError):
    message = QT_TRANSLATE_NOOP("errors", "The signing key for this seal was not found on the USB key.")


class MechanismUnsupported(TokenError):
    message = QT_TRANSLATE_NOOP("errors", "The USB key does not support the signature algorithm {mechanism}.")


class OfdNeedsSm2Key(MechanismUnsupported):
    """OFD seal signatures (GB/T 38540 in GB/T 33190) are SM2: an RSA/ECDSA key cannot make one."""

    message = QT_TRANSLATE_NOOP(
        "errors", "OFD seals need an SM2 key: the key of this seal is not an SM2 key. Choose a seal on an SM2 key."
    )


class SigningFailed(TokenError):
    message = QT_TRANSLATE_NOOP("errors", "The USB key could not make the signature.")


class TokenSignatureWrong(SigningFailed):
    message = QT_TRANSLATE_NOOP(
        "errors", "The USB key returned a signature that does not verify with its certificate; nothing was signed."
    )


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


class SealNotOnKey(SealNotFound):
    message = QT_TRANSLATE_NOOP("errors", "No seal on the key matches “{seal}”. The seals on the key: {seals}.")


class SealAmbiguous(SealNotFound):
    message = QT_TRANSLATE_NOOP(
        "errors", "Several seals match “{seal}”: {seals}. Give more of the seal's ID or its full name."
    )


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


class RootRejected(CertificateError):
    """`trust add` of something that cannot be a trust anchor; `reason` is a marked text with {date}/{algorithm}."""

    message = QT_TRANSLATE_NOOP("errors", "“{subject}” cannot be a trusted root: {reason}")

    def user_message(self, translate: Translate = _identity) -> str:
        reason = translate(CONTEXT, self.params.get("reason", ""))
        try:
            reason = reason.format(**{k: v for k, v in self.params.items() if k not in ("subject", "reason")})
        except (KeyError, IndexError, ValueError):
            pass
        return translate(CONTEXT, self.message).format(subject=self.params.get("subject", ""), reason=reason)


class TrustSettingInvalid(InvalidArgument):
    """A `trust_roots` entry of settings.json that cannot be used, named with the underlying problem."""

    message = QT_TRANSLATE_NOOP(
        "errors", "The file {path} listed in trust_roots in settings.json cannot be used as a trusted root: {problem}"
    )

    def __init__(self, path: str, inner: SealDeskError) -> None:
        self.inner = inner
        super().__init__(inner.detail, path=path)

    def user_message(self, translate: Translate = _identity) -> str:
        return translate(CONTEXT, self.message).format(
            path=self.params.get("path", ""), problem=self.inner.user_message(translate)
        )


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


class OfdDamaged(DocumentDamaged):
    """An OFD package (GB/T 33190) that cannot be read; `problem` is a marked message."""

    message = QT_TRANSLATE_NOOP("errors", "The OFD document {name} cannot be read: {problem}.")


class OfdPartMissing(OfdDamaged):
    message = QT_TRANSLATE_NOOP("errors", "The OFD document {name} is damaged: its part {part} is missing.")


class OfdUnsafe(OfdDamaged):
    """A hostile package: zip bomb, path traversal, XML entities. Refused before anything is unpacked."""

    message = QT_TRANSLATE_NOOP("errors", "The OFD document {name} was refused as unsafe: {problem}.")


class DocumentLocked(DocumentError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The document {name} is certified and its certification forbids further signatures."
    )


class OfdSignaturesProtected(DocumentLocked):
    """An earlier OFD signature protects Signatures.xml (ofdrw's "whole protected" mode)."""

    message = QT_TRANSLATE_NOOP(
        "errors", "The OFD document {name} is sealed so that no further seal may be added (an earlier signature "
        "protects its list of signatures).",
    )


class DocumentCertified(DocumentLocked):
    """Certified with DocMDP P=2: a new signature field would break the certification."""

    message = QT_TRANSLATE_NOOP(
        "errors",
        "The document {name} is certified and its certification allows signing only its empty signature "
        "fields ({fields}). Choose one with --field.",
    )


class FieldNotFound(DocumentError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The document has no field “{field}”. Its empty signature fields: {fields}."
    )


class FieldAlreadySigned(DocumentError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The signature field “{field}” is already signed. The empty signature fields: {fields}."
    )


class NotASignatureField(DocumentError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The field “{field}” is not a signature field. The empty signature fields: {fields}."
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


class OutputFolderError(OutputError):
    """The output folder refused the file (full disk, read-only, no permission…): name it and say why."""

    message = QT_TRANSLATE_NOOP("errors", "The signed file could not be written to the folder {folder}: {reason}")


class PathUnusable(DocumentError):
    """The operating system refused a path the command needed, somewhere no specific error covers it."""

    message = QT_TRANSLATE_NOOP("errors", "SealDesk cannot use {path}: {reason}.")


class OutputIsInput(OutputError):
    message = QT_TRANSLATE_NOOP("errors", "The signed file must not replace the original document.")


# --- usage log ------------------------------------------------------------------------------------
class UsageLogError(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "The usage log could not be written.")
    exit_code = 6


class UsageLogCorrupt(UsageLogError):
    message = QT_TRANSLATE_NOOP("errors", "The usage log has been altered or damaged: {problem}")


class UsageLogUnreadable(UsageLogError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The usage log {path} cannot be read: it does not have the layout this SealDesk expects."
    )


class UsageRecordUnreadable(UsageLogCorrupt):
    message = QT_TRANSLATE_NOOP(
        "errors", "The usage log has been altered or damaged: record {record} (number {seq}) cannot be read."
    )


class UsageHeadNotWritten(UsageLogError):
    """The stamping succeeded (output in place, record saved) but the chain head on the key was not
    updated — usually the key was pulled out. Not a truncation: the head catches up at the next stamping."""

    message = QT_TRANSLATE_NOOP(
        "errors",
        "{output} was stamped and its usage record (number {seq}) saved, but the usage-log chain head on the key "
        "could not be updated: {problem} It is brought up to date at the next stamping with this key.",
    )

    def __init__(self, detail: str, *, output: str, seq: int, inner: SealDeskError) -> None:
        self.inner = inner
        super().__init__(detail, output=output, seq=seq)

    def user_message(self, translate: Translate = _identity) -> str:
        template = translate(CONTEXT, self.message)
        return template.format(
            output=self.params.get("output", ""), seq=self.params.get("seq", ""), problem=self.inner.user_message(translate)
        )


# --- network / city system ------------------------------------------------------------------------
class NetworkError(SealDeskError):
    message = QT_TRANSLATE_NOOP("errors", "The server {server} could not be reached.")
    exit_code = 7


class ServerAnswerInvalid(NetworkError):
    message = QT_TRANSLATE_NOOP("errors", "The server {server} sent an answer SealDesk does not understand.")


# --- city e-seal system (用印登记; app/core/usage/sync.py). The API token never goes into these. ------
class _NestedMessage:
    """Mix-in: the parameter `problem` or `reason` is itself a marked message with placeholders from params."""

    def user_message(self: SealDeskError, translate: Translate = _identity) -> str:  # type: ignore[misc]
        params = dict(self.params)
        for name in ("problem", "reason"):
            if isinstance(params.get(name), str):
                inner = translate(CONTEXT, params[name])
                try:
                    params[name] = inner.format(**self.params)
                except (KeyError, IndexError, ValueError):
                    params[name] = inner
        try:
            return translate(CONTEXT, self.message).format(**params)
        except (KeyError, IndexError, ValueError):
            return translate(CONTEXT, self.message)


class CityNotConfigured(InvalidArgument):
    message = QT_TRANSLATE_NOOP(
        "errors", "No city e-seal system is set up. Set its address with “sealdesk city url https://…”."
    )


class CityUrlRefused(_NestedMessage, InvalidArgument):
    message = QT_TRANSLATE_NOOP(
        "errors",
        "The city system address “{url}” cannot be used: {problem}.",
    )


class CityTokenMissing(InvalidArgument):
    message = QT_TRANSLATE_NOOP(
        "errors",
        "There is no API token for the city system {server}. Set it with “sealdesk city token” (or, where no "
        "keyring exists, in the environment variable SEALDESK_CITY_TOKEN).",
    )


class CityTokenStoreUnavailable(_NestedMessage, InvalidArgument):
    message = QT_TRANSLATE_NOOP(
        "errors",
        "No keyring (password store) is available on this computer to keep the API token ({problem}). Set the "
        "environment variable SEALDESK_CITY_TOKEN instead.",
    )


class CityUnreachable(_NestedMessage, NetworkError):
    message = QT_TRANSLATE_NOOP("errors", "The city e-seal system {server} could not be reached: {problem}.")


class CityTlsFailed(_NestedMessage, NetworkError):
    message = QT_TRANSLATE_NOOP(
        "errors",
        "The secure connection to the city system {server} failed: {problem}. Check the CA bundle setting "
        "(“sealdesk city ca FILE”, or the system's trusted certificates).",
    )


class CityTokenRefused(NetworkError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The city system refused the API token. Set the right token with “sealdesk city token”."
    )


class CityAnswerUnreadable(ServerAnswerInvalid):
    message = QT_TRANSLATE_NOOP("errors", "The city system sent an answer SealDesk cannot read.")


class CityServerFailed(NetworkError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The city system {server} kept failing (HTTP {status}, {attempts} attempts); try again later."
    )


class CityRequestRefused(_NestedMessage, NetworkError):
    message = QT_TRANSLATE_NOOP("errors", "The city system refused the request: {reason}")


class SyncBusy(NetworkError):
    message = QT_TRANSLATE_NOOP(
        "errors", "Another sync with the city system is running; try again when it has finished."
    )


class SealBlockedByCity(SealError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The city e-seal system lists the seal {seal} as {status}; stamping with it is refused.{reason}"
    )


class SealStatusUnchecked(PolicyRefused):
    message = QT_TRANSLATE_NOOP(
        "errors",
        "The status of the seal {seal} could not be checked with the city system, and the settings refuse "
        "stamping without it. {problem}",
    )

    def __init__(self, seal: str, inner: SealDeskError) -> None:
        self.inner = inner
        super().__init__(inner.detail, seal=seal)

    def user_message(self, translate: Translate = _identity) -> str:
        template = translate(CONTEXT, self.message)
        return template.format(seal=self.params.get("seal", ""), problem=self.inner.user_message(translate))


def error_code(err: SealDeskError) -> str:
    """A stable snake_case name of the error's kind for machine-readable output (PinIncorrect →
    "pin_incorrect"); a file-named error reports the kind of the problem underneath."""
    import re

    if isinstance(err, FileRejected):
        return error_code(err.inner)
    name = type(err).__name__
    if name == "SealDeskError":
        return "unexpected"
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


# --- what the operating system said ---------------------------------------------------------------
_OS_REASONS = {
    "ENOSPC": QT_TRANSLATE_NOOP("errors", "the disk is full"),
    "EDQUOT": QT_TRANSLATE_NOOP("errors", "the disk quota is exhausted"),
    "EROFS": QT_TRANSLATE_NOOP("errors", "the folder is on a read-only file system"),
    "EACCES": QT_TRANSLATE_NOOP("errors", "permission denied"),
    "EPERM": QT_TRANSLATE_NOOP("errors", "the operation is not permitted"),
    "ENOENT": QT_TRANSLATE_NOOP("errors", "the folder does not exist"),
    "ENOTDIR": QT_TRANSLATE_NOOP("errors", "a part of the path is not a folder"),
    "EISDIR": QT_TRANSLATE_NOOP("errors", "it is a folder"),
    "ENAMETOOLONG": QT_TRANSLATE_NOOP("errors", "the file name is too long"),
    "EIO": QT_TRANSLATE_NOOP("errors", "input/output error (is the disk or USB stick still connected?)"),
    "EMFILE": QT_TRANSLATE_NOOP("errors", "too many open files"),
}


def os_reason(exc: OSError) -> str:
    """The operating system's reason for `exc`: a marked message (translated when the error is shown, see
    `user_message`) where we know the errno, else the system's own strerror."""
    import errno
    import os

    name = errno.errorcode.get(exc.errno or 0, "")
    if name in _OS_REASONS:
        return _OS_REASONS[name]
    return exc.strerror or (os.strerror(exc.errno) if exc.errno else type(exc).__name__)


# --- SES_Signature export (sealdesk export-ses) ---
class SesExportNoStamp(DocumentError):
    """The document holds no intact signature made with a seal on this key: exporting would be a use of the
    seal that the usage log never recorded."""

    message = QT_TRANSLATE_NOOP(
        "errors",
        "“{name}” holds no intact signature made with a seal on this key. A SES_Signature is exported only "
        "for a document stamped with one of the key's seals: stamp it first.",
    )


class SesExportSealNotInDocument(SealError):
    message = QT_TRANSLATE_NOOP(
        "errors", "The seal “{seal}” did not stamp “{name}”. The key's seals that did: {seals}."
    )
