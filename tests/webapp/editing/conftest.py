"""Fixtures for editing: the real app on a real waitress server on 127.0.0.1 over an on-disk store
holding the ontology and the default dataset, with accounts, and a cookie-keeping HTTP client.

``editing_server(**config)`` starts a server on a fresh copy of the store and returns an
:class:`EditingServer` (base URL, the app, helpers to invite people and read the store);
every server started is stopped after the test.
"""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import waitress

from clusterkg.webapp import create_app

ADMIN_TOKEN = "editing-admin-token"
PASSWORD = "correct horse battery staple"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self):
        import json

        return json.loads(self.text)

    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.text)
        assert found, "no CSRF token on the page"
        return found.group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body: ``files`` as (field, file name, content)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, filename, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                     f"Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """A browser-like HTTP client: keeps cookies, does not follow redirects."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, method: str, path: str, data: dict | bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as response:
                return Reply(response.status, {k.lower(): v for k, v in response.headers.items()},
                             response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode())

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, data=None, **kw) -> Reply:
        return self.request("POST", path, data, **kw)

    def log_in(self, email: str, password: str = PASSWORD) -> Reply:
        page = self.get("/account/login")
        return self.post("/account/login", {"csrf_token": page.csrf(), "email": email, "password": password})


@dataclass
class EditingServer:
    base: str
    app: object

    @property
    def store(self):
        return self.app.extensions["clusterkg"].store

    def dump(self) -> bytes:
        """Every quad of the store, sorted: to tell "unchanged" exactly."""
        data = self.store.query_bytes("CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
                                      "application/n-triples")
        return b"\n".join(sorted(data.splitlines()))

    def data(self) -> bytes:
        """The default graph (the data without its history), sorted."""
        return b"\n".join(sorted(self.store.dump().splitlines()))

    def editor(self, email: str, clusters=(), admin: bool = False, name: str | None = None) -> Client:
        """Invite someone, let them set their password through the invitation page: a logged-in client."""
        token = self.app.extensions["clusterkg_accounts"].invite(email, clusters=clusters, admin=admin, name=name)
        client = Client(self.base)
        page = client.get(f"/account/invitation/{token}")
        assert page.status == 200, page.text
        reply = client.post(f"/account/invitation/{token}",
                            {"csrf_token": page.csrf(), "password": PASSWORD, "repeat": PASSWORD})
        assert reply.status == 302, reply.text
        return client

    def api_token(self, client: Client) -> str:
        page = client.get("/account")
        reply = client.post("/account", {"csrf_token": page.csrf()})
        return re.search(r'id="api-token">([^<]+)<', reply.text).group(1)


@pytest.fixture
def editing_server(default_store_template: Path, tmp_path: Path, stop_waitress) -> Iterator:
    started = []

    def start(**config) -> EditingServer:
        copy = shutil.copytree(default_store_template, tmp_path / f"store-{len(started)}")
        app = create_app({"STORE": str(copy), "ADMIN_TOKEN": ADMIN_TOKEN, "QUERY_WORKERS": 1,
                          "QUERY_RESERVE": 1, **config})
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((server, thread, app))
        return EditingServer(f"http://127.0.0.1:{server.effective_port}", app)

    yield start
    for server, thread, app in started:
        stop_waitress(server, thread)
        app.extensions["clusterkg"].close()
        app.extensions["clusterkg_accounts"].close()
