"""What counts as installed on the installations users have: distro Pythons (a ``.dist-info``
and an ``.egg-info`` of one project in one ``dist-packages``) and ``--system-site-packages`` venvs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import lockgate, run

from lockgate.env.inventory import scan_inventory


def _distro_pair(site: Path, dist_info: str, egg_info: str, egg_version: str) -> None:
    (site / dist_info).mkdir(parents=True)
    egg = site / egg_info
    egg.mkdir()
    (egg / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {dist_info.split('-')[0]}\nVersion: {egg_version}\n\n")


def test_a_dist_info_beside_an_egg_info_of_one_version_is_one_distribution(tmp_path):
    site = tmp_path / "dist-packages"
    _distro_pair(site, "cryptography-38.0.4.dist-info", "cryptography.egg-info", "38.0.4")  # as Debian ships it
    _distro_pair(site, "pyyaml-6.0.dist-info", "PyYAML.egg-info", "6.0")  # the egg-info sorts first
    inventory = scan_inventory([str(site)])
    assert inventory.duplicates == []
    assert {name: d.version for name, d in inventory.distributions.items()} == {"cryptography": "38.0.4", "pyyaml": "6.0"}
    assert all(d.metadata_dir.endswith(".dist-info") for d in inventory.distributions.values())


def test_a_pair_that_disagrees_or_two_dist_infos_are_duplicates_unless_shadowed(tmp_path):
    site, later = tmp_path / "site", tmp_path / "later"
    _distro_pair(site, "cryptography-38.0.4.dist-info", "cryptography.egg-info", "37.0.0")
    (later / "pkg-1.0.dist-info").mkdir(parents=True)
    (later / "pkg-1.1.dist-info").mkdir()
    (site / "pkg-2.0.dist-info").mkdir()  # imported first: the pair in `later` never imports
    inventory = scan_inventory([str(site), str(later)])
    assert [(a.name, a.version, b.version) for a, b in inventory.duplicates] == [("cryptography", "38.0.4", "37.0.0")]
    assert inventory.distributions["pkg"].version == "2.0"


def test_verify_passes_a_distro_layout_against_its_own_freeze(tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    site = next((venv / "lib").glob("python3*/site-packages"))
    _distro_pair(site, "cryptography-38.0.4.dist-info", "cryptography.egg-info", "38.0.4")
    lock = tmp_path / "freeze.txt"
    assert lockgate("freeze", "--python", str(venv), "-o", str(lock)).returncode == 0
    assert "cryptography==38.0.4" in lock.read_text()
    result = lockgate("verify", "-l", str(lock), "--python", str(venv), "--strict")
    assert result.returncode == 0, result.stdout + result.stderr


def _base_distribution() -> tuple[str, str]:
    """A distribution installed in this interpreter's base (pip, as venv and ensurepip install it)."""
    base_site = subprocess.run(
        [sys._base_executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],  # type: ignore[attr-defined]
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    for entry in sorted(os.listdir(base_site)):
        if entry.startswith("pip-") and entry.endswith(".dist-info"):
            return "pip", entry[len("pip-") : -len(".dist-info")]
    pytest.skip(f"the base interpreter {sys._base_executable} has no pip in {base_site} to see from a venv")  # type: ignore[attr-defined]


def test_a_system_site_packages_venv_counts_its_base_distributions(tmp_path):
    name, version = _base_distribution()
    venv = tmp_path / "venv"
    run([sys._base_executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)])  # type: ignore[attr-defined]
    lock = tmp_path / "base.txt"
    lock.write_text(f"{name}=={version}\n")
    result = lockgate("verify", "-l", str(lock), "--python", str(venv))
    assert result.returncode == 0, result.stdout + result.stderr
    lock.write_text(f"{name}==0.0.1\n")
    result = lockgate("verify", "-l", str(lock), "--python", str(venv))
    assert result.returncode == 1
    assert f"mismatched  {name}" in result.stdout and "(from the base interpreter)" in result.stdout
    other = tmp_path / "other.txt"
    other.write_text("not-installed-here==1.0\n")
    result = lockgate("verify", "-l", str(other), "--python", str(venv), "--strict", "--allow-missing")
    assert f"extra    {name}" in result.stdout and "installed, not in the lock; from the base interpreter" in result.stdout
    fix = result.stdout.split("to fix:")[1]
    assert "pip uninstall" not in fix  # nothing in the venv removes a base distribution: the fix says what does
    (line,) = [line for line in fix.splitlines() if "seen from the base interpreter" in line]
    assert name in line.split(":")[0].replace(",", " ").split() and "make the venv without --system-site-packages" in line


def _distro_python() -> tuple[Path, str]:
    """``/usr/bin/python3`` and a folder of it where a project has a .dist-info and an .egg-info."""
    python = Path("/usr/bin/python3")
    if not python.exists():
        pytest.skip("no /usr/bin/python3 on this machine")
    probe = "import site; print('\\n'.join(site.getsitepackages()))"
    folders = subprocess.run([str(python), "-c", probe], capture_output=True, text=True).stdout.split()
    for folder in map(Path, folders):
        entries = set(os.listdir(folder)) if folder.is_dir() else set()
        for entry in entries:
            if entry.endswith(".dist-info") and f"{entry.split('-')[0]}.egg-info" in entries:
                return python, str(folder)
    pytest.skip("/usr/bin/python3 is not a distro Python with a .dist-info beside an .egg-info (Debian's python3-cryptography)")


def test_the_machines_distro_python_verifies_against_its_own_freeze(tmp_path):
    python, _ = _distro_python()
    lock = tmp_path / "f.txt"
    assert lockgate("freeze", "--python", str(python), "-o", str(lock)).returncode == 0
    result = lockgate("verify", "-l", str(lock), "--python", str(python))
    assert result.returncode == 0, result.stdout + result.stderr
    venv = tmp_path / "venv"
    run([str(python), "-m", "venv", "--without-pip", "--system-site-packages", str(venv)])
    result = lockgate("verify", "-l", str(lock), "--python", str(venv), "--allow-missing")
    assert result.returncode == 0, result.stdout + result.stderr
