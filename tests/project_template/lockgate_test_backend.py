"""A minimal in-tree PEP 517 / PEP 660 build backend for test projects: no network needed.

The project's name and version are read from ``project.txt`` (``name version``).
"""

import base64
import hashlib
import os
import zipfile


def _identity():
    with open("project.txt", encoding="utf-8") as handle:
        name, version = handle.read().split()
    return name, version


def _digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _write_wheel(directory, files):
    name, version = _identity()
    escaped = name.replace("-", "_")
    dist_info = f"{escaped}-{version}.dist-info"
    files = dict(files)
    files[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    files[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: lockgate-test-backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    filename = f"{escaped}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return filename


def _module_files():
    name, _ = _identity()
    module = name.replace("-", "_")
    with open(os.path.join(module, "__init__.py"), "rb") as handle:
        return {f"{module}/__init__.py": handle.read()}


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, _module_files())


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    name, _ = _identity()
    pth = (os.path.abspath(".") + "\n").encode()
    return _write_wheel(wheel_directory, {f"__editable__.{name.replace('-', '_')}.pth": pth})
