"""Translation markers for the core.

The core must not import Qt, yet its user-facing strings must reach Qt Linguist. `QT_TRANSLATE_NOOP`
is recognised by `pyside6-lupdate`; at run time it returns the English source text unchanged and the
GUI/CLI translate it with `app.i18n.translate(context, text)`.
"""


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - name lupdate looks for
    """Mark `text` for translation in `context`; return it unchanged."""
    del context
    return text
