"""Entry of the bundled `sealdesk` executable (PyInstaller): the same console script as the wheel's."""

from app.cli import run

run()
