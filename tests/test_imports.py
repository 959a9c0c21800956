"""Every module of the package imports on its own, first, in a fresh interpreter.

An import cycle hides when the modules happen to be imported in a lucky order (``clusterkg.cli``
first); it shows when a module is the first one imported, as in a notebook or a worker
process. One subprocess imports each module in turn, dropping every ``clusterkg`` module from
``sys.modules`` before the next, so each starts from nothing of ours (third-party libraries stay
loaded, which keeps this quick and cannot hide a cycle of ours).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent

PROBE = r"""
import importlib, json, pkgutil, sys, traceback
packages = json.loads(sys.argv[1])
failures = {}
def fresh():
    for name in [m for m in sys.modules if m == "clusterkg" or m.startswith("clusterkg.")]:
        del sys.modules[name]
modules = []
for package in packages:
    modules.append(package)
    fresh()
    path = importlib.import_module(package).__path__
    modules += [package + "." + m.name for m in pkgutil.iter_modules(path)
                if not m.ispkg and m.name != "__main__"]
for name in modules:
    fresh()
    try:
        importlib.import_module(name)
    except Exception:
        failures[name] = traceback.format_exc(limit=-3)
print(json.dumps({"imported": modules, "failures": failures}))
"""


def test_every_module_imports_first_in_a_fresh_interpreter():
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(packages)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["failures"] == {}, "\n".join(f"{k}:\n{v}" for k, v in report["failures"].items())
    assert {"clusterkg.cli", "clusterkg.commands.identify", "clusterkg.graph.store",
            "clusterkg.webapp.sparql"} <= set(report["imported"])
    assert len(report["imported"]) > 60
