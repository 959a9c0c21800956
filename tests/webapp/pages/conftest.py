"""Fixtures: the app with the pages, on a private on-disk store holding the default dataset.

The default dataset is initialised once per session (about 10 s) and copied for each test
module, so a module that writes (the escaping tests) cannot disturb another.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from clusterkg.webapp import create_app
from clusterkg.webapp.pages import register


def make_app(template: Path, folder: Path) -> Flask:
    copy = Path(shutil.copytree(template, folder / "store"))
    app = create_app({"STORE": str(copy), "QUERY_WORKERS": 1, "TESTING": True})
    register(app)
    return app


@pytest.fixture(scope="session")
def app_factory():
    """``app_factory(template, folder)``: an app with the pages on a copy of ``template``."""
    return make_app


@pytest.fixture(scope="module")
def app(default_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = make_app(default_store_template, tmp_path_factory.mktemp("pages-app"))
    yield application
    application.extensions["clusterkg"].close()


@pytest.fixture(scope="module")
def client(app: Flask):
    return app.test_client()


@pytest.fixture(scope="module")
def projection(app: Flask):
    with app.app_context():
        return app.extensions["clusterkg"].projections.get()
