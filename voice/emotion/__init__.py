"""Speech emotion: what the caller's voice says besides the words (angry, happy, neutral, sad).

`TrainedSpeechEmotion` implements `voice.protocols.SpeechEmotion` with the classifier `kefu train ser` fits
(`agent.training.ser`); `features` and `telephone` are the audio side it shares with training, so a model hears
calls exactly as it heard its corpora; `cues.hear` is the call loop's hook. The agent fuses the reading with the
words' affect (`agent.affect.fusion`).
"""

from voice.emotion.cues import hear
from voice.emotion.features import FEATURE_NAMES, FEATURE_VERSION, SpeechFeatures, TooShort
from voice.emotion.model import TrainedSpeechEmotion
from voice.emotion.telephone import PHONE_RATE, telephone_band

__all__ = ["FEATURE_NAMES", "FEATURE_VERSION", "PHONE_RATE", "SpeechFeatures", "TooShort", "TrainedSpeechEmotion",
           "hear", "telephone_band"]
