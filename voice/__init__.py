"""Voice channel: codecs, resampling, VAD, ASR, TTS, speech emotion and the call loop with barge-in.

Hands text turns, emotion and interruptions to the agent; imports only `agent` types. (Built by
the voice issue; nothing here yet.)
"""
