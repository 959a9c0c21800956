"""On-disk generations: a crash at any moment leaves the old or the new store, never a mix.

The kill test runs a real import in a child process and kills it (SIGKILL) at seeded random
moments; afterwards the store must hold exactly the old or exactly the new triples, with the
data version that belongs to them.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from clusterkg.graph.dataset import initialise
from clusterkg.graph.history import list_history
from clusterkg.graph.importer import import_files
from clusterkg.graph.store import (
    GENERATION_FILE,
    VIEW_FILE,
    OxigraphStore,
    StoreError,
    reading_directory,
    store_directory,
)
from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
IMPORT_IN_CHILD = (
    "import sys; from clusterkg.graph.importer import import_files; "
    "from clusterkg.graph.store import OxigraphStore; "
    "store = OxigraphStore(sys.argv[1]); "
    "import_files([sys.argv[2]], store, replace=True, progress=False); store.close()"
)


def _state(path: Path) -> tuple[Counter, str]:
    """The default graph (blank node labels blurred) and the data version of the store at ``path``."""
    with OxigraphStore.read_only(path) as store:
        lines = store.dump().decode("utf-8").splitlines()
        version = store.data_version()
    return Counter(re.sub(r"_:\S+", "_:b", line) for line in lines), version


def test_a_new_store_has_a_generation_and_the_pointer_names_it(tmp_path):
    with OxigraphStore(tmp_path / "s") as store:
        store.update(f'INSERT DATA {{ <https://example.org/a> <{COMMENT}> "x" }}')
    assert (tmp_path / "s" / GENERATION_FILE).read_text().strip() == "gen-000001"
    assert store_directory(tmp_path / "s") == tmp_path / "s" / "gen-000001"


def test_a_big_load_swaps_generations_and_readers_follow(tmp_path):
    path = tmp_path / "s"
    data = tmp_path / "d.nt"
    data.write_text(f'<https://example.org/a> <{COMMENT}> "x" .\n')
    with OxigraphStore(path) as store:
        store.insert_ntriples(data)  # a file: bulk-loaded into a new generation
        assert store_directory(path).name == "gen-000002"
        with OxigraphStore.read_only(path) as reader:
            assert reader.triple_count() == 1 and reader.data_version() == store.data_version()
    with OxigraphStore(path) as reopened:  # the previous generation is cleaned on open
        assert sorted(p.name for p in path.glob("gen-*")) == ["gen-000002"]
        assert reopened.triple_count() == 1


@pytest.mark.parametrize("failure, opened", [
    ("Corruption: IO error: No such file or directory: While open a file for random read: 000034.sst", True),
    ("Invalid argument: the column family is not open", False),
])
def test_a_read_only_opener_opens_again_when_the_writer_compacted_a_file_away(tmp_path, monkeypatch, failure, opened):
    """RocksDB lists a generation's files, then opens them: the writer's compaction may remove one
    in between (a reader opening right after a load). Such an opener tries again; another error
    is the store's error at once."""
    from types import SimpleNamespace

    from clusterkg.graph import store as store_module

    path = tmp_path / "s"
    with OxigraphStore(path) as store:
        store.update(f'INSERT DATA {{ <https://example.org/a> <{COMMENT}> "x" }}')
    tries = []

    def read_only(directory):
        tries.append(directory)
        if len(tries) < 3:
            raise RuntimeError(failure)
        return ox.Store.read_only(directory)

    monkeypatch.setattr(store_module, "ox", SimpleNamespace(**{**vars(ox), "Store": SimpleNamespace(read_only=read_only)}))
    if opened:
        with OxigraphStore.read_only(path) as reader:
            assert reader.triple_count() == 1 and len(tries) == 3
    else:
        with pytest.raises(StoreError, match="column family"):
            OxigraphStore.read_only(path)
        assert len(tries) == 1


def test_leftover_generations_are_removed_on_open(tmp_path):
    path = tmp_path / "s"
    OxigraphStore(path).close()
    (path / "gen-000007").mkdir()  # an import killed before its swap
    (path / f".{GENERATION_FILE}.tmp").write_text("gen-000007")
    with OxigraphStore(path):
        assert sorted(p.name for p in path.iterdir()
                      if not p.name.endswith(".lock") and not p.name.startswith(("view-", "VIEW"))) \
            == [GENERATION_FILE, "gen-000001"]


def _comment(subject: str) -> bytes:
    return f'<https://example.org/{subject}> <{COMMENT}> "x" .\n'.encode()


def _subjects(store: OxigraphStore) -> set[str]:
    return {row[0] for row in store.select_values(f"SELECT ?s WHERE {{ ?s <{COMMENT}> ?o }}")[1]}


def test_a_reader_beside_a_writer_opens_a_view_that_nobody_writes(tmp_path):
    """pyoxigraph calls a read-only opener of a directory another process writes undefined
    behaviour (a COUNT on one grew past 6 GiB): readers open the writer's newest view instead."""
    path = tmp_path / "s"
    with OxigraphStore(path) as writer:
        writer.insert_ntriples(_comment("a"))
        with OxigraphStore.read_only(path) as first:
            assert first._directory != store_directory(path) and first._directory.name.startswith("view-")
            assert _subjects(first) == {"https://example.org/a"}
            writer.insert_ntriples(_comment("b"))
            assert _subjects(first) == {"https://example.org/a"}  # its view stays as it was
            with OxigraphStore.read_only(path) as second:  # a new reader: the newest view
                assert second._directory not in {first._directory, store_directory(path)}
                assert _subjects(second) == {"https://example.org/a", "https://example.org/b"}
        assert (path / VIEW_FILE).read_text().split() == [reading_directory(path).name, store_directory(path).name]
    with OxigraphStore.read_only(path) as after:  # the writer closed: its last writes are in the view
        assert _subjects(after) == {"https://example.org/a", "https://example.org/b"}


def test_a_view_follows_an_import_into_a_new_generation(tmp_path):
    path, data = tmp_path / "s", tmp_path / "d.nt"
    data.write_bytes(_comment("c"))
    with OxigraphStore(path) as writer:
        writer.insert_ntriples(_comment("a"))
        writer.insert_ntriples(data)  # a file: bulk-loaded into a new generation, then swapped in
        assert store_directory(path).name == "gen-000002"
        assert (path / VIEW_FILE).read_text().split()[1] == "gen-000002"
        with OxigraphStore.read_only(path) as reader:
            assert _subjects(reader) == {"https://example.org/a", "https://example.org/c"}


def test_superseded_views_go_once_no_reader_holds_them(tmp_path):
    """Views are hard links: kept, each would keep the files compactions have since replaced."""
    path = tmp_path / "s"

    def views() -> list[str]:
        return sorted(p.name for p in path.glob("view-*"))

    with OxigraphStore(path) as writer:
        writer.insert_ntriples(_comment("a"))
        assert views() == [reading_directory(path).name]  # nobody held the earlier ones
        reader = OxigraphStore.read_only(path)
        held = reader._directory.name
        for subject in "bcd":
            writer.insert_ntriples(_comment(subject))
        assert views() == sorted([held, reading_directory(path).name])  # the held one stays
        assert _subjects(reader) == {"https://example.org/a"}  # and still reads
        reader.close()
        writer.insert_ntriples(_comment("e"))
        assert views() == [reading_directory(path).name]
        assert not list(path.glob(".removed-*"))


def test_a_flush_that_meets_an_import_committing_leaves_the_view_of_the_new_generation(tmp_path, monkeypatch):
    """A server flushes after one write while the next write, an import, may be committing its
    generation: the flush's view must not end up naming the generation the import replaced."""
    from clusterkg.graph import store as store_module

    path, data = tmp_path / "s", tmp_path / "d.nt"
    data.write_bytes(_comment("c"))
    publishing, committed, main = threading.Event(), threading.Event(), threading.current_thread()

    class Clock:
        """The module's ``time``, whose ``time_ns`` (naming the view) holds the flush's view in
        the window: the import commits meanwhile, unless it has to wait for the flush."""

        def __getattr__(self, name):
            return getattr(time, name)

        def time_ns(self):
            if threading.current_thread() is main and not publishing.is_set():
                publishing.set()
                committed.wait(2)
            return time.time_ns()

    with OxigraphStore(path) as writer:
        writer.flush_later = True
        writer.insert_ntriples(_comment("a"))  # a write whose flush comes later, as in a server

        def import_while_flushing():
            publishing.wait(30)
            writer.insert_ntriples(data)  # a file: a new generation, committed and swapped in
            committed.set()

        importing = threading.Thread(target=import_while_flushing)
        importing.start()
        monkeypatch.setattr(store_module, "time", Clock())
        writer.flush()
        importing.join(30)
        assert (path / VIEW_FILE).read_text().split()[1] == store_directory(path).name == "gen-000002"
        with OxigraphStore.read_only(path) as reader:
            assert _subjects(reader) == {"https://example.org/a", "https://example.org/c"}


def test_a_view_of_another_generation_is_not_opened(tmp_path):
    """An import killed between publishing its generation's view and making the generation
    current leaves VIEW naming a generation that is not current: readers open the current one."""
    path = tmp_path / "s"
    with OxigraphStore(path) as writer:
        writer.insert_ntriples(_comment("a"))
        view = reading_directory(path).name
    (path / VIEW_FILE).write_text(f"{view} gen-000009\n")
    assert reading_directory(path) == store_directory(path)
    with OxigraphStore.read_only(path) as reader:
        assert _subjects(reader) == {"https://example.org/a"}


def test_a_store_from_before_generations_still_opens_and_converts(tmp_path):
    path = tmp_path / "legacy"
    legacy = ox.Store(str(path))  # RocksDB files directly in the directory
    legacy.add(ox.Quad(ox.NamedNode("https://example.org/a"), ox.NamedNode(COMMENT), ox.Literal("old")))
    legacy.flush()
    del legacy
    data = tmp_path / "d.nt"
    data.write_text(f'<https://example.org/b> <{COMMENT}> "new" .\n')
    with OxigraphStore(path) as store:
        assert store_directory(path) == path and store.triple_count() == 1
        store.insert_ntriples(data)
        assert store.triple_count() == 2
    with OxigraphStore(path) as store:
        assert store.triple_count() == 2
        assert not (path / "CURRENT").exists()  # the legacy files went once nothing used them


def test_a_failed_load_discards_its_generation(tmp_path):
    path = tmp_path / "s"
    bad = tmp_path / "bad.nt"
    bad.write_text("<https://example.org/a> <p> .\n")
    with OxigraphStore(path) as store:
        version = store.data_version()
        with pytest.raises(StoreError, match="nothing inserted"):
            store.insert_ntriples(bad)
        assert store.data_version() == version
        assert [p.name for p in path.glob("gen-*")] == ["gen-000001"]


@pytest.fixture(scope="module")
def kill_setup(tmp_path_factory) -> dict:
    """An on-disk store holding batch A, batch B (replacing A's resources) and the expected states."""
    root = tmp_path_factory.mktemp("kill")
    old_batch, new_batch = root / "a.nt", root / "b.nt"
    write_synthetic(SyntheticSpec(clusters=3, organisations=60, competencies=12, seed=0), old_batch)
    write_synthetic(SyntheticSpec(clusters=3, organisations=60, competencies=12, seed=1), new_batch)
    old = root / "old"
    with OxigraphStore(old) as store:
        initialise(store, with_default_data=False)
        import_files([old_batch], store, progress=False)
    reference = root / "reference"
    shutil.copytree(old, reference)
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", IMPORT_IN_CHILD, str(reference), str(new_batch)], check=True)
    duration = time.monotonic() - start
    return {"old": old, "new": _state(reference), "before": _state(old), "batch": new_batch,
            "duration": duration, "root": root}


def test_kill_9_at_any_moment_leaves_the_old_or_the_new_store(kill_setup):
    old_data, old_version = kill_setup["before"]
    new_data, _ = kill_setup["new"]
    assert old_data != new_data
    rng = random.Random(8)
    outcomes = Counter()
    deadline = time.monotonic() + 120
    for trial in range(8):
        if time.monotonic() > deadline:
            break
        path = kill_setup["root"] / f"trial-{trial}"
        shutil.copytree(kill_setup["old"], path)
        scratch = kill_setup["root"] / f"tmp-{trial}"  # (the killed import cannot remove its work folder)
        scratch.mkdir()
        child = subprocess.Popen([sys.executable, "-c", IMPORT_IN_CHILD, str(path), str(kill_setup["batch"])],
                                 env={**os.environ, "TMPDIR": str(scratch)})
        time.sleep(rng.uniform(0.2, kill_setup["duration"] * 1.1))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        data, version = _state(path)
        if data == old_data:
            assert version == old_version
            outcomes["old"] += 1
        else:
            assert data == new_data, f"trial {trial}: a mix of old and new triples"
            assert version != old_version
            with OxigraphStore.read_only(path) as store:
                last = list_history(store)[-1]
            assert (last.operation, last.version) == ("replace", version)
            outcomes["new"] += 1
        with OxigraphStore(path) as reopened:  # the next writer cleans the leftovers
            assert len(list(path.glob("gen-*"))) == 1 and reopened.data_version() == version
        shutil.rmtree(path)
        shutil.rmtree(scratch)
    assert sum(outcomes.values()) >= 4, outcomes


def test_a_pointer_to_a_missing_generation_is_an_error_not_an_empty_store(tmp_path):
    path = tmp_path / "s"
    OxigraphStore(path).close()
    (path / GENERATION_FILE).write_text("gen-000009\n")
    with pytest.raises(StoreError, match="damaged"):
        OxigraphStore(path)
    with pytest.raises(StoreError, match="damaged"):
        OxigraphStore.read_only(path)
