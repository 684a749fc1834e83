"""CPU-only assurance: a lock or an environment that claims CPU-only must hold no CUDA.

CUDA distributions are the ``nvidia-*`` and ``cuda-*`` libraries, ``triton`` and
``pytorch-triton*``. A PyTorch-family distribution (torch, torchvision, torchaudio) must be a
CPU build on Linux: a ``+cpu`` local version, since the plain PyPI wheels for Linux are the
CUDA builds (elsewhere the plain wheels are CPU-only).
"""

from __future__ import annotations

CUDA_MESSAGE = "CUDA distribution in a CPU-only environment"
TORCH_FAMILY = frozenset({"torch", "torchvision", "torchaudio"})


#: ``nvidia-*`` distributions that carry no CUDA: pure-Python NVML bindings and pip's index helper
#: (their PyPI wheels are ``py3-none-any``).
PURE_PYTHON = frozenset({"nvidia-ml-py", "nvidia-ml-py3", "nvidia-pyindex"})


def is_cuda_distribution(name: str) -> bool:
    """True for a PEP 503 name of a CUDA distribution (``nvidia-*``, ``cuda-*``, ``triton``,
    ``pytorch-triton*``), leaving out the pure-Python ones (:data:`PURE_PYTHON`)."""
    if name in PURE_PYTHON:
        return False
    return name.startswith(("nvidia-", "cuda-", "pytorch-triton")) or name == "triton"


def cpu_only_problem(name: str, version: str | None, on_linux: bool) -> str | None:
    """Why a distribution breaks CPU-only, or None.

    Args:
        name: PEP 503 name.
        version: its version, or None when unknown.
        on_linux: the distribution is (or may be) installed on Linux.
    """
    if is_cuda_distribution(name):
        return CUDA_MESSAGE
    if name not in TORCH_FAMILY or not version:
        return None
    local = version.partition("+")[2]
    if local:
        return None if "cpu" in local else f"the {local} build, not a CPU one"
    if on_linux:
        return f"without +cpu, the CUDA build on Linux; the CPU build is {version}+cpu (--torch-backend cpu)"
    return None


def via_annotations(text: str) -> dict[str, list[str]]:
    """The ``# via`` annotations of a pip-compile / uv requirements.txt: name -> what requires it.

    Both forms are read: ``# via torch`` and a ``# via`` line followed by ``#   name`` lines.
    """
    from .model import normalize_name

    found: dict[str, list[str]] = {}
    current, listing = None, False
    for line in text.splitlines():
        stripped = line.strip()
        if line[:1].isalnum():
            current, listing = normalize_name(_requirement_name(line)), False
            found.setdefault(current, [])
        elif current is None or not stripped.startswith("#"):
            continue
        elif stripped == "# via":
            listing = True
        elif stripped.startswith("# via "):
            found[current].append(stripped[len("# via ") :])
        elif listing and stripped.startswith("#   "):
            found[current].append(stripped[1:].strip())
        else:
            listing = False
    return found


def _requirement_name(line: str) -> str:
    end = 0
    while end < len(line) and (line[end].isalnum() or line[end] in "._-"):
        end += 1
    return line[:end]


def linux_environment(environment: dict[str, str]) -> dict[str, str]:
    """A PEP 508 marker environment like ``environment`` but on Linux x86_64, for asking of a
    universal lock "does this entry install on Linux?"."""
    linux = dict(environment)
    linux.update(sys_platform="linux", platform_system="Linux", os_name="posix", platform_machine="x86_64")
    return linux
