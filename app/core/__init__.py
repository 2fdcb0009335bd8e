"""SealDesk core: everything that is not GUI. No Qt imports anywhere in this package."""
