"""Outcomes relayed between the cohort workers (``pedall.cohort.shared_outcomes``): a
profile one worker searched is not searched again by another, and the output is the same
as in one process."""

from __future__ import annotations

import io
import multiprocessing
import pickle
from pathlib import Path

import pytest

from patient_rows import COMPLETE_PATIENT
from pedall.classify.fast_engine import FastEngine
from pedall.cohort.runner import CohortRunner
from pedall.cohort.shared_outcomes import ChunkRelay, WorkerChunks
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.cache import ClosureCache
from pedall.patients.readers.csv_table import read_csv
from pedall.testing.cohort import cohort_csv
from pedall.toolkit import toolkit
from pedall.writers.json_results import JsonResults


def test_a_chunk_is_sent_on_until_every_worker_has_it() -> None:
    relay = ChunkRelay(workers=2)
    assert relay.to_send() == (0, ())
    assert relay.to_send() == (1, ())
    relay.done(0, worker=10, chunk=b"zero")
    assert relay.to_send() == (2, ((0, b"zero"),))
    relay.done(1, worker=20, chunk=b"one")  # worker 20 has not seen chunk 0 yet
    assert relay.to_send() == (3, ((0, b"zero"), (1, b"one")))
    relay.done(2, worker=20, chunk=b"two")  # it has now: chunk 0 is everywhere
    assert relay.to_send() == (4, ((1, b"one"), (2, b"two")))
    relay.done(3, worker=10, chunk=b"three")  # 10 has 0, 1 and 3 (batch 3 left before 2 came)
    assert dict(relay.to_send()[1]) == {2: b"two", 3: b"three"}


def test_an_engine_does_not_search_what_another_found(knowledge_base: KnowledgeBase) -> None:
    spec = toolkit(knowledge_base).engine_spec
    complete = ",".join(COMPLETE_PATIENT.values())
    no_wbc = ",".join({**COMPLETE_PATIENT, "wbc_per_ul": ""}.values())
    text = f"patient_id,{','.join(COMPLETE_PATIENT)}\nP1,{complete}\nP2,{no_wbc}\n"
    records = read_csv(text, spec.model, "t.csv").records
    first, second = WorkerChunks(FastEngine(spec)), WorkerChunks(FastEngine(spec))
    found = first.engine.classify(records)
    chunk = first.found(0)
    assert len(pickle.loads(chunk)) == 2  # two profiles searched
    second.learn(((0, chunk),))
    assert second.engine.classify(records) == found
    assert pickle.loads(second.found(1)) == []  # nothing searched
    assert first.found(2) == second.found(3)  # nothing new on either side


@pytest.mark.slow  # worker processes
@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="workers are forked here"
)
def test_profiles_found_by_one_worker_are_not_searched_by_the_other(
    knowledge_base: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A knowledge base of its own, read from a cache of the session's closure: its engine
    # has searched nothing yet (the session's has, for other tests' cohorts).
    cache = ClosureCache(tmp_path / "cache")
    cache.write(cache.key(knowledge_base.files), knowledge_base.graph, knowledge_base.inferred)
    fresh = KnowledgeBase(knowledge_base.files, cache)
    # 12 batches of 50 patients, then the same patients again under new ids: by the time a
    # batch of the copy is sent, the batch it copies is 12 batches back, long done.
    lines = cohort_csv(600, seed=11).splitlines()
    again = [line.replace("P0", "Q0", 1) for line in lines[1:]]
    text = "\n".join([*lines, *again]) + "\n"
    searched: dict[int, int] = {}
    done = ChunkRelay.done

    def counted(relay: ChunkRelay, number: int, worker: int, chunk: bytes) -> None:
        searched[number] = len(pickle.loads(chunk))
        done(relay, number, worker, chunk)

    monkeypatch.setattr(ChunkRelay, "done", counted)
    outputs = []
    for workers, parallel_from in ((2, 100), (None, 10**9)):  # the pool, then this process
        out = io.StringIO()
        with CohortRunner(
            fresh, workers=workers, batch_size=50, parallel_from=parallel_from
        ) as runner:
            runner.classify(io.BytesIO(text.encode()), "twice.csv", JsonResults(out))
        outputs.append(out.getvalue())
    assert sorted(searched) == list(range(24))
    assert sum(searched[n] for n in range(12)) > 50  # the first copy's profiles, searched
    assert sum(searched[n] for n in range(12, 24)) == 0  # its copy's, each learned
    assert outputs[0] == outputs[1]
