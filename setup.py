"""Packaging beyond what pyproject.toml can say: resources/ and drivers/ into the wheel.

They sit at the repository root (docs/decisions.md, "Resources beside the package"); a wheel has no
repository root, so they are mapped into the package as `app/_data/resources` and `app/_data/drivers`,
where app/core/paths.py looks first. Every file below them goes in (folders become package-data packages),
so a resource added later needs no change here. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
SHIPPED = {"app._data.resources": "resources", "app._data.drivers": "drivers"}
SKIP = {"__pycache__"}

packages = find_packages(include=["app", "app.*", "citysim", "citysim.*"])
package_dir = dict(SHIPPED)
package_data = {}
for package, folder in SHIPPED.items():
    for path in sorted([ROOT / folder, *(p for p in (ROOT / folder).rglob("*") if p.is_dir())]):
        if SKIP & set(path.parts):
            continue
        name = ".".join([package, *path.relative_to(ROOT / folder).parts])
        packages.append(name)
        package_data[name] = [p.name for p in path.iterdir() if p.is_file() and not p.name.endswith(".pyc")]

setup(packages=packages, package_dir=package_dir, package_data=package_data)
