"""`python -m app [file]` and the `sealdesk-gui [file]` script: start the SealDesk window.

Without a display it says so and runs the CLI's first-run flow (app/gui/app.py).
"""

import sys


def main() -> int:
    from .gui.app import main as gui_main

    return gui_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
