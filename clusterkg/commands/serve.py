"""``clusterkg serve``: the web app and SPARQL endpoint under waitress, a production WSGI server.

Register with ``cli.add_command(serve)`` in ``clusterkg.cli``.
"""

from __future__ import annotations

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
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the web pages, the SPARQL endpoint (/sparql) and the Graph Store (/store).

    Read-only unless CLUSTERKG_ADMIN_TOKEN is set; writes then need
    'Authorization: Bearer <token>'. Queries stop after CLUSTERKG_QUERY_TIMEOUT seconds
    and return at most CLUSTERKG_MAX_ROWS rows.
    """
    import waitress

    from clusterkg.graph.store import StoreError
    from clusterkg.settings import default_store_path, get_setting
    from clusterkg.webapp import create_app

    options = ctx.find_root().params
    endpoint = get_setting("endpoint", options.get("endpoint"))
    location = get_setting("store", options.get("store")) or str(default_store_path())
    try:
        app = create_app({"STORE": None if endpoint else location, "ENDPOINT": endpoint})
    except (StoreError, OSError, ValueError) as error:
        raise click.ClickException(f"cannot start the server: {error}") from error
    ckg = app.extensions["clusterkg"]
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="clusterkg")
    if host not in LOOPBACK:
        click.echo(f"warning: listening on {host}, not only on this machine", err=True)
    writes = "writes need the admin token" if ckg.admin_token else "read-only (no CLUSTERKG_ADMIN_TOKEN)"
    click.echo(f"clusterkg serving the {ckg.store.description} at http://{host}:{server.effective_port}/ "
               f"(SPARQL /sparql, Graph Store /store; {writes})", err=True)
    # stop cleanly: the app closes its query workers and flushes its store at exit
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
