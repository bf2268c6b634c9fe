"""Files shipped inside the package, found through importlib.resources.

The hub's configuration, the Alembic migrations, Flower's configuration and the
starter notebook are package data, so an installed wheel runs without the repository.
In the repository, `ainative/hub/jupyterhub_config.py` and `ainative/notebook/tutor.ipynb`
are symlinks to the top-level files; building a wheel copies their contents.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_path(package: str, *parts: str) -> Path:
    """A file or folder shipped in `package`, as a path other programs can open."""
    resource = files(package).joinpath(*parts)
    if not isinstance(resource, Path):
        raise RuntimeError(f"{package} is not installed as files (zipped?); install it unpacked")
    if not resource.exists():
        raise FileNotFoundError(f"{'/'.join(parts)} is missing from the installed {package}")
    return resource


def hub_config() -> Path:
    """jupyterhub_config.py, for `jupyterhub -f`."""
    return package_path("ainative.hub", "jupyterhub_config.py")


def flower_config() -> Path:
    """Flower's configuration file, for `celery flower --conf=`."""
    return package_path("ainative.observability", "flowerconfig.py")


def migrations_dir() -> Path:
    """The Alembic script directory."""
    return package_path("ainative.db", "migrations")


def starter_notebook() -> Path:
    """tutor.ipynb, copied into each new student's home."""
    return package_path("ainative.notebook", "tutor.ipynb")
