"""Accounts on a real server: invitations, passwords, failed logins slowed, tokens, the CLI."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from clusterkg.cli import cli
from tests.webapp.editing.conftest import PASSWORD, Client


def test_invitation_sets_a_password_once_and_login_logout_work(editing_server):
    server = editing_server()
    token = server.app.extensions["clusterkg_accounts"].invite("anna@example.org", clusters=["silicon-saxony"])
    client = Client(server.base)
    page = client.get(f"/account/invitation/{token}")
    short = client.post(f"/account/invitation/{token}", {"csrf_token": page.csrf(), "password": "short",
                                                         "repeat": "short"})
    assert short.status == 400 and "at least 10 characters" in short.text
    ok = client.post(f"/account/invitation/{token}", {"csrf_token": page.csrf(), "password": PASSWORD,
                                                      "repeat": PASSWORD})
    assert ok.status == 302
    assert client.get(f"/account/invitation/{token}").status == 404  # used up
    assert "silicon-saxony" in client.get("/account").text
    account = client.get("/account")
    assert client.post("/account/logout", {}).status == 400  # no CSRF token: still logged in
    assert client.get("/account").status == 200
    assert client.post("/account/logout", {"csrf_token": account.csrf()}).status == 302
    assert client.get("/account").status == 302  # to the login page
    assert Client(server.base).log_in("anna@example.org").status == 302
    assert Client(server.base).log_in("anna@example.org", "wrong password!").status == 401


def test_failed_logins_are_slowed_per_account_and_per_address(editing_server):
    server = editing_server()
    server.editor("anna@example.org", clusters=["silicon-saxony"])
    client = Client(server.base)
    for _ in range(5):
        assert client.log_in("anna@example.org", "not the password").status == 401
    refused = client.log_in("anna@example.org")  # the right password, but too many failures
    assert refused.status == 429 and int(refused.headers["retry-after"]) > 0
    # per address: other accounts from the same address, until the address is refused too
    statuses = [client.log_in(f"nobody{i}@example.org", "x").status for i in range(16)]
    assert statuses[:15] == [401] * 15 and statuses[15] == 429


def test_accounts_live_outside_the_graph_with_hashed_secrets(editing_server):
    server = editing_server()
    client = server.editor("anna@example.org", clusters=["silicon-saxony"])
    token = server.api_token(client)
    path = Path(server.app.extensions["clusterkg_accounts"].path)
    assert path.exists() and path.parent == Path(server.store.path).parent
    rows = sqlite3.connect(path).execute("SELECT password_hash, api_token_hash FROM users").fetchall()
    assert rows[0][0].startswith("$argon2id$") and PASSWORD not in rows[0][0] and token not in rows[0][1]
    dump = server.dump()
    assert b"anna@example.org" not in dump and b"argon2" not in dump


def test_users_add_prints_a_working_invitation_link(editing_server, tmp_path):
    server = editing_server()
    store = server.store.path  # the CLI finds the accounts file beside the store, as the server does
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(store), "users", "add", "bo@example.org", "--cluster",
                                 "medicon-valley", "--base-url", server.base])
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert re.fullmatch(re.escape(server.base) + r"/account/invitation/[A-Za-z0-9_-]{40,}", link)
    client = Client(server.base)
    page = client.get(link[len(server.base):])
    assert page.status == 200 and "medicon-valley" in page.text
    unknown = runner.invoke(cli, ["--store", str(store), "users", "add", "x@example.org", "--cluster", "no-such"])
    assert unknown.exit_code == 1 and "unknown cluster" in unknown.output
    assert runner.invoke(cli, ["--store", str(store), "users", "add", "x@example.org"]).exit_code == 2


def test_the_admin_page_invites_editors(editing_server):
    server = editing_server()
    admin = server.editor("root@example.org", admin=True)
    page = admin.get("/admin/accounts")
    reply = admin.post("/admin/accounts", {"csrf_token": page.csrf(), "email": "cy@example.org",
                                           "clusters": "silicon-saxony"})
    link = re.search(r'id="invitation-link">([^<]+)<', reply.text).group(1)
    assert Client(server.base).get(link.split(server.base.split("//")[1], 1)[1]).status == 200
    unknown = admin.post("/admin/accounts", {"csrf_token": page.csrf(), "email": "ed@example.org",
                                             "clusters": "no-such-cluster"})
    assert unknown.status == 400 and "unknown cluster" in unknown.text
    assert server.app.extensions["clusterkg_accounts"].by_email("ed@example.org") is None
    editor = server.editor("dee@example.org", clusters=["silicon-saxony"])
    assert editor.get("/admin/accounts").status == 403
