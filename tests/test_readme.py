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
