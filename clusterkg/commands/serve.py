"""``clusterkg serve``: the web app and SPARQL endpoint under waitress, a production WSGI server
(with ``--processes N``, the reader fronts beside it serve through granian: ``webapp/fronts.py``).

Registered in ``clusterkg.cli``. While it runs on an embedded store it leaves a note in the store
directory (``clusterkg.graph.running_server``) so the command line can write through it.
"""

from __future__ import annotations

import contextlib
import signal
import sys

import click

from clusterkg.settings import get_setting

__all__ = ["serve"]

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@click.command()
@click.option("--host", default=lambda: get_setting("host"), show_default="127.0.0.1 [env CLUSTERKG_HOST]",
              help="Address to listen on (keep the loopback unless a proxy is in front).")
@click.option("--port", type=click.IntRange(0, 65535), default=lambda: int(get_setting("port")),
              show_default="5000 [env CLUSTERKG_PORT]", help="Port (0: any free port, printed at start).")
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True, help="Request threads.")
@click.option("--processes", type=click.IntRange(1, 64), default=lambda: int(get_setting("processes")),
              show_default="1 [env CLUSTERKG_PROCESSES]",
              help="Front processes sharing the port (on-disk store): this one writes, the others read.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, processes: int) -> None:
    """Serve the web pages, the SPARQL endpoint (/sparql) and the Graph Store (/store).

    Read-only unless CLUSTERKG_ADMIN_TOKEN is set; writes then need
    'Authorization: Bearer <token>'. Queries stop after CLUSTERKG_QUERY_TIMEOUT seconds
    and return at most CLUSTERKG_MAX_ROWS rows. With --processes N, N-1 more front processes
    answer reads beside this one and hand writes to it (clusterkg.webapp.fronts).
    """
    import waitress

    from clusterkg.graph.store import StoreError
    from clusterkg.graph.errors import ClusterKGError
    from clusterkg.graph.running_server import announced
    from clusterkg.settings import data_location
    from clusterkg.webapp import create_app

    options = ctx.find_root().params
    try:
        where = data_location(options.get("store"), options.get("endpoint"))
        endpoint, location = where.endpoint, where.store
        on_disk = endpoint is None and not where.in_memory
        if processes > 1 and not on_disk:
            raise click.UsageError("--processes above 1 needs an on-disk store (--store DIR), not "
                                   + ("a remote endpoint" if endpoint else "an in-memory one"))
        app = create_app({"STORE": None if endpoint else str(location), "ENDPOINT": endpoint})
    except (StoreError, OSError, ValueError, ClusterKGError) as error:
        raise click.ClickException(f"cannot start the server: {error}") from error
    ckg = app.extensions["clusterkg"]
    readers = None
    if processes > 1:
        from clusterkg.webapp.fronts import Readers, listening_socket

        try:
            public = listening_socket(host, port)
            readers = Readers(location, public, processes - 1, threads)
        except (OSError, RuntimeError) as error:
            ckg.close()
            raise click.ClickException(f"cannot start the server: {error}") from error
        readers.connect_writer(ckg)
        server = waitress.create_server(app, sockets=[public, readers.private], threads=threads, ident="clusterkg")
        port = public.getsockname()[1]
    else:
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="clusterkg")
        port = server.effective_port
    if host not in LOOPBACK:
        click.echo(f"warning: listening on {host}, not only on this machine", err=True)
    writes = "writes need the admin token" if ckg.admin_token else "read-only (no CLUSTERKG_ADMIN_TOKEN)"
    fronts = f"; {processes} processes: this one writes, pids {readers.pids()} read" if readers else ""
    click.echo(f"clusterkg serving the {ckg.store.description} at http://{host}:{port}/ "
               f"(SPARQL /sparql, Graph Store /store; {writes}{fronts})", err=True)
    # stop cleanly: the app closes its query workers and flushes its store at exit
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # the note in the store directory lets `clusterkg import`/`init` write through this server
    note = announced(location, host, port, bool(ckg.admin_token)) if on_disk else contextlib.nullcontext()
    try:
        with note:
            server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if readers is not None:
            readers.stop()
