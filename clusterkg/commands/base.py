"""What every verb of the command line shares: the user-error exit, the configured store, the
cached projection.

It imports nothing from ``clusterkg.cli``, so the verb modules can be imported on their own
(``clusterkg.cli`` imports them, never the other way round).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click

from clusterkg.graph.reasons import N_, reason
from clusterkg.settings import SettingError, data_location, get_setting

__all__ = ["UserError", "load_projection", "opened_store", "run_analysis", "said", "setting"]


class UserError(click.ClickException):
    """A problem the user can fix; printed without a traceback, exit code 1."""

    exit_code = 1


def setting(name: str, override: object = None) -> object:
    """:func:`clusterkg.settings.get_setting`, with a bad value reported as a user error."""
    try:
        return get_setting(name, override)
    except SettingError as error:
        raise UserError(str(error)) from error


@contextmanager
def opened_store(ctx: click.Context, *, create: bool = False, read_only: bool = False):
    """Open the configured store for one command and close it afterwards.

    ``read_only`` verbs open an embedded store read-only, so they work beside a running
    ``clusterkg serve`` (seeing the data as of when they start). Other verbs open it read-write;
    if ``clusterkg serve`` holds it, their writes go through that server with
    ``CLUSTERKG_ADMIN_TOKEN``, or the error says what to do.
    """
    from clusterkg.graph.store import StoreError

    try:
        store = _open(ctx, create=create, read_only=read_only)
    except (StoreError, OSError) as error:
        raise UserError(said(reason(N_("cannot open the store: %(error)s"), error=error.args[0] if error.args else str(error)))) from error
    try:
        yield store
    except StoreError as error:
        raise UserError(str(error)) from error
    finally:
        store.close()


def _open(ctx: click.Context, *, create: bool, read_only: bool):
    from clusterkg.graph.store import OxigraphStore, StoreError, open_store

    options = ctx.find_root().params
    try:
        where = data_location(options.get("store"), options.get("endpoint"))
    except SettingError as error:
        raise UserError(str(error)) from error
    if where.endpoint is not None:
        return open_store(
            endpoint=where.endpoint,
            update_endpoint=setting("update_endpoint"),
            graph_store_endpoint=setting("graph_store_endpoint"),
            token=setting("endpoint_token"),
            read_only=read_only,
        )
    if where.in_memory:
        return OxigraphStore()
    path = Path(where.store)
    if not create and not path.exists():
        raise UserError(said(reason(N_("no store at %(path)s: run `clusterkg init` first (or set --store / CLUSTERKG_STORE)"), path=str(path))))
    if read_only:  # works beside a running server too
        return open_store(path, read_only=True)
    from clusterkg.graph.running_server import forget_stale_note, running_server

    try:
        store = OxigraphStore(path)
    except StoreError:
        server = running_server(path)
        if server is None:
            raise  # held by something else: the error says so
        return _through(path, server)
    forget_stale_note(path)  # we hold the store, so no server does
    return store


def _through(path: Path, server):
    """The store held by ``clusterkg serve``, written through the server, or a clear refusal."""
    from clusterkg.graph.running_server import ServerBackedStore, held_store_error

    token = setting("admin_token")
    problem = held_store_error(path, server, token)
    if problem is not None:
        raise UserError(problem)
    return ServerBackedStore(path, server, token)


def load_projection(store):
    """The analytic projection of ``store``, from the ``CLUSTERKG_CACHE`` directory when fresh."""
    from clusterkg.graph.projection import load_or_build

    return load_or_build(store, setting("cache"))


def run_analysis(function, *args, **kwargs):
    """``function(*args, **kwargs)``, a :class:`~clusterkg.graph.errors.ClusterKGError` becoming a user error."""
    from clusterkg.graph.errors import ClusterKGError

    try:
        return function(*args, **kwargs)
    except ClusterKGError as error:
        raise UserError(said(error)) from error


def said(error: Exception | str) -> str:
    """An error's message in the command's language (``--lang``): a reason (``clusterkg.graph.reasons``)
    translates, plain text stays as written."""
    from clusterkg.commands.language import current_language

    message = error if isinstance(error, str) else (
        error.args[0] if error.args and isinstance(error.args[0], str) else str(error))
    return current_language().say(message)
