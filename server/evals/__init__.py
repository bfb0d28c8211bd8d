"""`kefu eval`: measured understanding (sentiment, emotion, intents, slots) and scripted conversations."""
