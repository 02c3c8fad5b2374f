"""Deletion streams: the API, what theory predicts along them (claims S1-S4), the CLI."""

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

import linunlearn as lu
from linunlearn import streams, verifier
from linunlearn.cli import main
from linunlearn.families import ridge_fit
from linunlearn.regimes import DEFAULT_REGIMES, Regime

#: Closed forms of the same model by two routes agree to ~1e-13 here.
RTOL = 1e-10

#: A regime where the pretrained model does not interpolate (more rows than
#: features, noisy labels): the premises of S1-S3 fail, and so do the claims.
NOT_INTERPOLATING = Regime("noisy-underparameterized",
                           lu.Scenario.overlapping(10, 8, 4, 30, 15, sigma=0.5))


@pytest.fixture(scope="module")
def data():
    return DEFAULT_REGIMES["overlap"].scenario.sample(rng=5)


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_split_and_request_data(data):
    groups = streams.split_requests(15, 4)
    assert [len(g) for g in groups] == [4, 4, 4, 3]
    assert np.array_equal(np.concatenate(groups), np.arange(15))
    req = streams.request_data(data, groups, 1)
    assert req.n_r == data.n_r + 7 and req.n_f == 4
    assert_allclose(req.X_f, data.X_f[4:8])
    assert_allclose(req.X_r[data.n_r:], data.X_f[8:])
    # the remaining support of an early request still holds forgetting features
    assert req.support_r.sum() > data.support_r.sum()
    with pytest.raises(ValueError, match="k, the number of requests, must be at most "
                                         "n_f = 15"):
        streams.split_requests(15, 16)
    with pytest.raises(ValueError, match="k must be >= 1"):
        streams.split_requests(15, 0)


def test_the_first_request_is_solve_on_its_data(data):
    # the core models' closed forms applied to w_o are what solve computes
    groups = streams.split_requests(data.n_f, 3)
    req = streams.request_data(data, groups, 0)
    for method, options in [("finetune", {}), ("projection", {}), ("rbm", {}),
                            ("fbm", {}), ("golden", {}),
                            ("rbm", {"semantics": "freeze"}),
                            ("fbm", {"saliency": "gradient", "ratio": 0.2}),
                            ("masked", {"mask": data.support_r})]:
        if method == "rbm" and options.get("semantics") == "freeze":
            # RBM freeze updates only weights X_r never uses: both warn
            with pytest.warns(lu.IllConditionedWarning, match="no nonzero column"):
                stream = streams.delete_stream(data, method, 3, **options)
                expected = lu.solve(req, method, **options).w
        else:
            stream = streams.delete_stream(data, method, 3, **options)
            expected = lu.solve(req, method, **options).w
        assert _rel(stream.models[0], expected) < RTOL, (method, options)


def test_methods_with_init_continue_from_the_previous_model(data):
    s = streams.delete_stream(data, "kl_ft", 3, steps=5)
    w = None
    for j in range(3):
        req = streams.request_data(data, s.groups, j)
        w = (lu.solve(req, "kl_ft", steps=5) if j == 0 else
             lu.solve(req, "kl_ft", steps=5, init=w)).w
        assert_allclose(s.models[j], w, rtol=1e-12, atol=1e-14)


def test_known_streams(data):
    # golden is golden; pretrained never deletes; fine-tuning never moves (S2)
    assert streams.delete_stream(data, "golden", 5).distance.max() < 1e-12
    w_o = lu.solve(data, "pretrained").w
    for method in ("pretrained", "finetune"):
        s = streams.delete_stream(data, method, 5)
        assert max(_rel(w, w_o) for w in s.models) < 1e-12
    # RBM resets only features no remaining row uses: with forgetting rows
    # still there it is fine-tuning, at the last request one-shot RBM
    rbm, ft = (streams.delete_stream(data, m, 5) for m in ("rbm", "finetune"))
    assert_allclose(rbm.models[:-1], ft.models[:-1], atol=1e-12)
    assert _rel(rbm.models[-1], lu.solve(data, "rbm").w) < RTOL
    # the distances are to the golden model of what remains
    assert_allclose(ft.distance, [np.linalg.norm(ft.models[j] - ft.goldens[j])
                                  for j in range(5)])
    assert ft.n_remaining.tolist() == [42, 39, 36, 33, 30]


def test_newton_and_the_downdate_stay_exact_and_one_row_per_request(data):
    for method, options in [("newton", {"lam": 0.01}), ("ridge_downdate", {"alpha": 0.5}),
                            ("ridge_downdate", {"alpha": 0.0})]:
        s = streams.delete_stream(data, method, data.n_f, **options)   # 15 requests
        for j, w in enumerate(s.models):
            req = streams.request_data(data, s.groups, j)
            lam = options.get("lam", options.get("alpha", 0.0) / req.n_r)
            assert _rel(w, ridge_fit(req.X_r, req.y_r, lam)) < 1e-9, (method, j)


def test_stream_errors(data):
    with pytest.raises(ValueError, match="method 'certified' cannot continue from the "
                                         "previous request's model"):
        streams.delete_stream(data, "certified", 2)
    assert streams.delete_stream(data, "certified", 1).models.shape == (1, data.d)
    with pytest.raises(ValueError, match="groups must split the rows 0..14"):
        streams.delete_stream(data, "finetune", groups=[[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="method must be one of"):
        streams.delete_stream(data, "nope", 2)
    with pytest.raises(ValueError, match="option.s. lr of 'rbm' are for gradient descent"):
        streams.delete_stream(data, "rbm", 2, lr=0.1)
    with pytest.raises(TypeError, match="data must be a linunlearn.Dataset"):
        streams.delete_stream({"X_r": 1}, "finetune", 2)


def test_multi_output_streams():
    rng = np.random.default_rng(2)
    X_r, X_f = rng.standard_normal((6, 30)), rng.standard_normal((6, 30))
    Y_r, Y_f = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    data = lu.Dataset(X_r, Y_r, X_f, Y_f)
    for method in ("projection", "ridge_downdate"):
        s = streams.delete_stream(data, method, 3, **({"alpha": 0.0} if method != "projection" else {}))
        assert s.models.shape == (3, 30, 3) and s.relative_distance.max() < 1e-10


# --------------------------------------------------------------------- claims

def test_stream_claims_hold_in_the_default_regimes():
    report = verifier.verify(claims=list(streams.STREAM_CLAIMS), trials=10)
    assert {r.key for r in report.results} == {"S1", "S2", "S3", "S4"}
    assert all(r.verdict == "holds" for r in report.results), verifier.format_report(report)
    assert not report.failed_expected


@pytest.mark.parametrize("claim", streams.STREAM_CLAIMS[:3], ids=lambda c: c.id)
def test_interpolation_claims_fail_where_w_o_does_not_interpolate(claim):
    assert claim.premise(NOT_INTERPOLATING.scenario) is not None
    result = verifier.check_claim(claim, NOT_INTERPOLATING, trials=5)
    assert result.verdict == "fails", result.checks[0].estimate
    assert result.checks[0].estimate["max"] > 1e-3


def test_the_exactness_claim_fails_for_an_inexact_stream():
    # a runner that serves every request with PRU instead: not ridge retraining
    def wrong(data, method, k, **options):
        return streams.delete_stream(data, "pru", k)
    result = verifier.check_claim(streams.STREAM_CLAIMS[3], DEFAULT_REGIMES["overlap"],
                                  trials=5, models=wrong)
    assert result.verdict == "fails" and result.checks[0].estimate["max"] > 0.01


# ---------------------------------------------------------------- table, CLI

def test_stream_table_is_reproducible_and_shares_the_draws():
    a = streams.stream_table(["finetune", ("p", "projection", {})], "distinct", k=3,
                             n_trials=4, seed=2)
    b = streams.stream_table(["finetune"], "distinct", k=3, n_trials=4, seed=2)
    assert np.array_equal(a.cells["finetune"].estimate, b.cells["finetune"].estimate)
    assert a.cells["p"].estimate.max() < 1e-10
    # fine-tuning's error grows with every request (S3)
    assert np.all(np.diff(a.cells["finetune"].estimate) > 0)
    blob = json.loads(json.dumps(a.to_dict()))
    assert blob["methods"]["p"]["method"] == "projection" and len(blob["methods"]["p"]["mean"]) == 3
    text = a.format_text()
    assert "after 3" in text and "finetune" in text.splitlines()[2]
    with pytest.raises(ValueError, match="regime: unknown regime 'x'"):
        streams.stream_table(regime="x")
    with pytest.raises(ValueError, match="methods: unknown method 'x'"):
        streams.stream_table(["x"])


def test_cli_stream(capsys):
    assert main(["stream", "--methods", "finetune", "projection", "--requests", "3",
                 "--trials", "3", "--json"]) == 0
    blob = json.loads(capsys.readouterr().out)
    assert blob["k"] == 3 and set(blob["methods"]) == {"finetune", "projection"}
    assert main(["stream", "--methods", "golden", "--requests", "2", "--trials", "2",
                 "--quiet"]) == 0
    assert "after 2" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["stream", "--requests", "99", "--trials", "2", "--quiet"])
    assert "the number of requests, must be at most n_f = 15" in capsys.readouterr().err


def test_figure_data():
    f = streams.compute_stream_figure(0, quick=True)
    j = {m: i for i, m in enumerate(f.methods)}
    assert f.mean.shape == (len(f.methods), 5) and f.requests.tolist() == [1, 2, 3, 4, 5]
    assert f.mean[j["projection"]].max() < 1e-10
    assert np.all(np.diff(f.mean[j["finetune"]]) > 0)


def test_cli_stream_claims_and_exit_status(capsys, monkeypatch):
    assert main(["stream", "--methods", "projection", "--requests", "2", "--trials", "3",
                 "--claims", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "S4     full-overlap" in out and "12 hold, 0 fail" in out
    assert main(["stream", "--methods", "projection", "--requests", "2", "--trials", "3",
                 "--claims", "--json"]) == 0
    blob = json.loads(capsys.readouterr().out)
    assert {c["id"] for c in blob["claims"]} == {"S1", "S2", "S3", "S4"}
    # a claim that fails: exit status 1
    from linunlearn.checks import Check
    from linunlearn.claims import Claim
    false = Claim("S9", "fine-tuning is golden", (Check(
        "S9.false", lambda batch, models=None: np.ones(batch.n_trials), "identity",
        "1 <= 1e-8", tolerance=1e-8),), regimes=("overlap",))
    monkeypatch.setattr(streams, "STREAM_CLAIMS", (false,))
    assert main(["stream", "--methods", "projection", "--requests", "2", "--trials", "3",
                 "--claims", "--quiet"]) == 1
    assert "CONTRADICTED (expected to hold and failed, or predicted to fail and held): " \
        "S9@overlap" in capsys.readouterr().out
