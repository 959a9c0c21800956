"""The account pages (see the package docstring). Forms carry Flask-WTF's CSRF token."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from clusterkg.graph.errors import ClusterKGError
from clusterkg.graph.reasons import N_, reason
from clusterkg.webapp.accounts.store import MIN_PASSWORD, TooManyFailures
from clusterkg.webapp.errors import ApiError, message_of
from clusterkg.webapp.i18n import say
from clusterkg.webapp.pages.common import page_blueprint

__all__ = ["bp", "check_csrf", "nav_account"]

bp = page_blueprint("accounts", __name__)


def check_csrf() -> None:
    """Refuse (400) a form posted without this session's CSRF token."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise ApiError(reason(N_("the form was refused: %(error)s (reload the page and send it again)"),
                              error=str(error)), 400) from None


def nav_account():
    """For the page header: who is logged in (``None`` when nobody is)."""
    return current_user if current_user and current_user.is_authenticated else None


def _accounts():
    from clusterkg.webapp.accounts import accounts

    return accounts()


def _cluster_exists(cluster_id: str) -> bool:
    from clusterkg.ontology.namespace import DATA
    from clusterkg.webapp.extension import state

    try:
        return state().store.ask(f"ASK {{ <{DATA['cluster/' + cluster_id]}> ?p ?o }}")
    except ValueError:  # not even an IRI: the invitation's own check names the problem
        return True


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("accounts.account")


@bp.route("/account/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        check_csrf()
        try:
            account = _accounts().authenticate(request.form.get("email", ""), request.form.get("password", ""),
                                               request.remote_addr or "unknown")
        except TooManyFailures as refused:
            return render_template("accounts/login.html", error=say(message_of(refused)), csrf=generate_csrf()), 429, \
                refused.headers
        if account is None or not account.is_active:
            error, status = gettext("wrong e-mail address or password"), 401
        else:
            login_user(account)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", error=error, csrf=generate_csrf()), status


@bp.route("/account/logout", methods=["POST"])
def logout():
    check_csrf()
    logout_user()
    return redirect(url_for("pages.home"))


@bp.route("/account/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    account = _accounts().invited(token)
    if account is None:
        return render_template("accounts/invitation.html", account=None, error=None, csrf=generate_csrf(),
                               minimum=MIN_PASSWORD), 404
    error = None
    if request.method == "POST":
        check_csrf()
        password = request.form.get("password", "")
        if password != request.form.get("repeat", ""):
            error = gettext("the two passwords differ")
        else:
            try:
                account = _accounts().accept(token, password)
            except ClusterKGError as problem:
                error = say(message_of(problem))
            else:
                login_user(account)
                flash(gettext("Your password is set; you are logged in."))
                return redirect(url_for("accounts.account"))
    return render_template("accounts/invitation.html", account=account, error=error, csrf=generate_csrf(),
                           minimum=MIN_PASSWORD), 400 if error else 200


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    token = None
    if request.method == "POST":
        check_csrf()
        token = _accounts().new_api_token(current_user.id)
    return render_template("accounts/account.html", account=current_user, token=token, csrf=generate_csrf())


@bp.route("/admin/accounts", methods=["GET", "POST"])
@login_required
def admin():
    if not current_user.is_admin:
        raise ApiError(reason(N_("only a site admin may invite people")), 403)
    link, error = None, None
    if request.method == "POST":
        check_csrf()
        clusters = [c.strip() for c in request.form.get("clusters", "").replace(",", " ").split() if c.strip()]
        try:
            unknown = [c for c in clusters if not _cluster_exists(c)]
            if unknown:
                raise ApiError(reason(N_("unknown cluster(s): %(clusters)s"), clusters=unknown), 400)
            token = _accounts().invite(request.form.get("email", ""), clusters=clusters,
                                       admin=request.form.get("admin") == "on",
                                       name=request.form.get("name") or None)
        except ClusterKGError as problem:
            error = say(message_of(problem))
        else:
            link = url_for("accounts.invitation", token=token, _external=True)
    return render_template("accounts/admin.html", accounts=_accounts().accounts(), link=link, error=error,
                           csrf=generate_csrf()), 400 if error else 200
