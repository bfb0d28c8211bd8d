"""What Whisper writes in traditional characters reaches the agent in simplified ones (the store, the rules and
the search are simplified): 簽收 is 签收; ids, English and digits pass through unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from voice.asr.whisper import WhisperASR, simplified

pytestmark = pytest.mark.unit


def test_traditional_words_become_simplified_and_the_rest_is_kept() -> None:
    assert simplified("您的訂單已簽收，快件已到達上海轉運中心") == "您的订单已签收，快件已到达上海转运中心"
    assert simplified("我的订单KF10000002到哪了？") == "我的订单KF10000002到哪了？"
    assert simplified("Where is my order KF10000002?") == "Where is my order KF10000002?"
    assert simplified("") == ""


def test_a_zh_transcript_comes_out_simplified_and_an_en_one_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    asr = WhisperASR("var/models/whisper-base")
    said = {"zh": "運單號是SF1234567890，已簽收", "en": "the 運 character stays in English text"}
    monkeypatch.setattr(asr, "_short", lambda audio, language, window, prompt=None, **_: (said[language], language))
    audio = np.zeros(16000 * 2, dtype=np.float32)
    assert asr.transcribe(audio, "zh").text == "运单号是SF1234567890，已签收"
    assert asr.transcribe(audio, "en").text == said["en"]
