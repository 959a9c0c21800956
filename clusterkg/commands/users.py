"""``clusterkg users``: invite editors and admins, list accounts.

Accounts live in their own SQLite file (``CLUSTERKG_ACCOUNTS``, by default beside the store
directory; see :mod:`clusterkg.webapp.accounts.store` for why not in the graph). ``users add``
prints a one-time link; the person opens it in the browser served by ``clusterkg serve`` and
sets a password there.
"""

from __future__ import annotations

import click

from clusterkg.commands.base import UserError, opened_store, said
from clusterkg.commands.language import LANG_OPTION, current_language
from clusterkg.graph.reasons import N_, reason
from clusterkg.settings import get_setting

__all__ = ["users"]


def _accounts(ctx: click.Context):
    from clusterkg.settings import data_location
    from clusterkg.webapp.accounts import AccountStore, accounts_path

    options = ctx.find_root().params
    where = data_location(options.get("store"), options.get("endpoint"))
    path = accounts_path({"ACCOUNTS": get_setting("accounts"), "STORE": where.store and str(where.store),
                          "ENDPOINT": where.endpoint})
    if path == ":memory:":
        raise UserError(said(reason(N_("set CLUSTERKG_ACCOUNTS to the accounts file the server uses (there is no store "
                                       "directory to keep it beside)"))))
    return AccountStore(path)


@click.group()
def users() -> None:
    """Accounts of the people who edit clusters in the browser."""


@users.command("add")
@click.argument("email")
@click.option("--cluster", "clusters", multiple=True, metavar="ID", help="A cluster they may edit (repeat for more).")
@click.option("--admin", is_flag=True, help="A site admin: may edit everything and invite others.")
@click.option("--name", help="The name shown in the history of their changes [default: the e-mail's local part].")
@click.option("--base-url", default=lambda: f"http://{get_setting('host')}:{get_setting('port')}",
              show_default="http://CLUSTERKG_HOST:CLUSTERKG_PORT", help="Where the web app is reached.")
@LANG_OPTION
@click.pass_context
def add(ctx: click.Context, email: str, clusters: tuple[str, ...], admin: bool, name: str | None,
        base_url: str) -> None:
    """Invite EMAIL (or renew their invitation): prints a one-time link, valid 7 days."""
    from clusterkg.graph.errors import ClusterKGError
    from clusterkg.graph.sheets import DATA

    if not clusters and not admin:
        raise click.UsageError(said(reason(N_("give --cluster ID (one or more) or --admin"))))
    with opened_store(ctx, read_only=True) as store:
        unknown = [c for c in clusters if not store.ask(f"ASK {{ <{DATA['cluster/' + c]}> ?p ?o }}")]
    if unknown:
        raise UserError(said(reason(N_("unknown cluster(s): %(clusters)s"), clusters=unknown)))
    store = _accounts(ctx)
    try:
        token = store.invite(email, clusters=clusters, admin=admin, name=name)
    except ClusterKGError as error:
        raise UserError(said(error)) from error
    finally:
        store.close()
    click.echo(f"{base_url.rstrip('/')}/account/invitation/{token}")


@users.command("list")
@LANG_OPTION
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """Every account: e-mail, name, rights, whether a password is set."""
    language = current_language()
    store = _accounts(ctx)
    try:
        for a in store.accounts():
            # (in context "account": the words mean other things elsewhere, e.g. the agent "admin")
            rights = language.pgettext("account", "admin") if a.is_admin else ",".join(sorted(a.clusters))
            status = language.pgettext("account", "active") if a.active else language.pgettext("account", "invited")
            click.echo(f"{a.email}\t{a.name}\t{rights}\t{status}")
    finally:
        store.close()
