"""A private Virtuoso server on 127.0.0.1, for tests, benchmarks and trying Virtuoso out.

Debian's ``virtuoso-opensource`` package (7.2) ships the server (``virtuoso-t``) and its SQL
shell (``isql-vt``). :class:`LocalVirtuoso` writes an ini of its own in a new directory: the
database files there, the HTTP server and the SQL port bound to loopback on the ports given,
``DirsAllowed`` limited to that directory (the bulk loader reads files only from there), a
result limit high enough for the analytic projection. It starts the server in the foreground,
waits until ``/sparql`` answers, lets the anonymous ``SPARQL`` user update (loopback only), and
stops it on exit. The ``dba`` password is Virtuoso's default: the SQL port never leaves
loopback and the database is thrown away.

The installed package's own service (``/etc/virtuoso-opensource-7``, port 8890) is not used.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from clusterkg.graph.endpoints import VIRTUOSO_DEFAULT_GRAPH, from_layout
from clusterkg.graph.store import SparqlProtocolStore, StoreError

__all__ = ["LocalVirtuoso", "virtuoso_binaries"]

START_TIMEOUT_S = 60
RESULT_ROWS_LIMIT = 100_000_000  # the ini's cut-off; the store refuses a cut result anyway

_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = {dir}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = {rows}
MaxQueryExecutionTime = {seconds}
MaxQueryCostEstimationTime = {estimate}
"""


def virtuoso_binaries() -> tuple[str, str] | None:
    """Paths of ``virtuoso-t`` and ``isql-vt``, or ``None`` when Virtuoso is not installed."""
    server, shell = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    return (server, shell) if server and shell else None


class LocalVirtuoso:
    """``with LocalVirtuoso(directory, http_port, sql_port) as server:`` a running Virtuoso.

    ``memory_mib`` sizes its page buffers (8 KiB each; Virtuoso's guide: about two thirds of
    the memory it may use). ``result_rows``, ``max_query_seconds`` and ``max_estimate_seconds``
    are the ini's ``[SPARQL]`` limits: the row count at which it cuts every result, the run
    time after which a query fails ("Transaction timed out"), and the estimated run time above
    which it refuses a query unrun (0: never).
    """

    def __init__(self, directory: Path, http_port: int, sql_port: int, *, memory_mib: int = 256,
                 result_rows: int = RESULT_ROWS_LIMIT, max_query_seconds: int = 600,
                 max_estimate_seconds: int = 600) -> None:
        binaries = virtuoso_binaries()
        if binaries is None:
            raise StoreError("Virtuoso is not installed (apt-get install virtuoso-opensource)")
        self.server_binary, self.isql_binary = binaries
        self.directory = Path(directory).resolve()
        self.http_port, self.sql_port = http_port, sql_port
        self.buffers = max(2_000, memory_mib * 1024 // 8 * 2 // 3)
        self.limits = {"rows": result_rows, "seconds": max_query_seconds, "estimate": max_estimate_seconds}
        self.process: subprocess.Popen | None = None

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def log_path(self) -> Path:
        return self.directory / "virtuoso.log"

    def connect(self, timeout: float = 30) -> SparqlProtocolStore:
        """A client of this server, laid out as :mod:`clusterkg.graph.endpoints` derives it."""
        urls = from_layout(self.query_url, "Virtuoso")
        return SparqlProtocolStore(urls.query, urls.update, urls.graph_store, timeout=timeout,
                                   default_graph=urls.default_graph)

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        ini = self.directory / "virtuoso.ini"
        ini.write_text(_INI.format(dir=self.directory, sql_port=self.sql_port, http_port=self.http_port,
                                   buffers=self.buffers, dirty_buffers=self.buffers * 3 // 4, **self.limits))
        with open(self.directory / "stdout.log", "wb") as out:
            self.process = subprocess.Popen([self.server_binary, "+foreground", "+configfile", str(ini)],
                                            cwd=self.directory, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self.process.poll() is not None:
                raise StoreError(f"virtuoso-t exited with {self.process.returncode}: {self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise StoreError(f"Virtuoso did not answer on {self.query_url} within "
                                 f"{START_TIMEOUT_S} s: {self._log_tail()}")
            time.sleep(0.2)
        try:
            self.sql('GRANT SPARQL_UPDATE TO "SPARQL";')
        except StoreError as error:
            if "already have role" not in str(error):  # (a database started before: granted then)
                self.stop()
                raise

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # Virtuoso checkpoints and exits on SIGTERM
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def sql(self, statements: str, timeout: float = 3600) -> str:
        """Run SQL through ``isql-vt`` as ``dba``; raise :class:`StoreError` if any fails."""
        result = subprocess.run(
            [self.isql_binary, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statements}"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0 or "*** Error" in result.stdout + result.stderr:
            raise StoreError(f"isql-vt failed on {statements!r}: {result.stdout[-2000:]}{result.stderr[-2000:]}")
        return result.stdout

    def bulk_load(self, ntriples: Path, graph: str = VIRTUOSO_DEFAULT_GRAPH) -> None:
        """Virtuoso's own bulk loader (``ld_dir`` + ``rdf_loader_run``) into ``graph``.

        The file must sit in this server's directory (``DirsAllowed``). Benchmarks only: it
        neither validates nor changes the store's data version.
        """
        ntriples = Path(ntriples).resolve()
        if ntriples.parent != self.directory:
            raise StoreError(f"{ntriples} is not in {self.directory}, the only directory Virtuoso may read")
        self.sql(f"ld_dir('{self.directory}', '{ntriples.name}', '{graph}'); "
                 "rdf_loader_run(); checkpoint;")
        errors = self.sql("SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;")
        if "0 Rows" not in errors:
            raise StoreError(f"Virtuoso's loader refused {ntriples.name}: {errors[-2000:]}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.query_url + "?query=ASK%7B%7D", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> LocalVirtuoso:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
