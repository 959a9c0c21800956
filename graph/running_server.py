"""Working beside a running ``clusterkg serve``: its note in the store directory, and a store
that reads the directory read-only and writes through the server.

An embedded store has one writer at a time (pyoxigraph locks the directory); any number of
read-only openers may open the views it publishes (``graph/store.py``), each seeing the data as
of when it opened. So while
``clusterkg serve`` holds a store, the command line reads it through a read-only opener and
sends its writes to the server's SPARQL Update and Graph Store endpoints, with the admin token.
To find the server, ``clusterkg serve`` leaves :data:`NOTE_NAME` in the store directory while it
runs (its URL, process id and whether it takes writes) and removes it when it stops.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

import rdflib

from clusterkg.graph.history import Activity
from clusterkg.graph.store import STORAGE_GONE, OxigraphStore, SparqlProtocolStore, StoreError, release_view

__all__ = [
    "ACTIVITY_FIELD",
    "NOTE_NAME",
    "RunningServer",
    "ServerBackedStore",
    "SnapshotStore",
    "announced",
    "forget_stale_note",
    "held_store_error",
    "running_server",
]

NOTE_NAME = "clusterkg-serve.json"
"""The file ``clusterkg serve`` keeps in the store directory while it runs."""

ACTIVITY_FIELD = "clusterkg-activity"
"""The form field of a SPARQL Update to ``clusterkg serve`` that carries the write's own history
record (:meth:`Activity.to_json`): the server records that one activity instead of a generic
"update", so an import made beside a running server appears once in the history, as itself."""

T = TypeVar("T")
_READ_ATTEMPTS = 30
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class RunningServer:
    """What a running ``clusterkg serve`` says about itself."""

    url: str  # base URL, reachable from this machine, without a trailing slash
    pid: int
    writes: bool  # started with an admin token

    @property
    def query_url(self) -> str:
        return self.url + "/sparql"

    @property
    def graph_store_url(self) -> str:
        return self.url + "/store"


def _base_url(host: str, port: int) -> str:
    host = _ANY_ADDRESS.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextmanager
def announced(store_dir: str | Path, host: str, port: int, writes: bool) -> Iterator[RunningServer]:
    """Leave the server's note in ``store_dir`` for as long as the block runs."""
    server = RunningServer(_base_url(host, port), os.getpid(), writes)
    note = Path(store_dir) / NOTE_NAME
    temporary = note.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(server)), encoding="utf-8")
    temporary.replace(note)  # readers never see half a note
    try:
        yield server
    finally:
        if running_server(store_dir) == server:  # never remove a later server's note
            note.unlink(missing_ok=True)


def running_server(store_dir: str | Path) -> RunningServer | None:
    """The server that announced itself in ``store_dir``, if a note is there.

    A note can outlive a server that was killed; callers check that the store is really held
    (opening it read-write fails) before they trust the note.
    """
    try:
        data = json.loads((Path(store_dir) / NOTE_NAME).read_text(encoding="utf-8"))
        return RunningServer(str(data["url"]), int(data["pid"]), bool(data["writes"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget_stale_note(store_dir: str | Path) -> None:
    """Remove a note left by a server that no longer runs (call only while holding the store)."""
    (Path(store_dir) / NOTE_NAME).unlink(missing_ok=True)


class SnapshotStore(OxigraphStore):
    """A read-only opener of a store that another process (``clusterkg serve``) writes.

    It sees the writer's view as of when it opened, and holds it (and the one before, which
    requests may still be reading) so the writer keeps it. When a view went before it was held,
    RocksDB answers "IO error … No such file": then it opens the newest and tries again.
    """

    _holding = threading.Lock()  # (a reader front reopens from several threads)

    @classmethod
    def read_only(cls, path: str | Path) -> SnapshotStore:
        return _again(lambda: super(SnapshotStore, cls).read_only(path))

    def reopen(self) -> None:
        """See the store as it is now (a reader front calls it after the writer wrote).

        Requests already reading keep the old snapshot until they finish; the swap is one
        assignment, so a concurrent read never finds no store.
        """
        self._store = _again(self._open_newest)

    def _open_newest(self):
        """The newest view's store, held; holds older than the previous view's are let go."""
        opened = OxigraphStore.read_only(self.path)
        with self._holding:
            held = self._holds + opened._holds
            self._holds, opened._holds = held[-2:], []
        for hold in held[:-2]:
            release_view(hold)
        return opened._store

    def data_version(self) -> str:
        """The snapshot's version, read once per snapshot: it cannot change under an opener."""
        store, known = self._store, getattr(self, "_version", None)
        if known is not None and store is not None and known[0] is store:
            return known[1]
        version = super().data_version()
        if self._store is store:  # (no reopen meanwhile: the version belongs to this snapshot)
            self._version = (store, version)
        return version

    def _reopened(self, read: Callable[..., T], *args, **kwargs) -> T:
        def attempt() -> T:
            if self._store is None:
                self._store = self._open_newest()
            try:
                return read(*args, **kwargs)
            except (StoreError, RuntimeError):
                self._store = None  # release the lost snapshot; the next attempt opens a new one
                raise

        return _again(attempt)

    def _select(self, query: str):
        return self._reopened(super()._select, query)

    def _select_values(self, query: str, *, see_meta: bool = False):
        return self._reopened(super()._select_values, query, see_meta=see_meta)

    def _ask(self, query: str) -> bool:
        return self._reopened(super()._ask, query)

    def _construct(self, query: str) -> rdflib.Graph:
        return self._reopened(super()._construct, query)

    def _query_bytes(self, query: str, media_type: str) -> bytes:
        return self._reopened(super()._query_bytes, query, media_type)

    def _dump(self, media_type: str) -> bytes:
        return self._reopened(super()._dump, media_type)

    def _dump_to(self, output: BinaryIO, media_type: str, prefixes: Mapping[str, str]) -> None:
        """Read whole, then written: a read retried after a compaction must not have written half."""
        def read() -> bytes:
            buffer = io.BytesIO()
            OxigraphStore._dump_to(self, buffer, media_type, prefixes)
            return buffer.getvalue()

        output.write(self._reopened(read))


def _again(action: Callable[[], T]) -> T:
    """``action()``, repeated after a short pause while it fails because files of the snapshot
    it read are gone; any other failure, or the last one, is raised."""
    for attempt in range(_READ_ATTEMPTS):
        try:
            return action()
        except (StoreError, RuntimeError) as error:
            if not STORAGE_GONE.search(str(error)) or attempt == _READ_ATTEMPTS - 1:
                if isinstance(error, StoreError):
                    raise
                raise StoreError(f"cannot read the store: {error}") from error
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


class ServerBackedStore(SparqlProtocolStore):
    """An on-disk store held by ``clusterkg serve``: reads from a read-only opener of the
    directory (no row cap, no time limit, the same view the server has), writes through the
    server's ``/sparql`` and ``/store`` with ``Authorization: Bearer <admin token>``.

    Every request sent to the server is a write, so after one the reader is reopened and sees it.
    """

    def __init__(self, path: str | Path, server: RunningServer, admin_token: str) -> None:
        super().__init__(server.query_url, server.query_url, server.graph_store_url,
                         headers={"Authorization": f"Bearer {admin_token}"})
        self.path = Path(path)
        self.server = server
        self._current: SnapshotStore | None = None

    @property
    def description(self) -> str:
        return f"store at {self.path} (held by clusterkg serve at {self.server.url})"

    def _read(self, read: Callable[[OxigraphStore], T]) -> T:
        if self._current is None:
            self._current = SnapshotStore.read_only(self.path)
        return read(self._current)

    def _request(self, url: str, **kwargs) -> tuple[bytes, str]:
        try:
            return super()._request(url, **kwargs)
        finally:
            self._stale()

    def _stale(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None

    def commit_update(self, sparql_update: str, activity: Activity) -> None:
        """Send the update with its activity: the server adds the version change and the record
        (as the admin token's agent) in the same transaction, and no second record of its own."""
        self._require_writable()
        fields = self.protocol_fields("update", sparql_update) + [(ACTIVITY_FIELD, activity.to_json())]
        self._request(self.update_url, body=urllib.parse.urlencode(fields).encode("utf-8"),
                      content_type="application/x-www-form-urlencoded", write=True)

    # reads: the directory, read-only

    def data_version(self) -> str:
        self._require_open()
        return self._read(lambda store: store.data_version())

    def _select(self, query: str):
        return self._read(lambda store: store.select(query))

    def _select_values(self, query: str, *, see_meta: bool = False):
        return self._read(lambda store: store.select_values(query))

    def _ask(self, query: str) -> bool:
        return self._read(lambda store: store.ask(query))

    def _construct(self, query: str) -> rdflib.Graph:
        return self._read(lambda store: store.construct(query))

    def _query_bytes(self, query: str, media_type: str) -> bytes:
        return self._read(lambda store: store.query_bytes(query, media_type))

    def _dump(self, media_type: str) -> bytes:
        return self._read(lambda store: store.dump(media_type))

    def _dump_to(self, output: BinaryIO, media_type: str, prefixes: Mapping[str, str]) -> None:
        self._read(lambda store: store.dump_to(output, media_type, prefixes))

    def _close(self) -> None:
        self._stale()


def held_store_error(path: Path, server: RunningServer, admin_token: str | None) -> str | None:
    """Why a write to the store at ``path`` cannot go through ``server``, with what to do;
    ``None`` when it can."""
    stop = f"stop it (Ctrl-C in its terminal, or `kill {server.pid}`) and run this command again"
    if not server.writes:
        return (f"`clusterkg serve` (pid {server.pid}, {server.url}) holds the store at {path} and takes no "
                f"writes: {stop}, or restart it with CLUSTERKG_ADMIN_TOKEN set and run this command "
                "with the same CLUSTERKG_ADMIN_TOKEN")
    if not admin_token:
        return (f"`clusterkg serve` (pid {server.pid}, {server.url}) holds the store at {path}: to write "
                f"through it, set CLUSTERKG_ADMIN_TOKEN to its admin token; or {stop}")
    return None
