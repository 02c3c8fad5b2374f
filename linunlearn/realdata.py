"""Real data: class-wise forgetting on scikit-learn's bundled digits (no download).

The 8x8 digit images (1797 samples, 64 pixels, shipped inside scikit-learn)
are mapped through random features to reach the overparameterised regime
(more features than training samples), and the targets are one-hot vectors,
fitted jointly by multi-output least squares. Forgetting one digit (all its
training samples) mirrors the paper's class-wise experiments. Feature overlap
is measured from the data (:func:`feature_overlap`), not assumed.

=========================  ==================================================
name                       what it gives
=========================  ==================================================
:func:`digits_forgetting`  a :class:`ClasswiseProblem`: remaining / forgetting
                           / held-out arrays with one-hot ``Y``
:class:`ClasswiseProblem`  ``.dataset()`` (multi-output :class:`Dataset`),
                           ``.column_datasets()`` (one single-output Dataset
                           per class), ``.overlap()``
:func:`random_features`    ``ReLU(Z W + b) / sqrt(D)`` of standardised pixels
:func:`feature_overlap`    support overlap (Fisher supports) and subspace
                           overlap (share of ``X_f`` inside ``row(X_r)``)
:func:`accuracy`           argmax accuracy of multi-output weights
=========================  ==================================================

scikit-learn (a dependency) is imported on use, not with ``linunlearn``.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np

from . import masks
from ._linalg import RowSpace
from ._validation import (IllConditionedWarning, as_array, as_generator, check_int,
                          check_memory, check_option)
from .scenarios import Dataset

__all__ = ["ClasswiseProblem", "digits_forgetting", "random_features",
           "feature_overlap", "accuracy", "one_hot", "FEATURES"]

#: Feature maps :func:`random_features` offers.
FEATURES = ("relu", "pixels")


def _load_digits():
    from sklearn.datasets import load_digits  # imported on use: it is slow to import
    digits = load_digits()
    return digits.data.astype(float), digits.target.astype(int)


def one_hot(labels, n_classes):
    """Return the one-hot matrix of integer ``labels``, shape (n, n_classes).

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    labels = np.asarray(labels)
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    if labels.ndim != 1 or np.any((labels < 0) | (labels >= n_classes)):
        raise ValueError(f"labels must be a vector of integers in [0, {n_classes})")
    return np.eye(n_classes)[labels]


def random_features(Z, n_features, *, kind="relu", rng=None, reference=None):
    """Random ReLU features ``max(0, Z_s W + b) / sqrt(D)`` of standardised inputs.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        Raw inputs (pixels).
    n_features : int
        ``D``, the number of random features (ignored for ``kind="pixels"``).
    kind : {"relu", "pixels"}
        ``"pixels"`` returns the standardised inputs themselves.
    rng : None, int or numpy.random.Generator
        Draws ``W ~ N(0, 1/p)`` and ``b ~ N(0, 1)``.
    reference : ndarray of shape (m, p), optional
        Inputs whose mean and standard deviation standardise ``Z`` (the
        training inputs; default ``Z``). Constant pixels become 0.

    Returns
    -------
    ndarray of shape (n, D) or (n, p)

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.arange(6.0).reshape(3, 2)
    >>> random_features(Z, 5, rng=0).shape
    (3, 5)
    >>> random_features(Z, 5, kind="pixels")[:, 0]
    array([-1.22474487,  0.        ,  1.22474487])
    """
    Z = as_array(Z, "Z", ndim=2)
    check_option(kind, "kind", FEATURES)
    ref = Z if reference is None else as_array(reference, "reference", ndim=2)
    mean, std = ref.mean(axis=0), ref.std(axis=0)
    Zs = np.where(std > 0, (Z - mean) / np.where(std > 0, std, 1.0), 0.0)
    if kind == "pixels":
        return Zs
    n_features = check_int(n_features, "n_features", minimum=1)
    # W, then Z W + b, its ReLU and its scaling (one temporary each), and the
    # copies its caller splits it into
    check_memory(8 * n_features * (Z.shape[1] + 4 * Z.shape[0]),
                 f"random_features: {Z.shape[0]} samples x n_features={n_features}")
    gen = as_generator(rng)
    p = Z.shape[1]
    W = gen.standard_normal((p, n_features)) / np.sqrt(p)
    b = gen.standard_normal(n_features)
    return np.maximum(Zs @ W + b, 0.0) / np.sqrt(n_features)


def feature_overlap(X_r, X_f, *, tol=masks.SUPPORT_RTOL):
    """Measure how much the remaining and forgetting data share, from the data.

    Parameters
    ----------
    X_r : ndarray of shape (n_r, d)
    X_f : ndarray of shape (n_f, d)
    tol : float
        Support tolerance (see :func:`linunlearn.masks.select`).

    Returns
    -------
    dict
        ``d``; ``d_r``, ``d_f``, ``d_lap``: sizes of the Fisher supports and
        their intersection; ``overlap_ratio = d_lap / d_f``; and
        ``subspace_overlap = ||P_r X_f^T||_F^2 / ||X_f||_F^2``, the share of
        the forgetting data inside the row space of ``X_r`` (0 for distinct
        features, 1 when ``row(X_f)`` lies in ``row(X_r)``). Fine-tuning's
        error ``(I - P_r) w_o`` lives in the complement, so
        ``1 - subspace_overlap`` is what fine-tuning cannot reach.

    Notes
    -----
    ``||P_r X_f^T||_F^2 = tr(C^T G_r^+ C)`` with ``C = X_r X_f^T`` and
    ``G_r = X_r X_r^T``: ``n x n`` products only.

    Examples
    --------
    >>> import numpy as np
    >>> X_r = np.array([[1.0, 0.0, 0.0]]); X_f = np.array([[1.0, 1.0, 0.0]])
    >>> o = feature_overlap(X_r, X_f)
    >>> o["d_lap"], o["overlap_ratio"], o["subspace_overlap"]
    (1, 0.5, 0.5)
    """
    X_r = as_array(X_r, "X_r", ndim=2)
    X_f = as_array(X_f, "X_f", ndim=2)
    if X_f.shape[1] != X_r.shape[1]:
        raise ValueError(f"X_f must have {X_r.shape[1]} columns (as X_r), got "
                         f"{X_f.shape[1]}")
    s_r = masks.select(masks.saliency(X_r), tol=tol)
    s_f = masks.select(masks.saliency(X_f), tol=tol)
    C = X_r @ X_f.T
    with warnings.catch_warnings():
        # More rows than features (raw pixels): the pseudo-inverse still gives
        # the projection on the row space, which is all that is needed here.
        warnings.simplefilter("ignore", IllConditionedWarning)
        inside = float(np.sum(C * RowSpace(X_r, name="X_r").dual(C.T).T))
    d_f, d_lap = int(s_f.sum()), int((s_r & s_f).sum())
    return {"d": X_r.shape[1], "d_r": int(s_r.sum()), "d_f": d_f, "d_lap": d_lap,
            "overlap_ratio": d_lap / d_f if d_f else 0.0,
            "subspace_overlap": inside / float(np.sum(X_f ** 2))}


def accuracy(X, labels, W):
    """Share of rows whose largest output ``X W`` is at the true label.

    Examples
    --------
    >>> import numpy as np
    >>> accuracy(np.eye(2), np.array([0, 0]), np.eye(2))
    0.5
    """
    return float(np.mean(np.argmax(X @ W, axis=1) == np.asarray(labels)))


@dataclass(frozen=True, eq=False)
class ClasswiseProblem:
    """Class-wise forgetting as arrays: remaining, forgetting and held-out sets.

    Attributes
    ----------
    X_r, X_f : ndarray of shape (n_r, d), (n_f, d)
        Features of the training samples of the other classes and of the
        forgotten class.
    Y_r, Y_f : ndarray of shape (n_r, k), (n_f, k)
        One-hot targets (``k`` classes).
    labels_r, labels_f : ndarray of int
    X_test_r, Y_test_r, labels_test_r, X_test_f, Y_test_f, labels_test_f
        Held-out samples of the other classes and of the forgotten class.
    pixels_r, pixels_f : ndarray
        The raw inputs of the training sets (for overlap on raw features).
    forget_class : int
    features : str
    seed : int or None
    """

    X_r: np.ndarray
    Y_r: np.ndarray
    X_f: np.ndarray
    Y_f: np.ndarray
    labels_r: np.ndarray
    labels_f: np.ndarray
    X_test_r: np.ndarray = field(repr=False, default=None)
    Y_test_r: np.ndarray = field(repr=False, default=None)
    labels_test_r: np.ndarray = field(repr=False, default=None)
    X_test_f: np.ndarray = field(repr=False, default=None)
    Y_test_f: np.ndarray = field(repr=False, default=None)
    labels_test_f: np.ndarray = field(repr=False, default=None)
    pixels_r: np.ndarray = field(repr=False, default=None)
    pixels_f: np.ndarray = field(repr=False, default=None)
    forget_class: int = 0
    features: str = "relu"
    seed: object = None

    @property
    def n_classes(self):
        """Number of classes ``k``."""
        return self.Y_r.shape[1]

    @property
    def overparameterised(self):
        """Whether ``n_r + n_f < d`` (every training problem interpolates)."""
        return self.X_r.shape[0] + self.X_f.shape[0] < self.X_r.shape[1]

    def dataset(self):
        """The multi-output :class:`~linunlearn.Dataset` (one-hot targets, jointly)."""
        return Dataset(self.X_r, self.Y_r, self.X_f, self.Y_f,
                       X_test_r=self.X_test_r, y_test_r=self.Y_test_r,
                       X_test_f=self.X_test_f, y_test_f=self.Y_test_f)

    def column_datasets(self):
        """One single-output :class:`~linunlearn.Dataset` per class column.

        Least squares with ``k`` outputs separates into ``k`` problems with
        the same features, so these give the same weights column by column;
        the path for code that supports 1-D labels only.
        """
        return [Dataset(self.X_r, self.Y_r[:, j], self.X_f, self.Y_f[:, j],
                        X_test_r=self.X_test_r, y_test_r=self.Y_test_r[:, j],
                        X_test_f=self.X_test_f, y_test_f=self.Y_test_f[:, j])
                for j in range(self.n_classes)]

    def overlap(self, *, raw=False):
        """:func:`feature_overlap` of the training sets (``raw=True``: on the pixels)."""
        if raw:
            return feature_overlap(self.pixels_r, self.pixels_f)
        return feature_overlap(self.X_r, self.X_f)


def digits_forgetting(forget_class=3, *, n_train=1000, n_features=4000,
                      features="relu", rng=0):
    """Class-wise forgetting of one digit on scikit-learn's bundled digits.

    Parameters
    ----------
    forget_class : int
        The digit to forget (0-9): all its training samples form ``D_f``.
    n_train : int
        Training samples drawn (without replacement) from the 1797; the rest
        are held out.
    n_features : int
        Random features ``D``; above ``n_train`` the regime is
        overparameterised. The default, four times ``n_train``, keeps the
        masked least-squares systems of SalUn (half the features, every
        training row) and, forgetting digit 3, of DeepClean away from
        square, where they are ill-conditioned: at 2000 SalUn's was 1000 x
        1000 (condition number 3.9e5, remaining test loss 99.5), at 3000
        DeepClean's was 891 x 867 (4.3e4); at 4000 they are 1000 x 2000
        (3.3e3, test loss 0.50) and 891 x 1140 (4.1e3), seed 0.
    features : {"relu", "pixels"}
        Random ReLU features, or the 64 standardised pixels.
    rng : None, int or numpy.random.Generator
        The split and the random features.

    Returns
    -------
    ClasswiseProblem

    Examples
    --------
    >>> import numpy as np
    >>> import linunlearn as lu
    >>> p = digits_forgetting(3, n_train=200, n_features=400, rng=0)
    >>> p.overparameterised, p.Y_r.shape[1], set(p.labels_f.tolist())
    (True, 10, {3})
    >>> data = p.dataset()
    >>> W = {m: lu.solve(data, m).w for m in ("finetune", "golden")}
    >>> accuracy(p.X_f, p.labels_f, W["finetune"]), accuracy(p.X_f, p.labels_f, W["golden"])
    (1.0, 0.0)
    """
    forget_class = check_int(forget_class, "forget_class", minimum=0)
    if forget_class > 9:
        raise ValueError(f"forget_class must be a digit 0-9, got {forget_class}")
    n_train = check_int(n_train, "n_train", minimum=2)
    check_option(features, "features", FEATURES)
    Z, labels = _load_digits()
    if n_train >= len(Z):
        raise ValueError(f"n_train must be below the {len(Z)} samples (the rest "
                         f"are held out), got {n_train}")
    gen = as_generator(rng)
    order = gen.permutation(len(Z))
    train, test = order[:n_train], order[n_train:]
    Phi = random_features(Z, n_features, kind=features, rng=gen, reference=Z[train])
    Y = one_hot(labels, 10)
    is_f = labels == forget_class

    def part(rows, forget):
        rows = rows[is_f[rows] == forget]
        return Phi[rows], Y[rows], labels[rows], Z[rows]

    X_r, Y_r, l_r, P_r = part(train, False)
    X_f, Y_f, l_f, P_f = part(train, True)
    if len(l_f) == 0:
        raise ValueError(f"no training sample of class {forget_class}; raise n_train")
    Xt_r, Yt_r, lt_r, _ = part(test, False)
    Xt_f, Yt_f, lt_f, _ = part(test, True)
    return ClasswiseProblem(X_r, Y_r, X_f, Y_f, l_r, l_f, Xt_r, Yt_r, lt_r,
                            Xt_f, Yt_f, lt_f, P_r, P_f, forget_class, features,
                            rng if isinstance(rng, (int, np.integer)) else None)
