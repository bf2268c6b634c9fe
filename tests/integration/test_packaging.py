"""A non-editable install runs without the repository.

How this proves it: the tracked files are copied to a temporary folder (symlinks kept
as symlinks, as git stores them) and a wheel is built there with the project's own
setuptools (`pip wheel --no-deps --no-build-isolation`, offline). The wheel is
installed with `pip install --no-deps --target DIR`. A check script then runs in the
project's interpreter with `-I -S`: no site processing, so neither the editable
install's finder nor any path of the repository is on sys.path; the script puts DIR
first and appends the venv's site-packages (for the dependencies only, .pth files not
processed). Its working directory is an empty folder outside the repository. The
script asserts that ainative is imported from DIR, and that the hub's configuration,
Flower's, the Alembic migrations and the starter notebook are found in DIR through
importlib.resources; it loads jupyterhub_config.py as JupyterHub does and checks the
Alembic head. The editable install (make install) is checked to resolve the same
resources to the single copies at the repository's top level.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHECK = r"""
import json, sys
target, site_packages = sys.argv[1], sys.argv[2]
sys.path.insert(0, target)
sys.path.append(site_packages)

import ainative
from ainative.runtime import processes
from ainative import resources
from ainative.cli import build_parser
from ainative.config import Settings
from ainative.db.migrate import alembic_config
from alembic.script import ScriptDirectory
from traitlets.config.loader import PyFileConfigLoader

hub_config = resources.hub_config()
config = PyFileConfigLoader(hub_config.name, str(hub_config.parent)).load_config()
try:
    build_parser().parse_args(["up", "--help"])
except SystemExit as exit:
    up_help = exit.code
print(json.dumps({
    "ainative": ainative.__file__,
    "hub_config": str(hub_config),
    "flower_config": str(resources.flower_config()),
    "migrations": str(resources.migrations_dir()),
    "notebook": str(resources.starter_notebook()),
    "heads": ScriptDirectory.from_config(alembic_config()).get_heads(),
    "hub_command": processes.hub_command(),
    "flower_command": processes.flower_command(),
    "authenticator": config.JupyterHub.authenticator_class,
    "starter_hook": config.Spawner.pre_spawn_hook.__name__,
    "data_dir": str(Settings(_env_file=None).data_dir),
    "up_help": up_help,
    "sys_path": sys.path,
    "module_files": [getattr(m, "__file__", None) or "" for m in list(sys.modules.values())],
}))
"""


def tracked_copy(dest: Path) -> Path:
    """The repository's tracked and new files in `dest`, symlinks kept."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        src, out = ROOT / name, dest / name
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the worktree
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            out.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, out)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("packaging")
    source = tracked_copy(base / "source")
    wheels, target, cwd = base / "wheels", base / "target", base / "elsewhere"
    cwd.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
    )
    (wheel,) = wheels.glob("ainative_tutor-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        check=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATA_DIR", "JUPYTERHUB_CRYPT_KEY"}}
    site_packages = sysconfig.get_paths()["purelib"]
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CHECK, str(target), site_packages],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    report["target"], report["cwd"], report["stdout"] = str(target), str(cwd), result.stdout
    return report


def test_the_package_is_imported_from_the_install_not_the_repository(installed) -> None:
    target = installed["target"]
    assert str(installed["ainative"]).startswith(f"{target}/ainative/")
    assert not [p for p in installed["sys_path"] if in_repository(str(p))]
    assert not [f for f in installed["module_files"] if in_repository(f)]


def in_repository(path: str) -> bool:
    """Inside the checkout but not its virtualenv (which holds only the dependencies)."""
    return path.startswith(f"{ROOT}/") and not path.startswith(f"{sys.prefix}/")


def test_package_data_is_found_in_the_install(installed) -> None:
    target = f"{installed['target']}/ainative/"
    for key in ("hub_config", "flower_config", "migrations", "notebook"):
        path = Path(str(installed[key]))
        assert str(path).startswith(target), key
        assert path.exists() and not path.is_symlink(), key
    assert (
        Path(str(installed["hub_config"])).read_text()
        == (ROOT / "jupyterhub_config.py").read_text()
    )
    assert (
        Path(str(installed["notebook"])).read_bytes()
        == (ROOT / "notebooks" / "tutor.ipynb").read_bytes()
    )
    from alembic.script import ScriptDirectory

    from ainative.db.migrate import alembic_config

    # The install carries every migration of the source tree (its head is the newest one).
    assert installed["heads"] == ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(installed["heads"]) == 1
    assert Path(f"{target}py.typed").is_file()  # mypy users see the package's types


def test_launcher_commands_and_hub_config_use_the_install(installed) -> None:
    assert installed["hub_command"][-1] == installed["hub_config"]
    assert installed["flower_command"][-1] == f"--conf={installed['flower_config']}"
    assert installed["authenticator"] == "ainative"
    assert installed["starter_hook"] == "copy_starter_notebook"
    assert installed["up_help"] == 0 and "--no-hub" in str(installed["stdout"])


def test_data_dir_defaults_to_the_working_directory_not_the_install(installed) -> None:
    assert installed["data_dir"] == f"{installed['cwd']}/.data"
    assert (Path(str(installed["cwd"])) / ".data" / "hub").is_dir()  # the hub config used it


def test_editable_install_finds_the_single_copies_at_the_top_level() -> None:
    from ainative import resources

    assert resources.hub_config().resolve() == ROOT / "jupyterhub_config.py"
    assert resources.starter_notebook().resolve() == ROOT / "notebooks" / "tutor.ipynb"
    assert (resources.migrations_dir() / "versions" / "0001_initial.py").is_file()
