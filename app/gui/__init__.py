"""The PySide6 desktop GUI. It only drives app.core.application; nothing here signs or parses by itself."""
