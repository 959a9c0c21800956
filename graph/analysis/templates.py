"""Value-chain templates: named sets of required competencies, kept as data, for the target lens.

A template says what a cluster needs to cover a value chain or a project ("a semiconductor
value chain needs wafers, front-end fabrication, packaging, ..."); the gap analysis
(:mod:`clusterkg.graph.analysis.gaps`) lists the required competencies a cluster lacks.

Templates live in CSV files with one row per required competency and these columns
(``*`` = required; unknown columns are an error, as in every sheet of ``data/``):

================  =============================================================================
``template`` *    the template's id, a slug (``semiconductors``); one file can hold several
``template_label``* its human name, the same on every row of the template
``step`` *        the step of the value chain the competency belongs to (``Front-end fabrication``)
``competency`` *  a competency id from ``data/sheets/competencies.csv``
``weight`` *      how much the step needs it, a number > 0 (1 = essential is the usual scale)
``source_url``    the public page(s) the requirement comes from, ``|``-separated http(s) URLs
``source_quote``  a short quote from that page
================  =============================================================================

The bundled templates are ``data/templates/value_chains.csv`` (read through
``importlib.resources``); a user's own file is read from a path.

>>> import tempfile, pathlib
>>> folder = tempfile.mkdtemp()
>>> path = pathlib.Path(folder) / "mine.csv"
>>> _ = path.write_text("template,template_label,step,competency,weight,source_url,source_quote\\n"
...                     "chips,Chip line,Fab,semiconductor-foundry,1,https://example.org/a,\\n"
...                     "chips,Chip line,Test,cleanroom-technology,0.5,,\\n", encoding="utf-8")
>>> template = load_template(path)
>>> template.id, template.label, [(r.step, r.competency, r.weight) for r in template.requirements]
('chips', 'Chip line', [('Fab', 'semiconductor-foundry', 1.0), ('Test', 'cleanroom-technology', 0.5)])
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from clusterkg.graph.errors import InvalidInput, NotFound

__all__ = ["Requirement", "Template", "list_templates", "load_template", "read_templates", "PACKAGED_TEMPLATES"]

#: the bundled template file, inside package ``clusterkg.data``
PACKAGED_TEMPLATES = ("templates", "value_chains.csv")

REQUIRED_COLUMNS = ("template", "template_label", "step", "competency", "weight")
OPTIONAL_COLUMNS = ("source_url", "source_quote")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class Requirement:
    """One required competency of a template, with the row it came from (for messages)."""

    step: str
    competency: str  # competency id
    weight: float
    source_url: str = ""
    source_quote: str = ""
    row: int = 0


@dataclass(frozen=True)
class Template:
    """A named set of required competencies with weights, grouped in value-chain steps."""

    id: str
    label: str
    requirements: tuple[Requirement, ...]
    source: str = ""  # the file it was read from (``packaged`` for the bundled one)

    @property
    def steps(self) -> list[str]:
        """The steps in the order the file lists them."""
        return list(dict.fromkeys(r.step for r in self.requirements))

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "label": self.label,
            "source": self.source,
            "requirements": [
                {"step": r.step, "competency": r.competency, "weight": r.weight,
                 "source_url": r.source_url, "source_quote": r.source_quote}
                for r in self.requirements
            ],
        }


def read_templates(text: str, file_name: str = "<templates>") -> dict[str, Template]:
    """Parse template CSV text into templates by id; a malformed cell raises with row and column.

    >>> read_templates("template,template_label,step,competency,weight\\nx,X,S,c,abc\\n", "t.csv")
    Traceback (most recent call last):
    ...
    clusterkg.graph.errors.InvalidInput: t.csv: row 2: weight: not a number: 'abc'
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(f"{file_name}: row 1: missing column(s): {', '.join(missing)} "
                           f"(a template file has columns {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})")
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InvalidInput(f"{file_name}: row 1: unknown column(s): {', '.join(unknown)}")
    reader.fieldnames = header
    rows: dict[str, list[Requirement]] = {}
    labels: dict[str, str] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            raise InvalidInput(f"{file_name}: row {number}: more cells than columns")
        row = {key: (value or "").strip() for key, value in raw.items()}
        if not any(row.values()):
            continue  # blank spreadsheet lines are harmless

        def fail(column: str, problem: str) -> InvalidInput:
            return InvalidInput(f"{file_name}: row {number}: {column}: {problem}")

        for column in REQUIRED_COLUMNS:
            if not row.get(column):
                raise fail(column, "empty (required)")
        for column in ("template", "competency"):
            if not _SLUG.match(row[column]):
                raise fail(column, f"not an id (lowercase letters, digits and '-'): {row[column]!r}")
        try:
            weight = float(row["weight"])
        except ValueError:
            raise fail("weight", f"not a number: {row['weight']!r}") from None
        if not math.isfinite(weight) or weight <= 0:
            raise fail("weight", f"must be a number > 0, not {row['weight']!r}")
        urls = [u.strip() for u in row.get("source_url", "").split("|") if u.strip()]
        bad = [u for u in urls if not _URL.match(u)]
        if bad:
            raise fail("source_url", f"not an http(s) URL: {bad[0]!r}")
        template = row["template"]
        if labels.setdefault(template, row["template_label"]) != row["template_label"]:
            raise fail("template_label", f"{row['template_label']!r} differs from {labels[template]!r} given earlier for template {template!r}")
        key = (template, row["competency"])
        if key in seen:
            raise fail("competency", f"{row['competency']!r} is already required by template {template!r} in row {seen[key]}")
        seen[key] = number
        rows.setdefault(template, []).append(Requirement(
            step=row["step"], competency=row["competency"], weight=weight,
            source_url=" | ".join(urls), source_quote=row.get("source_quote", ""), row=number))
    if not rows:
        raise InvalidInput(f"{file_name}: no template rows")
    return {t: Template(t, labels[t], tuple(reqs), file_name) for t, reqs in rows.items()}


def _packaged_text() -> str | None:
    entry = resources.files("clusterkg.data").joinpath(*PACKAGED_TEMPLATES)
    if not entry.is_file():
        return None
    return entry.read_text(encoding="utf-8")


def _packaged() -> dict[str, Template]:
    text = _packaged_text()
    if text is None:
        return {}
    return read_templates(text, "packaged:" + "/".join(PACKAGED_TEMPLATES))


def list_templates() -> list[Template]:
    """The bundled templates, sorted by id (empty if the bundled file is absent)."""
    return [template for _, template in sorted(_packaged().items())]


def load_template(name_or_path: str | Path, template: str | None = None) -> Template:
    """A bundled template by id (or label), or the template in a CSV file.

    ``name_or_path`` is read as a file when it is a :class:`~pathlib.Path`, ends in ``.csv``
    or names an existing file; a file with several templates needs ``template`` to pick one.
    Raises :class:`NotFound` (listing the available templates) or :class:`InvalidInput`.
    """
    text = str(name_or_path).strip()
    if isinstance(name_or_path, Path) or text.lower().endswith(".csv") or Path(text).is_file():
        path = Path(text)
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(f"cannot read template file {text}: {error}") from error
        found = read_templates(content, str(path))
        if template is not None:
            return _pick(found, template)
        if len(found) > 1:
            raise InvalidInput(f"{path} holds several templates ({', '.join(sorted(found))}); choose one by name")
        return next(iter(found.values()))
    if template is not None and template != text:
        raise InvalidInput(f"two template names given: {text!r} and {template!r}")
    return _pick(_packaged(), text)


def _pick(found: dict[str, Template], name: str) -> Template:
    wanted = name.strip()
    if wanted in found:
        return found[wanted]
    by_label = [t for t in found.values() if t.label.casefold() == wanted.casefold()]
    if len(by_label) == 1:
        return by_label[0]
    available = [f"{t.id} ({t.label})" for _, t in sorted(found.items())]
    if not available:
        raise NotFound("template", name, ["(no bundled templates; give a file with --template-file)"])
    raise NotFound("template", name, available)
