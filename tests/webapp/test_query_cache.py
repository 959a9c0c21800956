"""The answer cache in front of the query workers: repeated queries hit it, writes clear it."""

from clusterkg.webapp.query_runner import CachedQueryRunner, QueryAnswer, QueryJob


class CountingRunner:
    timeout = 5.0

    def __init__(self):
        self.calls = 0
        self.changes = 0

    def run(self, job):
        self.calls += 1
        return QueryAnswer("text/csv", f"answer {self.calls}".encode(), "SELECT", rows=1)

    def data_changed(self):
        self.changes += 1

    def close(self):
        pass


def test_repeated_query_is_answered_from_the_cache_until_data_changes():
    inner = CountingRunner()
    runner = CachedQueryRunner(inner, max_entries=2)
    job = QueryJob("SELECT * WHERE { ?s ?p ?o }", accept="text/csv")
    assert runner.run(job).body == b"answer 1"
    assert runner.run(job).body == b"answer 1" and inner.calls == 1
    assert runner.run(QueryJob(job.query, accept="application/json")).body == b"answer 2"  # Accept is part of the key
    runner.data_changed()
    assert inner.changes == 1
    assert runner.run(job).body == b"answer 3"


def test_cache_is_bounded_least_recently_used_first_out():
    inner = CountingRunner()
    runner = CachedQueryRunner(inner, max_entries=2)
    a, b, c = (QueryJob(f"ASK {{ <x:{n}> ?p ?o }}") for n in "abc")
    runner.run(a), runner.run(b), runner.run(a), runner.run(c)  # b is the least recently used
    calls = inner.calls
    runner.run(a)
    assert inner.calls == calls
    runner.run(b)
    assert inner.calls == calls + 1


def test_large_answers_are_not_kept():
    inner = CountingRunner()
    runner = CachedQueryRunner(inner, max_entries=8, max_bytes=4)
    job = QueryJob("SELECT * WHERE { ?s ?p ?o }")
    runner.run(job), runner.run(job)
    assert inner.calls == 2
