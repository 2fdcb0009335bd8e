"""Entry of the bundled `sealdesk-gui` executable (PyInstaller): the same start as `python -m app`."""

import sys

from app.__main__ import main

sys.exit(main())
