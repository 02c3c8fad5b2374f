"""linunlearn: verify the theory of fine-tuning-based unlearning in linear regression.

Data
    Scenario            generative model: distinct / overlapping supports, teachers, noise
    Dataset             remaining and forgetting sets (generated or user arrays)
Models
    solve               one model, in closed form or by running gradient descent
    solve_all           several models on the same data
    route_deviation     largest gap between the analytic and numeric weights
    Solution            weights, method, options, mask, interpolation flag, GD run
    METHODS             the core method names solve knows
    available_methods   every method name, including registered ones
    register_method     add a method to solve (used by the method modules)
Unlearning methods (registered with solve by ``linunlearn.methods``)
    "salun", "deepclean", "ce_ft", "ice_ft", "kl_ft", "ga", "gdiff", "ngdiff",
    "icu", "minnorm_og"; ``linunlearn.methods.describe(name)`` gives a
    method's objective, update rule, source and options
Comparison
    compare_methods     every method on the same data: metrics with intervals
                        (``linunlearn.compare.compare``; ``linunlearn compare``)
    Comparison          its result: text, JSON (to_dict) and LaTeX (to_latex)
Training
    gradient_descent         full-batch or mini-batch GD with loss history
    gradient_descent_steps   exact k-step GD iterate (early stopping)
Metrics
    evaluate            remaining / unlearning / test losses, MIA efficacy
    average_gap         mean absolute metric difference to a reference (golden)
Warnings
    LinunlearnWarning, IllConditionedWarning, NotConvergedWarning

Submodules imported on use: ``linunlearn.theory`` (sympy derivations),
``linunlearn.symbolic`` (the symbolic-check engine), ``linunlearn.proofs``
(the symbolic checks of claims C1-C8),
``linunlearn.claims`` (the verifier behind ``linunlearn verify``),
``linunlearn.regimes`` (ridge, noise, anisotropic, early-stopping and
underparameterised regimes: ``linunlearn verify --regime``),
``linunlearn.realdata`` (class-wise forgetting on the bundled digits),
``linunlearn.figures`` (every figure; matplotlib is imported there),
``linunlearn.montecarlo`` and ``linunlearn.masks``.
"""

from ._validation import IllConditionedWarning, LinunlearnWarning, NotConvergedWarning
from .metrics import METRICS, average_gap, evaluate
from .scenarios import Dataset, DatasetBatch, Scenario
from .simulate import GDRun, gradient_descent, gradient_descent_steps
from .solutions import (METHODS, Solution, available_methods, describe, register_method,
                        route_deviation, solve, solve_all, unregister_method)
from . import methods  # registers the unlearning methods
from .compare import Comparison
from .compare import compare as compare_methods

__version__ = "0.1.0"

__all__ = ["Scenario", "Dataset", "DatasetBatch", "describe", "unregister_method", "solve", "solve_all", "route_deviation",
           "Solution", "METHODS", "available_methods", "register_method",
           "gradient_descent", "gradient_descent_steps",
           "GDRun", "evaluate", "average_gap", "METRICS", "LinunlearnWarning",
           "IllConditionedWarning", "NotConvergedWarning", "compare_methods", "Comparison"]
