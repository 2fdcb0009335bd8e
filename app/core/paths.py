"""Where SealDesk keeps user data: platformdirs' user data dir, overridden by `SEALDESK_HOME`.

Settings, the demo key's SoftHSM store and the usage log all live below this one folder, so a test,
a script or a portable install can move everything with one environment variable.
"""

import os
from pathlib import Path

APP_NAME = "SealDesk"
HOME_ENV = "SEALDESK_HOME"


def data_dir() -> Path:
    """The user data folder (created on first use)."""
    override = os.environ.get(HOME_ENV)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def resources_dir() -> Path:
    """The read-only resources shipped with the program (translations, icons, API spec)."""
    return Path(__file__).resolve().parent.parent.parent / "resources"


def drivers_dir() -> Path:
    """The PKCS#11 module catalog and driver templates shipped with the program."""
    return Path(__file__).resolve().parent.parent.parent / "drivers"
