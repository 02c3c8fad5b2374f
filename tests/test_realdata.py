"""Real data: class-wise forgetting of one digit, one-hot targets, measured overlap."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn import realdata as rd


@pytest.fixture(scope="module")
def problem():
    return rd.digits_forgetting(3, n_train=300, n_features=600, rng=1)


def test_split_and_one_hot_targets(problem):
    p = problem
    assert p.overparameterised
    assert set(p.labels_f.tolist()) == {3} and 3 not in set(p.labels_r.tolist())
    assert set(p.labels_test_f.tolist()) == {3}
    assert_allclose(p.Y_r.sum(axis=1), 1.0)
    assert_allclose(p.Y_r.argmax(axis=1), p.labels_r)
    assert p.X_r.shape[0] + p.X_f.shape[0] == 300 and p.X_r.shape[1] == 600
    assert np.all(p.Y_r[:, 3] == 0)  # the remaining data never shows class 3


def test_same_seed_same_arrays():
    a = rd.digits_forgetting(5, n_train=100, n_features=150, rng=4)
    b = rd.digits_forgetting(5, n_train=100, n_features=150, rng=4)
    assert_allclose(a.X_r, b.X_r, rtol=0, atol=0)
    c = rd.digits_forgetting(5, n_train=100, n_features=150, rng=5)
    assert not np.array_equal(a.labels_r, c.labels_r)


def test_paper_claims_on_digits(problem):
    """C2, C6 and C7 on real data, jointly over the ten one-hot outputs."""
    data = problem.dataset()
    W = {m: lu.solve(data, m).w for m in lu.solve_all(data)}
    scale = np.linalg.norm(W["pretrained"])
    # Gram matrices here have condition numbers near 1e4-1e5: 1e-8 relative
    assert np.linalg.norm(W["finetune"] - W["pretrained"]) <= 1e-8 * scale    # C2
    assert np.linalg.norm(W["projection"] - W["golden"]) <= 1e-8 * scale      # C7
    assert problem.overlap()["overlap_ratio"] == 1.0  # dense features...
    assert np.linalg.norm(W["rbm"] - W["finetune"]) <= 1e-8 * scale           # ...so C6
    # golden never saw a 3: its class-3 output is identically zero
    assert_allclose(W["golden"][:, 3], 0.0, atol=1e-12)
    assert rd.accuracy(problem.X_f, problem.labels_f, W["finetune"]) == 1.0
    assert rd.accuracy(problem.X_f, problem.labels_f, W["golden"]) == 0.0
    m_ft, m_g = lu.evaluate(data, W["finetune"]), lu.evaluate(data, W["golden"])
    assert m_ft["unlearning_loss"] < 1e-15 < 0.5 < m_g["unlearning_loss"]


def test_column_datasets_give_the_multi_output_columns(problem):
    W = lu.solve(problem.dataset(), "golden").w
    for j, data in enumerate(problem.column_datasets()):
        assert_allclose(W[:, j], lu.solve(data, "golden").w, rtol=1e-10, atol=1e-12)


def test_overlap_measured_from_the_data(problem):
    o = problem.overlap()
    assert o["d"] == 600 and 0.0 < o["subspace_overlap"] < 1.0
    raw = problem.overlap(raw=True)  # 64 pixels, more rows than pixels
    assert raw["d"] == 64 and raw["d_lap"] <= raw["d_f"] <= 64
    # an independent route: the projection from numpy's SVD pseudo-inverse
    P_Xf = problem.X_f @ np.linalg.pinv(problem.X_r) @ problem.X_r
    assert_allclose(o["subspace_overlap"],
                    np.sum(P_Xf ** 2) / np.sum(problem.X_f ** 2), rtol=1e-8)


def test_distinct_and_nested_overlap_values():
    X_r = np.zeros((2, 5)); X_r[:, :2] = [[1.0, 2.0], [0.0, 1.0]]
    X_f = np.zeros((1, 5)); X_f[0, 3:] = 1.0
    o = rd.feature_overlap(X_r, X_f)
    assert (o["d_lap"], o["overlap_ratio"], o["subspace_overlap"]) == (0, 0.0, 0.0)
    o = rd.feature_overlap(X_r, X_r[:1])
    assert o["overlap_ratio"] == 1.0 and o["subspace_overlap"] == pytest.approx(1.0)


def test_pixel_features_and_validation():
    p = rd.digits_forgetting(0, n_train=200, features="pixels", rng=0)
    assert p.X_r.shape[1] == 64 and not p.overparameterised
    with pytest.raises(ValueError, match="forget_class must be a digit"):
        rd.digits_forgetting(10)
    with pytest.raises(ValueError, match="n_train must be below"):
        rd.digits_forgetting(3, n_train=5000)
    with pytest.raises(ValueError, match="features must be one of"):
        rd.digits_forgetting(3, features="rbf")
    with pytest.raises(ValueError, match="labels must be a vector"):
        rd.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="X_f must have 3 columns"):
        rd.feature_overlap(np.ones((2, 3)), np.ones((2, 4)))


def test_deepclean_restores_the_pretrained_model_when_the_remaining_data_pin_it(problem):
    # Fewer selected features than remaining samples, full column rank, and w_o
    # fits D_r: refitting the reset weights on D_r gives them back exactly.
    data = problem.dataset()
    sol = lu.solve(data, "deepclean")
    selected = sol.info["n_selected"]
    assert 0 < selected < data.n_r
    assert np.linalg.matrix_rank(data.X_r[:, sol.mask]) == selected
    w_o = lu.solve(data, "pretrained").w
    assert_allclose(sol.w, w_o, rtol=0, atol=1e-8 * np.abs(w_o).max())
