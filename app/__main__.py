"""`python -m app` and the `sealdesk-gui` script: start SealDesk.

Until the GUI lands this runs the CLI's first-run flow (demo key when no key is present, keys and seals).
"""

import sys


def main() -> int:
    from .cli import main as cli_main

    return cli_main(sys.argv[1:] or ["start"])


if __name__ == "__main__":
    sys.exit(main())
