"""The README's commands are the ones CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(python3 -m venv[^\n]*)\n```", text)


def test_readme_has_one_run_and_one_test_command():
    commands = _commands()
    assert len(commands) == 2
    assert "clusterkg init" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci.splitlines()


def test_readme_sample_query_file_exists():
    for match in re.findall(r"@(data/queries/\S+\.rq)", (ROOT / "README.md").read_text(encoding="utf-8")):
        assert (ROOT / match).is_file(), match


def test_ci_turns_a_skip_into_a_failure(tmp_path):
    """.ci/run sets CI=true; then the hook in tests/conftest.py fails a skipped test."""
    import os
    import subprocess
    import sys

    assert "export CI=true" in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    (tmp_path / "test_skips.py").write_text(
        "import pytest\n\ndef test_needs_a_tool():\n    pytest.skip('the frobnicator binary is not installed')\n"
    )

    def run(ci: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT / "tests")}
        return subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
                               "-rs", "test_skips.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)

    under_ci = run("true")
    assert under_ci.returncode == 1, under_ci.stdout
    assert "skipped under CI=true" in under_ci.stdout and "frobnicator" in under_ci.stdout
    outside = run("")
    assert outside.returncode == 0 and "1 skipped" in outside.stdout, outside.stdout
