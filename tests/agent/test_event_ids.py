"""Event ids: random version-4 UUIDs in hex, read from blocks of random bytes per thread, fresh in a forked child."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from agent.events import UserUttered, _new_id

pytestmark = pytest.mark.unit


def test_ids_are_distinct_version_4_uuids_across_threads_and_blocks() -> None:
    ids = [_new_id() for _ in range(600)]  # more than one block of this thread
    others: list[str] = []
    workers = [threading.Thread(target=lambda: others.extend(_new_id() for _ in range(300))) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    every = ids + others
    assert len(set(every)) == len(every) == 1500
    for i in every:
        u = uuid.UUID(hex=i)
        assert u.hex == i and u.version == 4 and u.variant == uuid.RFC_4122
    assert UserUttered(conversation_id="c", text="hi").id != UserUttered(conversation_id="c", text="hi").id


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_reuse_the_ids_left_in_its_parents_block() -> None:
    _new_id()  # this thread has a block with ids left in it
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.close(read)
        os.write(write, "".join(_new_id() for _ in range(8)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    theirs = {child[i : i + 32] for i in range(0, len(child), 32)}
    assert len(theirs) == 8
    assert not theirs & {_new_id() for _ in range(8)}
