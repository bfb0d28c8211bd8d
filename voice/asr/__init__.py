"""Speech recognition: the bundled faster-whisper model (`WhisperASR`, assembled by `ensure_whisper_model`) and an
OpenAI-compatible recognition server for production (`RemoteASR`)."""

from voice.asr.model_files import ModelInstallError, ensure_whisper_model, is_installed
from voice.asr.remote import RemoteASR
from voice.asr.whisper import WhisperASR

__all__ = ["ModelInstallError", "RemoteASR", "WhisperASR", "ensure_whisper_model", "is_installed"]
