"""Value-chain templates: the bundled file, users' own files, and every kind of malformed row."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterkg.graph.analysis.gaps import template_columns
from clusterkg.graph.analysis.templates import Template, list_templates, load_template, read_templates
from clusterkg.graph.errors import InvalidInput, NotFound

FIXTURE = Path(__file__).parents[2] / "data" / "templates" / "planted_chain.csv"
HEADER = "template,template_label,step,competency,weight,source_url,source_quote\n"


def test_bundled_templates_are_listed_and_sourced():
    templates = list_templates()
    assert len(templates) >= 1
    assert [t.id for t in templates] == sorted(t.id for t in templates)
    for template in templates:
        assert template.requirements and template.steps
        for requirement in template.requirements:
            assert 0 < requirement.weight <= 1, (template.id, requirement)
            assert requirement.source_url.startswith("http"), (template.id, requirement)  # nothing invented


def test_every_bundled_competency_exists_in_the_default_dataset(default_projection):
    for template in list_templates():
        columns, weights = template_columns(default_projection, template)
        assert len(columns) == len(template.requirements) == len(set(columns.tolist()))
        assert list(weights) == [r.weight for r in template.requirements]


def test_semiconductor_template_is_bundled():
    template = load_template("semiconductors")
    assert template.label == "Semiconductor value chain"
    assert "semiconductor-manufacturing" in {r.competency for r in template.requirements}
    assert load_template("Semiconductor value chain") == template  # by label too


def test_unknown_template_lists_the_available_ones():
    with pytest.raises(NotFound) as error:
        load_template("no-such-chain")
    message = str(error.value)
    assert "unknown template 'no-such-chain'" in message and "semiconductors" in message


def test_file_with_several_templates_needs_a_choice():
    with pytest.raises(InvalidInput, match="several templates .*other-chain, planted-chain"):
        load_template(FIXTURE)
    template = load_template(FIXTURE, "planted-chain")
    assert isinstance(template, Template)
    assert [(r.step, r.competency, r.weight) for r in template.requirements] == [
        ("Design", "alpha-skill", 1.0), ("Making", "xeno-tech", 1.0), ("Testing", "tera-tech", 0.5),
        ("Making", "narrow-xeno", 0.5)]
    assert template.steps == ["Design", "Making", "Testing"]
    assert template.requirements[1].row == 3 and template.requirements[1].source_quote == "making needs xeno"
    assert load_template(str(FIXTURE), "other-chain").requirements[0].competency == "yotta-tech"
    with pytest.raises(NotFound, match="other-chain"):
        load_template(FIXTURE, "missing")


def test_single_template_file_is_loaded_by_path(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(HEADER + "mine,Mine,Step,xeno-tech,2,,\n", encoding="utf-8")
    template = load_template(path)
    assert (template.id, template.source, template.requirements[0].weight) == ("mine", str(path), 2.0)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InvalidInput, match="cannot read template file"):
        load_template(tmp_path / "absent.csv")


@pytest.mark.parametrize(("rows", "expected"), [
    ("x,X,S,c,abc,,\n", "row 2: weight: not a number: 'abc'"),
    ("x,X,S,c,0,,\n", "row 2: weight: must be a number > 0"),
    ("x,X,S,c,-1,,\n", "row 2: weight: must be a number > 0"),
    ("x,X,S,c,nan,,\n", "row 2: weight: must be a number > 0"),
    ("x,X,,c,1,,\n", "row 2: step: empty (required)"),
    ("x,X,S,,1,,\n", "row 2: competency: empty (required)"),
    ("x,X,S,Bad Id,1,,\n", "row 2: competency: not an id"),
    ("X Y,X,S,c,1,,\n", "row 2: template: not an id"),
    ("x,X,S,c,1,ftp://a,\n", "row 2: source_url: not an http(s) URL"),
    ("x,X,S,c,1,,\nx,X,T,c,1,,\n", "row 3: competency: 'c' is already required by template 'x' in row 2"),
    ("x,X,S,c,1,,\nx,Other,S,d,1,,\n", "row 3: template_label: 'Other' differs from 'X'"),
    ("x,X,S,c,1,,,extra\n", "row 2: more cells than columns"),
    ("", "no template rows"),
])
def test_malformed_rows_name_row_and_column(rows, expected):
    with pytest.raises(InvalidInput) as error:
        read_templates(HEADER + rows, "t.csv")
    assert str(error.value).startswith("t.csv: ") and expected in str(error.value)


def test_header_problems():
    with pytest.raises(InvalidInput, match="row 1: missing column\\(s\\): weight"):
        read_templates("template,template_label,step,competency\nx,X,S,c\n", "t.csv")
    with pytest.raises(InvalidInput, match="row 1: unknown column\\(s\\): note"):
        read_templates("template,template_label,step,competency,weight,note\nx,X,S,c,1,n\n", "t.csv")


def test_blank_lines_are_skipped_and_bom_accepted():
    found = read_templates("\ufeff" + HEADER + "x,X,S,c,1,,\n,,,,,,\nx,X,T,d,0.5,https://a.example/x | https://b.example/y,q\n")
    assert [r.row for r in found["x"].requirements] == [2, 4]
    assert found["x"].requirements[1].source_url == "https://a.example/x | https://b.example/y"


def test_unknown_competency_is_reported_with_its_row(default_projection, tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text(HEADER + "t,T,S,semiconductor-manufacturing,1,,\nt,T,S,semiconducter-foundry,1,,\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="row 3: competency: 'semiconducter-foundry' is not a competency in the store"):
        template_columns(default_projection, load_template(path))
