"""Packaging beyond what pyproject.toml can say: resources/ and drivers/ into the wheel.

They sit at the repository root (docs/decisions.md, "Resources beside the package"); a wheel has no
repository root, so they are mapped into the package as `app/_data/resources` and `app/_data/drivers`,
where app/core/paths.py looks first. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

SHIPPED = {"app._data.resources": "resources", "app._data.drivers": "drivers"}

setup(
    packages=find_packages(include=["app", "app.*"]) + ["app._data.resources", "app._data.resources.i18n",
                                                         "app._data.resources.icons", "app._data.drivers"],
    package_dir=SHIPPED,
    package_data={
        "app._data.resources.i18n": ["*.ts", "*.qm"],
        "app._data.resources.icons": ["*.svg", "*.png", "*.ico"],
        "app._data.drivers": ["*.toml", "*.template"],
    },
)
