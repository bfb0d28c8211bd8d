"""The recogniser's initial prompt: by default a store-hotline one for zh (in simplified characters) and none for en,
configurable per language (`KEFU_VOICE_ASR_PROMPT_ZH` / `_EN`, "" for none), given to every decode whichever the
window; a prompt Whisper reads back (over noise, or a word it cannot make out) is decoded again after the plain one
and never taken for the caller's words, while a caller naming one of its words is heard as said."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from server.infra.voice import build_asr
from server.settings import Settings
from voice.asr import WhisperASR, is_installed
from voice.asr.whisper import PLAIN_PROMPTS, PROMPTS, ZH_PROMPT, echoes, simplified

EN_PROMPT = "A customer calls an online store's hotline about an order, a return, a refund or a coupon."

MODEL_DIR = "var/models/whisper-base"


@pytest.mark.unit
def test_the_default_zh_prompt_speaks_of_a_store_hotline_in_simplified_characters() -> None:
    assert PROMPTS == {"zh": ZH_PROMPT, "en": ""}  # (en: see EN_PROMPT's comment)
    assert simplified(ZH_PROMPT) == ZH_PROMPT
    for word in ("订单", "快递", "签收", "退货", "退款", "发票", "优惠券"):
        assert word in ZH_PROMPT, word


@pytest.mark.unit
def test_the_prompts_are_configured_per_language_and_empty_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_VOICE_ASR_PROMPT_ZH", "以下是一家花店的客服电话。")
    monkeypatch.setenv("KEFU_VOICE__ASR_PROMPT_EN", "")
    monkeypatch.setenv("KEFU_VOICE_ASR_BEAM_SIZE", "3")
    asr = build_asr(Settings().voice)
    assert isinstance(asr, WhisperASR)
    assert asr.prompts == {"zh": "以下是一家花店的客服电话。", "en": ""}
    assert asr.beam_size == 3
    monkeypatch.delenv("KEFU_VOICE_ASR_PROMPT_ZH")
    monkeypatch.delenv("KEFU_VOICE__ASR_PROMPT_EN")
    assert build_asr(Settings().voice).prompts == PROMPTS  # type: ignore[attr-defined]


@pytest.mark.unit
def test_the_prompt_read_back_is_decoded_again_after_a_plain_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert echoes("以下是普通话的句子。", ZH_PROMPT)
    assert echoes("来自网店的客服热线, 运单号、发票和优惠券。", ZH_PROMPT)  # (heard for "按0转人工。")
    assert echoes("A customer calls an online store's hotline.", EN_PROMPT)
    for text, prompt in [("退货", ZH_PROMPT), ("我要退货退款，还有发票", ZH_PROMPT), ("快递到哪了", ZH_PROMPT),
                         ("a refund", EN_PROMPT), ("I want a refund for my order", EN_PROMPT), ("", ZH_PROMPT)]:
        assert not echoes(text, prompt), text

    asr = WhisperASR(MODEL_DIR, prompts={"en": EN_PROMPT})
    heard = {  # after the hotline prompt, after the plain one
        ("zh", None): "来自网店的客服热线, 运单号、发票和优惠券。", ("zh", PLAIN_PROMPTS["zh"]): "按领转人工。",
        ("en", None): "a return, a refund",
    }
    monkeypatch.setattr(
        asr, "_short", lambda audio, language, window, prompt=None, **_: (heard[language, prompt], language)
    )
    audio = np.zeros(16000 * 2, dtype=np.float32)
    assert asr.transcribe(audio, "zh").text == "按领转人工。"
    assert asr.transcribe(audio, "en").text == "a return, a refund"
    heard["zh", PLAIN_PROMPTS["zh"]] = "以下是普通话的句子。"  # read back again: nothing was said
    assert asr.transcribe(audio, "zh").text == ""


class _Spy:
    """CTranslate2's Whisper with each decode's prompt recorded (both windows decode through `generate`)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.prompts: list[list[int]] = []

    def generate(self, encoded: Any, prompts: list[list[int]], **kwargs: Any) -> Any:
        self.prompts.append(list(prompts[0]))
        return self._model.generate(encoded, prompts, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


@pytest.mark.integration
@pytest.mark.skipif(not is_installed(MODEL_DIR), reason="needs the Whisper model (make install)")
@pytest.mark.parametrize("window", ["short", "full"])
def test_every_decode_reads_the_configured_prompt_first(window: str) -> None:
    from tests.voice.speech import caller_audio, phone

    audio = phone(caller_audio("我的快递到哪了", "zh"))
    for prompts in ({}, {"zh": "以下是一家花店的客服电话。"}, {"zh": ""}):
        asr = WhisperASR(MODEL_DIR, window=window, prompts=prompts)  # type: ignore[arg-type]
        model = asr._load()
        spy = _Spy(model.model)
        model.model = spy
        asr.transcribe(audio, "zh")
        tokenizer = asr._tokenizers["zh"]
        assert spy.prompts, "no decode"
        for sent in spy.prompts:
            before = sent[: sent.index(tokenizer.sot)]
            expected = asr.prompts["zh"]
            if expected:
                assert before[0] == tokenizer.sot_prev
                assert tokenizer.decode(before[1:]).strip() == expected
            else:
                assert before == []


@pytest.mark.unit
def test_a_recognition_server_gets_the_configured_prompt_of_the_language() -> None:
    import httpx

    from voice.asr import RemoteASR

    sent: list[bytes] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(request.read())
        return httpx.Response(200, json={"text": "我的快递到哪了", "language": "zh"})

    client = httpx.Client(transport=httpx.MockTransport(server))
    audio = np.zeros(16000, dtype=np.float32)
    url = "http://asr.test/v1"
    RemoteASR(url, "whisper-1", client=client).transcribe(audio, "zh")
    RemoteASR(url, "whisper-1", client=client, prompts={"zh": "花店的客服电话。"}).transcribe(audio, "zh")
    RemoteASR(url, "whisper-1", client=client).transcribe(audio, "en")
    assert ZH_PROMPT.encode() in sent[0]
    assert "花店的客服电话。".encode() in sent[1] and ZH_PROMPT.encode() not in sent[1]
    assert b'name="prompt"' not in sent[2]  # en: none by default
