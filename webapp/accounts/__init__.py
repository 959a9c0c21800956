"""Accounts: invitations, passwords, login and logout, personal API tokens, the admin's page.

``register(app)`` opens the accounts database (:mod:`.store`), sets the key that signs the
session cookie, and mounts Flask-Login (sessions), Flask-WTF's CSRF protection and the pages:

=========================  ===========================================================
``/account/login``         log in (failed logins slowed per account and per address)
``/account/logout``        log out (a POST with its CSRF token)
``/account/invitation/T``  an invited person sets their password
``/account``               your rights; a new personal API token
``/admin/accounts``        the admin invites editors (the same as ``clusterkg users add``)
=========================  ===========================================================
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from clusterkg.webapp.accounts.store import Account, AccountStore

__all__ = ["Account", "AccountStore", "accounts", "accounts_path", "register"]


def accounts_path(config) -> str:
    """Where the accounts live: ``ACCOUNTS``, else beside an on-disk store, else in memory."""
    if config.get("ACCOUNTS"):
        return str(config["ACCOUNTS"])
    store = config.get("STORE")
    if store and store != ":memory:" and not config.get("ENDPOINT"):
        path = Path(store)
        return str(path.parent / f"{path.name}.accounts.sqlite3")
    return ":memory:"


def accounts() -> AccountStore:
    """The current app's accounts database."""
    return current_app.extensions["clusterkg_accounts"]


def register(app: Flask) -> None:
    """Mount accounts, sessions and CSRF protection on ``app`` (once)."""
    from flask_login import LoginManager
    from flask_wtf.csrf import CSRFProtect

    from clusterkg.webapp.accounts import views

    if "accounts" in app.blueprints:
        return
    store = AccountStore(accounts_path(app.config))
    app.extensions["clusterkg_accounts"] = store
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = store.secret_key()
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    # CSRF is checked on the forms of the editing pages (csrf.protect() there), not on the
    # bearer-token APIs (/sparql, /store, /api/...), which no browser sends cookies to
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session
    CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "accounts.login"
    login.user_loader(store.get)
    app.register_blueprint(views.bp)
    app.jinja_env.globals.setdefault("nav_account", views.nav_account)
