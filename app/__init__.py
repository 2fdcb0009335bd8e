"""SealDesk: desktop client for Chinese electronic seals on PKCS#11 USB keys."""

__version__ = "0.1.0"
