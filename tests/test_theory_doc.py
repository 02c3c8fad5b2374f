"""docs/theory.md, the statement of the theory, has the structure others cite.

Docstrings and proofs refer to it by section number ("docs/theory.md, 5, C2"),
so the numbered sections and the per-claim subsections must stay where they
are, and every claim the verifier knows must have its subsection.
"""

import os
import re

import pytest

from linunlearn.claims import CLAIMS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THEORY = os.path.join(ROOT, "docs", "theory.md")

SECTIONS = {
    1: "The data model",
    2: "Training is gradient descent to convergence",
    3: "Losses and metrics",
    4: "Masks",
    5: "The claims",
    6: "Beyond the paper",
    7: "Unlearning methods of the literature in the linear model",
    8: "How the verifier decides",
    9: "Deletion baselines, streams and relearning",
}


@pytest.fixture(scope="module")
def lines():
    assert os.path.isfile(THEORY), "docs/theory.md is missing"
    with open(THEORY, encoding="utf-8") as fh:
        return fh.read().splitlines()


def _headings(lines, level):
    """Heading texts of one level, outside fenced code blocks."""
    out, fenced = [], False
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(rf"#{{{level}}} ", line):
            out.append(line[level + 1:].strip())
    return out


def test_one_title(lines):
    assert len(_headings(lines, 1)) == 1
    assert lines[0].startswith("# ")


def test_numbered_sections_in_order(lines):
    numbered = [h for h in _headings(lines, 2) if re.match(r"\d+\. ", h)]
    assert numbered == [f"{n}. {title}" for n, title in SECTIONS.items()]


@pytest.mark.parametrize("claim_id", [f"C{i}" for i in range(0, 9)])
def test_claim_subsection_exists_once(lines, claim_id):
    assert _headings(lines, 3).count(claim_id) == 1, f"### {claim_id} missing or repeated"


def test_claim_subsections_are_in_section_5_in_order(lines):
    sections = [i for i, line in enumerate(lines) if re.match(r"## \d+\. ", line)]
    start, end = sections[4], sections[5]
    inside = [line[4:].strip() for line in lines[start:end] if line.startswith("### ")]
    assert inside == [f"C{i}" for i in range(0, 9)]


def test_every_registered_claim_has_its_subsection(lines):
    ids = {claim.id for claim in CLAIMS.values()}
    assert ids, "linunlearn.claims.CLAIMS is empty"
    missing = sorted(ids - set(_headings(lines, 3)))
    assert not missing, f"claims without a subsection in docs/theory.md: {missing}"


def test_only_heading_levels_one_to_three(lines):
    fenced = False
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            assert not line.startswith("####"), line


def test_paths_it_names_exist_in_the_repository(lines):
    """Every file it names (``proofs/C2.md``, ``figures/x.pdf``) is in the repository."""
    text = "\n".join(lines)
    paths = set(re.findall(r"[\w./-]+\.(?:md|pdf|png|py)\b", text))
    for path in paths:
        assert not path.startswith(".."), path
        assert os.path.exists(os.path.join(ROOT, path)), path
