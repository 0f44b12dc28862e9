"""The outcomes the cohort workers search, relayed from each worker to the others.

Each worker process's fast engine remembers the outcome of each signature it searched
(``FastEngine``), but not what the other workers searched: two workers searched 18,234
outcomes for the 13,964 distinct profiles of the benchmark's cohort (15,300 with the
relay, 2026-12-03). So each batch's result brings back, pickled, the outcomes its worker
found (a *chunk*, numbered by its batch), and each batch sent carries the chunks that not
every worker has yet; a worker learns the chunks it has not seen.

The chunks stay pickled bytes in this process (relayed, never unpickled here); a chunk is
dropped once every worker has it, and all of them together are bounded by the distinct
profiles (a few hundred bytes each). They come from this run's own worker processes only,
never from a file.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field

from pedall.classify.fast_engine import FastEngine

Chunk = tuple[int, bytes]  # a batch's number, and the outcomes its worker found, pickled


@dataclass
class WorkerChunks:
    """A worker's side: the chunks it has learned, and what it found itself."""

    engine: FastEngine
    learned: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.engine.keep_found()

    def learn(self, chunks: tuple[Chunk, ...]) -> None:
        for number, data in chunks:
            if number not in self.learned:
                self.learned.add(number)
                self.engine.learn(pickle.loads(data))

    def found(self, number: int) -> bytes:
        """What this worker searched while working on batch ``number``, pickled (and that
        chunk counted as learned: it need not come back)."""
        self.learned.add(number)
        return pickle.dumps(self.engine.take_found(), protocol=pickle.HIGHEST_PROTOCOL)


@dataclass
class ChunkRelay:
    """The parent's side: which worker has which chunk, and the chunks to send on."""

    workers: int
    chunks: dict[int, bytes] = field(default_factory=dict)
    sent: dict[int, frozenset[int]] = field(default_factory=dict)  # by batch number
    has: dict[int, set[int]] = field(default_factory=dict)  # chunk numbers by worker pid
    numbered: int = 0  # batches numbered so far, over every table the pool works on

    def to_send(self) -> tuple[int, tuple[Chunk, ...]]:
        """The next batch's number, and the chunks it carries: those some worker may not
        have yet."""
        number = self.numbered
        self.numbered += 1
        self.sent[number] = frozenset(self.chunks)
        return number, tuple(self.chunks.items())

    def done(self, number: int, worker: int, chunk: bytes) -> None:
        """Batch ``number`` came back from the worker with pid ``worker`` with the outcomes
        it found: that worker now has its batch's chunks and this one."""
        have = self.has.setdefault(worker, set())
        have |= self.sent.pop(number)
        have.add(number)
        self.chunks[number] = chunk
        if len(self.has) >= self.workers:  # every worker has answered once
            everywhere = set.intersection(*self.has.values())
            for seen in everywhere & self.chunks.keys():
                del self.chunks[seen]
