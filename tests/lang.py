"""Expected user-facing texts in the suite's language (SEALDESK_LANG: zh_CN or en; `make test` runs both).

Tests compare against the catalogue instead of English literals, so one assertion holds in every language.
"""

from __future__ import annotations

from app.i18n import translate


def cli(text: str, **params: object) -> str:
    """A CLI message (context "cli") translated, with its placeholders filled in."""
    translated = translate("cli", text)
    return translated.format(**params) if params else translated


def status(text: str) -> str:
    """A status word of the application layer (context "app": VALID, INVALID, …) translated."""
    return translate("app", text)


def cli_line(label: str, value: str) -> str:
    """One "label: value" line of the CLI's reports, both parts translated (the value as a "cli" message)."""
    return cli("{label}: {value}", label=cli(label), value=cli(value))


def error(text: str, **params: object) -> str:
    """A core error message (context "errors") translated, with its placeholders filled in."""
    translated = translate("errors", text)
    return translated.format(**params) if params else translated
