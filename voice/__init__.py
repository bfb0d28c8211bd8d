"""Voice channel: codecs, resampling, VAD and end of turn, ASR, TTS and the call loop with barge-in.

- `protocols`: the ports (VAD, ASR, TTS, SpeechEmotion) and their value types (`Transcript`, `Speech`).
- `frames`: what a call reads and writes, whatever the wire; `serializers/` own the wires (Twilio Media Streams,
  16 kHz PCM for browsers).
- `codecs` (G.711 μ-law), `resample` (8 kHz ↔ 16 kHz ↔ a voice's rate), `vad` (`WebRtcVad`, `TurnDetector`),
  `text` (sentences, speakable replies, written transcripts).
- `asr/` (bundled faster-whisper, a recognition server), `tts/` (Piper, espeak-ng, a synthesis server).
- `call`: `Call`, one call's loop: listen → `TurnInput` to the agent → speak the reply with marks; barge-in,
  DTMF 0 for a person, hang-up.

Hands text turns (with speech cues) and interruptions to the agent; imports only `agent` types. Nothing heavy
loads at import: models load on first use or `warm_up`.
"""

from voice.call import Call, CallConfig, Phrases, TurnStats
from voice.protocols import ASR, TTS, VAD, Speech, SpeechEmotion, Transcript

__all__ = ["ASR", "TTS", "VAD", "Call", "CallConfig", "Phrases", "Speech", "SpeechEmotion", "Transcript", "TurnStats"]
