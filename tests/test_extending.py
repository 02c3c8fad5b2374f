"""One declaration is enough: a method, a claim or a figure of a user's is picked up everywhere."""

import numpy as np
import pytest

import linunlearn as lu
from linunlearn import checks, claims, compare, figures, verifier


@pytest.fixture
def toy_method():
    @lu.register_method("toy_shrink")
    def toy_shrink(data, *, numeric, factor=0.9):
        """Toy: the golden model shrunk by ``factor``.

        Parameters
        ----------
        factor : float, default 0.9
        """
        return {"w": factor * lu.solve(data, "golden", numeric=numeric).w}

    yield "toy_shrink"
    lu.unregister_method("toy_shrink")
    assert "toy_shrink" not in lu.available_methods()


def test_a_toy_method_is_in_solve_describe_compare_and_method_gaps(toy_method):
    data = lu.Scenario.overlapping(8, 6, 2, 3, 2).sample(rng=0)
    sol = lu.solve(data, toy_method, factor=1.0)
    assert np.allclose(sol.w, lu.solve(data, "golden").w) and sol.interpolates
    assert lu.describe(toy_method).startswith("Toy: the golden model shrunk")
    with pytest.raises(ValueError, match=r"unknown option\(s\) speed .* allowed: factor"):
        lu.solve(data, toy_method, speed=2)
    # compare's default rows come from the declarations
    assert ("toy_shrink", toy_method, {}) in compare.default_methods()
    res = lu.compare_methods({"tiny": lu.Scenario.distinct(8, 6, 3, 2)}, n_trials=2)
    assert "toy_shrink" in res.methods
    assert res.cells["tiny"]["toy_shrink"]["gap_to_golden"].estimate > 0
    # the method_gaps figure computes and draws it, with a style of its own
    data = figures.compute_method_gaps(quick=True)
    assert "toy_shrink" in data.methods
    style = figures.method_style(toy_method)
    assert style["label"] == "toy_shrink" and style["color"] and style["marker"]
    fig = figures.render("method_gaps", data)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "toy_shrink" in labels


def test_a_method_declaration_is_checked():
    with pytest.raises(ValueError, match="method name 'golden' is taken"):
        lu.register_method("golden", lambda data, *, numeric: {"w": None})
    with pytest.raises(TypeError, match="must take the keyword argument 'numeric'"):
        lu.register_method("nope", lambda data: {"w": None})
    with pytest.raises(ValueError, match="core method and cannot be removed"):
        lu.unregister_method("finetune")


def test_a_toy_claim_is_run_by_verify_and_can_fail():
    def nonzero_golden_gap(batch, models=None):
        w = (models or claims.paper_models)(batch, "golden", "projection")
        return np.linalg.norm(w["golden"] - w["projection"], axis=-1) + 1.0

    toy = claims.Claim("T1", "Golden differs from the projection (false: C7).",
                       (checks.Check("T1.gap", nonzero_golden_gap, "nonpositive",
                                     "E[||w_g - P_r w_o|| + 1] <= 0"),),
                       regimes=("overlap",))
    claims.declare(toy)
    try:
        assert "T1" in [r.key for r in verifier.verify(trials=20, disparity_map=False)
                        .results]
        (result,) = verifier.verify(["T1"], trials=20).results
        assert result.verdict == "fails" and result.checks[0].estimate["mean"] > 0.99
        with pytest.raises(ValueError, match="declared already"):
            claims.declare(toy)
    finally:
        claims.undeclare("T1")
    assert "T1" not in claims.CLAIMS
