"""Accounts, their rights and failed logins, in a SQLite file beside the store.

Why not in the RDF graph: the graph is public (``/sparql`` shows every named graph), and an
account holds password hashes, token hashes and e-mail addresses. So accounts live in their own
small SQLite database (``CLUSTERKG_ACCOUNTS``, by default ``<store>.accounts.sqlite3`` next to
the store directory — not inside it, where the store's generations are managed). Only the name
an editor chose appears in the graph, as the agent of the changes they make.

Passwords are hashed with Argon2id (argon2-cffi); invitation links and API tokens are random
(``secrets``) and kept only as SHA-256 hashes, so a copy of the file lets nobody log in.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from clusterkg.graph.errors import ClusterKGError, InvalidInput
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.sheets import check_id

__all__ = ["Account", "AccountStore", "MIN_PASSWORD", "INVITATION_DAYS", "TooManyFailures"]

MIN_PASSWORD = 10
"""Shortest password accepted (characters)."""
INVITATION_DAYS = 7
"""How long an invitation link stays valid."""
FAILURE_WINDOW = 15 * 60
"""Failed logins are counted over this many seconds ..."""
MAX_FAILURES_ACCOUNT = 5
"""... and at most this many per account ..."""
MAX_FAILURES_ADDRESS = 20
"""... and this many per client address are allowed before logins are refused for a while."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    password_hash TEXT, is_admin INTEGER NOT NULL DEFAULT 0,
    invitation_hash TEXT UNIQUE, invitation_expires REAL, api_token_hash TEXT UNIQUE, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rights (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, cluster TEXT NOT NULL,
    PRIMARY KEY (user_id, cluster));
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_hasher = PasswordHasher()


class TooManyFailures(ClusterKGError):
    """Too many failed logins for this account or address; try again later."""

    status = 429

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
        super().__init__(reason(N_("too many failed logins; try again in %(seconds)s seconds"), seconds=retry_after))


@dataclass(frozen=True)
class Account:
    """A person who may log in: what Flask-Login calls a user."""

    id: int
    email: str
    name: str
    is_admin: bool
    clusters: frozenset[str]
    active: bool  # has set a password

    # Flask-Login's user protocol
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_email(email: str) -> str:
    email = email.strip()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in email) or len(email) > 254:
        raise InvalidInput(reason(N_("%(email)s is not an e-mail address"), email=repr(email)))
    return email.lower()


class AccountStore:
    """The accounts database; one connection shared by the app's threads, behind a lock."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _rows(self, sql: str, args: Iterable = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def _write(self, statements: list[tuple[str, tuple]]) -> None:
        """Run ``statements`` as one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._db.execute(sql, args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- the app's secret key (signs the session cookie and CSRF tokens)

    def secret_key(self) -> str:
        """A random key made once and kept, so sessions survive a restart."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('secret_key', ?)", (secrets.token_hex(32),))
            return self._db.execute("SELECT value FROM meta WHERE key = 'secret_key'").fetchone()[0]

    # -- accounts

    def _account(self, where: str, args: tuple) -> Account | None:
        rows = self._rows(f"SELECT id, email, name, is_admin, password_hash IS NOT NULL FROM users WHERE {where}", args)
        if not rows:
            return None
        uid, email, name, admin, active = rows[0]
        clusters = frozenset(r[0] for r in self._rows("SELECT cluster FROM rights WHERE user_id = ?", (uid,)))
        return Account(uid, email, name, bool(admin), clusters, bool(active))

    def get(self, user_id: int | str) -> Account | None:
        try:
            return self._account("id = ?", (int(user_id),))
        except ValueError:
            return None

    def by_email(self, email: str) -> Account | None:
        return self._account("email = ?", (email.strip().lower(),))

    def accounts(self) -> list[Account]:
        return [self.get(r[0]) for r in self._rows("SELECT id FROM users ORDER BY email")]

    def invite(self, email: str, *, clusters: Iterable[str] = (), admin: bool = False,
               name: str | None = None) -> str:
        """Create the account (or renew its invitation, adding rights); return the one-time token.

        The token is shown once (in the link) and kept only as a hash; a new invitation
        replaces the old one, and a person who already has a password sets a new one with it.
        """
        email = _check_email(email)
        clusters = sorted(set(clusters))
        for cluster in clusters:
            try:
                check_id(cluster)
            except ValueError as error:
                raise InvalidInput(reason(N_("cluster %(cluster)s: %(error)s"), cluster=repr(cluster), error=str(error))) from None
        shown = (name or email.split("@")[0]).strip()
        if not shown or len(shown) > 100:
            raise InvalidInput(reason(N_("a name needs 1 to 100 characters")))
        token = secrets.token_urlsafe(32)
        expires = time.time() + INVITATION_DAYS * 86400
        statements = [
            ("INSERT INTO users (email, name, is_admin, created) VALUES (?, ?, ?, ?) ON CONFLICT(email) DO NOTHING",
             (email, shown, int(admin), time.time())),
            ("UPDATE users SET invitation_hash = ?, invitation_expires = ?, is_admin = MAX(is_admin, ?) WHERE email = ?",
             (_digest(token), expires, int(admin), email)),
        ]
        statements += [("INSERT OR IGNORE INTO rights SELECT id, ? FROM users WHERE email = ?", (c, email))
                       for c in clusters]
        self._write(statements)
        return token

    def invited(self, token: str) -> Account | None:
        """The account an unexpired invitation token belongs to."""
        return self._account("invitation_hash = ? AND invitation_expires > ?", (_digest(token), time.time()))

    def accept(self, token: str, password: str) -> Account:
        """Set the password of the invited account; the token is used up."""
        account = self.invited(token)
        if account is None:
            raise InvalidInput(reason(N_("this invitation link is unknown, used or expired; ask for a new one")))
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(reason(N_("the password needs at least %(count)s characters"), count=MIN_PASSWORD))
        self._write([("UPDATE users SET password_hash = ?, invitation_hash = NULL, invitation_expires = NULL "
                      "WHERE id = ?", (_hasher.hash(password), account.id))])
        return self.get(account.id)

    def authenticate(self, email: str, password: str, address: str) -> Account | None:
        """The account if the password is right; failures are counted per account and address.

        Raises :class:`TooManyFailures` (before looking at the password) while either has had
        too many recent failures.
        """
        email = email.strip().lower()
        keys = (f"account:{email}", f"address:{address}")
        now = time.time()
        self._write([("DELETE FROM failures WHERE at < ?", (now - FAILURE_WINDOW,))])
        for key, limit in zip(keys, (MAX_FAILURES_ACCOUNT, MAX_FAILURES_ADDRESS)):
            rows = self._rows("SELECT COUNT(*), MIN(at) FROM failures WHERE key = ?", (key,))
            if rows[0][0] >= limit:
                raise TooManyFailures(max(1, int(rows[0][1] + FAILURE_WINDOW - now) + 1))
        stored = self._rows("SELECT id, password_hash FROM users WHERE email = ?", (email,))
        try:
            ok = bool(stored and stored[0][1]) and _hasher.verify(stored[0][1], password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            self._write([("INSERT INTO failures VALUES (?, ?)", (key, now)) for key in keys])
            return None
        return self.get(stored[0][0])

    def new_api_token(self, user_id: int) -> str:
        """A fresh personal API token (the old one stops working); shown once."""
        token = "ckg_" + secrets.token_urlsafe(32)
        self._write([("UPDATE users SET api_token_hash = ? WHERE id = ?", (_digest(token), user_id))])
        return token

    def by_api_token(self, token: str) -> Account | None:
        if not token.startswith("ckg_"):
            return None
        account = self._account("api_token_hash = ?", (_digest(token),))
        return account if account is not None and account.active else None
