"""Whisper's short encoder window (`voice.asr.whisper`): a window sized to the utterance with silence to spare, a
looping transcript caught, and with the bundled model the same words as the 30 s window in a fraction of its time."""

from __future__ import annotations

import time

import pytest

from voice.asr import WhisperASR, is_installed
from voice.asr.whisper import FULL_WINDOW_S, looped, window_s

MODEL_DIR = "var/models/whisper-base"


@pytest.mark.unit
def test_the_window_leaves_silence_after_the_speech_and_long_audio_keeps_30_s() -> None:
    assert [window_s(s) for s in (1.0, 2.9, 3.1, 7.5, 12.0, 19.0)] == [5, 5, 10, 10, 15, 30]
    assert window_s(2.0, "full") == FULL_WINDOW_S and window_s(40.0) == FULL_WINDOW_S


@pytest.mark.unit
def test_a_transcript_that_goes_round_again_is_caught_and_a_real_one_is_not() -> None:
    assert looped("Dogs are sitting by the door. Dogs are sitting by the doors.", "en")
    assert looped("国家改革企业国家改革起义国家改革启", "zh")
    assert looped("Where is my order KF 10000000000000000", "en")  # one digit on and on
    assert looped("0 0 0 0 0 0 0 0 0 0", "en")
    assert not looped("0 0 0 0 1 for me", "en")  # an id's last stretch said digit by digit
    for text, language in [
        ("Hi, where is my order KF 100000002?", "en"),
        ("Can you check order KF10000001 for me?", "en"),
        ("你好,我的订单KF100 1190到哪了?", "zh"),
        ("我上周买的耳机今天还没发货", "zh"),
    ]:
        assert not looped(text, language), text


@pytest.mark.integration
@pytest.mark.skipif(not is_installed(MODEL_DIR), reason="needs the Whisper model (make install)")
def test_the_short_window_hears_the_callers_words_in_a_fraction_of_the_time() -> None:
    from tests.voice.speech import caller_audio, phone, recovered

    short, full = WhisperASR(MODEL_DIR), WhisperASR(MODEL_DIR, window="full")
    short.warm_up()
    full.warm_up()
    for text, language in [
        ("Where is my parcel?", "en"),
        ("Can you cancel my order please", "en"),
        ("帮我把地址改成上海", "zh"),
    ]:
        audio = phone(caller_audio(text, language))
        started = time.perf_counter()
        heard = short.transcribe(audio, language)
        short_s = time.perf_counter() - started
        started = time.perf_counter()
        reference = full.transcribe(audio, language)
        full_s = time.perf_counter() - started
        assert recovered(reference.text, heard.text, language) >= 0.9, (heard.text, reference.text)
        if language == "en":  # (Whisper base mishears the Mandarin voice's 地址/上海 in either window)
            assert recovered(text, heard.text, language) >= 0.8, heard.text
        assert short_s < full_s, (short_s, full_s)
    # no language given: detected from the same encoder pass
    assert short.transcribe(phone(caller_audio("我要退这件外套", "zh")), None).language == "zh"
    assert short.transcribe(phone(caller_audio("Where is my parcel?", "en")), None).language == "en"
