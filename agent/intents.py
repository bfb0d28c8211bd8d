"""Intent names the core acts on by itself, in one place.

The NLU's taxonomy (`agent.nlu.taxonomy`) folds fine labels into agent-level intents; tools declare the
intents they serve (`Tool.intents`). What is left here are the conversational acts the policy handles
without a tool, grouped the way more than one module needs them.
"""

from __future__ import annotations

# Social acts: a greeting, thanks, goodbye, yes, no. They carry no task of their own.
SOCIAL_INTENTS: frozenset[str] = frozenset({"greeting", "thanks", "goodbye", "affirm", "deny"})

# Turns about a person rather than a task: asking for one, or complaining.
PERSON_INTENTS: frozenset[str] = frozenset({"human", "complaint"})

# No task at all: a social act, or a message the NLU could not place. Dropped from the list of a
# message's other intents when a task intent is present.
NO_TASK_INTENTS: frozenset[str] = SOCIAL_INTENTS | {"other"}
