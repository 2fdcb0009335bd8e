"""Constants shared by tests (importable as a plain module: pytest puts tests/ on sys.path)."""

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
INTEROP_DIR = DATA_DIR / "interop"

USER_PIN = "123456"
SO_PIN = "12345678"
