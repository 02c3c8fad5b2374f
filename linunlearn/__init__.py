"""linunlearn: verify the theory of fine-tuning-based unlearning in linear regression.

Data
    Scenario            generative model: distinct / overlapping supports, teachers, noise
    Dataset             remaining and forgetting sets (generated or user arrays)
    DatasetBatch        a stack of data sets drawn from one scenario (Monte Carlo)
Models
    solve               one model, in closed form or by running gradient descent
    solve_all           several models on the same data
    route_deviation     largest gap between the analytic and numeric weights
    Solution            weights, method, options, mask, interpolation flag, GD run
    METHODS             the core method names solve knows
    available_methods   every method name, core and declared, in declaration order
    register_method     declare a method (a decorator): solve, compare and the
                        figures know it from that one declaration
    unregister_method   remove a declared method
    describe            a method's objective, update rule, source and options
Unlearning methods (declared by ``linunlearn.methods``)
    "minnorm_og", "salun", "deepclean", "ce_ft", "ice_ft", "kl_ft", "ga",
    "gdiff", "ngdiff", "icu", and the deletion baselines "newton",
    "certified", "pru", "ridge_downdate"
Comparison
    compare_methods     every method on the same data: metrics with intervals,
                        attacks and relearn time (``linunlearn.compare.compare``;
                        ``linunlearn compare``)
    Comparison          its result: text, JSON (to_dict) and LaTeX (to_latex)
Training
    gradient_descent         full-batch or mini-batch GD with loss history
    gradient_descent_steps   exact k-step GD iterate (early stopping, ridge penalty)
Metrics
    evaluate            remaining / unlearning / test losses, MIA efficacy
    average_gap         mean absolute metric difference to a reference (golden)
    squared_loss        ``(1/n) ||X w - y||^2`` on stacks of problems
Warnings
    LinunlearnWarning, IllConditionedWarning, NotConvergedWarning,
    NumericallyZeroWarning

Submodules imported on use (sympy and matplotlib load only there):
``linunlearn.verifier`` (``verify``: the claims on their regimes, the report),
``linunlearn.claims`` (the paper's claims C1-C8, each declared once),
``linunlearn.checks`` (how a statistic becomes a verdict),
``linunlearn.regimes`` (the named scenarios claims run on),
``linunlearn.families`` (ridge, noise, anisotropic, early-stopping and
underparameterised families of regimes: ``linunlearn verify --family``),
``linunlearn.theory`` (sympy derivations), ``linunlearn.symbolic`` (the
symbolic-check engine), ``linunlearn.proofs`` (the symbolic checks of claims
C1-C8), ``linunlearn.realdata`` (class-wise forgetting on the bundled
digits), ``linunlearn.streams`` (deletion requests one after another:
``linunlearn stream``), ``linunlearn.attacks`` (membership attacks on the
forgetting set), ``linunlearn.relearn`` (relearning an unlearned model),
``linunlearn.figures`` (every figure; matplotlib is imported there),
``linunlearn.montecarlo``, ``linunlearn.masks``, ``linunlearn.progress``,
``linunlearn.exercises`` (``check``: checked answers to the exercises
notebook) and ``linunlearn.explorer`` (the lecture's sliders: ``explore``,
``Explorer``; ipywidgets is imported there, from the ``notebook`` extra).
"""

from ._validation import (IllConditionedWarning, LinunlearnWarning, NotConvergedWarning,
                          NumericallyZeroWarning)
from .metrics import METRICS, average_gap, evaluate, squared_loss
from .scenarios import Dataset, DatasetBatch, Scenario
from .simulate import GDRun, gradient_descent, gradient_descent_steps
from .solutions import (METHODS, Solution, available_methods, describe, register_method,
                        route_deviation, solve, solve_all, unregister_method)
from . import methods  # noqa: F401  (declares the unlearning methods)
from .compare import Comparison
from .compare import compare as compare_methods

__version__ = "0.1.0"

__all__ = ["Scenario", "Dataset", "DatasetBatch", "solve", "solve_all", "route_deviation",
           "Solution", "METHODS", "available_methods", "register_method",
           "unregister_method", "describe", "gradient_descent", "gradient_descent_steps",
           "GDRun", "evaluate", "average_gap", "squared_loss", "METRICS",
           "LinunlearnWarning", "IllConditionedWarning", "NotConvergedWarning",
           "NumericallyZeroWarning",
           "compare_methods", "Comparison"]
