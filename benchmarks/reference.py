"""Plain batched numpy: the Monte Carlo statistics of linunlearn, written out by hand.

The reference that ``bench_montecarlo.py`` times the package against. Each
statistic is computed from the same per-trial seeds (trial ``i`` draws from
``numpy.random.default_rng(seeds[i])`` exactly as the package does) by the
same formulas, in the most direct batched numpy: the data drawn straight into
one stacked array, each shared quantity (the Gram matrix, ``w_o``, an
eigendecomposition, a pseudo-inverse) computed once, every model of a
statistic from one ``numpy.linalg.solve`` with all its right-hand sides, no
input checks, no condition estimates, no fallbacks. It reads a scenario's
attributes (sizes, supports, teachers, scale, noise) and nothing else of the
package.

Same formulas means the same factorisation *kind*: ``X^+ r`` through the
Gram matrix (LU here, Cholesky in the package), the k-step iterate of
gradient descent through an eigendecomposition, numpy's SVD ``pinv`` where a
statistic uses it as its independent route, the SVD where ``X`` has more rows
than columns. Numbers agree with the package's to round-off (the benchmark
checks it), not bit for bit.
"""

from functools import cached_property

import numpy as np

EPS = np.finfo(float).eps
MIA_RTOL = np.sqrt(EPS)

# the package's constants the statistics are defined with
C8_ALPHAS, C8_ICE_ALPHAS, C8_STEPS = (0.0, 0.03, 0.1, 0.3, 1.0), (1.0, 0.3, 0.1, 0.03), 5
EARLY_STEPS, EARLY_BUDGET, RIDGE_STEPS = (0, 1, 2, 5, 10, 20, 50), 10, 20


def mv(A, x):
    return (A @ x[..., None])[..., 0]


def rmv(A, x):
    return (x[..., None, :] @ A)[..., 0, :]


def norm(x):
    return np.sqrt(np.einsum("...i,...i->...", x, x))


def rel(a, b):
    return norm(a - b) / np.maximum(norm(b), 1e-300)


def mse(X, y, w):
    r = mv(X, w) - y
    return np.einsum("...i,...i->...", r, r) / r.shape[-1]


def gram(X):
    return X @ np.swapaxes(X, -1, -2)


def solve(G, B):
    """``G^{-1} B`` for a stack of right-hand-side vectors (..., n) or matrices (..., n, k)."""
    if B.ndim == G.ndim - 1:
        return np.linalg.solve(G, B[..., None])[..., 0]
    return np.linalg.solve(G, B)


def k_steps(X, y, w0, steps, lr, spectrum, penalty=0.0):
    """The k-step iterate of gradient descent on ``(1/n)||X w - y||^2 + penalty ||w||^2``.

    ``spectrum``: ``(lam, U)``, the eigendecomposition of ``X X^T`` (computed
    once by the caller).
    """
    lam, U = spectrum
    n = X.shape[-2]
    lam = np.clip(lam, 0.0, None)
    live = lam > lam[..., -1:] * n * EPS
    safe = np.where(live, lam, 1.0)
    q = 2.0 * lr * (lam / n + penalty)
    with np.errstate(over="ignore", invalid="ignore"):
        decay = np.where(np.abs(1 - q) < 1, 1.0, np.nan) if steps == np.inf else \
            1.0 - (1.0 - q) ** steps
    r0 = mv(X, w0) - y
    Ut = np.swapaxes(U, -1, -2)
    if penalty == 0.0:
        return w0 - rmv(X, mv(U, np.where(live, decay / safe, 0.0) * mv(Ut, r0)))
    left = 0.0 if steps == np.inf else (1.0 - 2.0 * lr * penalty) ** steps
    ridge = n * penalty / (lam + n * penalty)
    inner = decay * (mv(Ut, r0) + ridge * mv(Ut, y)) - (1.0 - left) * mv(Ut, mv(X, w0))
    return left * w0 - rmv(X, mv(U, np.where(live, inner / safe, 0.0)))


def mia_efficacy(member, nonmember, target):
    """The calibrated loss-threshold attack (best balanced accuracy, ties never split)."""
    n_m, n_u = member.shape[-1], nonmember.shape[-1]
    losses = np.concatenate([member, nonmember], -1)
    order = np.argsort(losses, axis=-1, kind="stable")
    losses = np.take_along_axis(losses, order, -1)
    is_member = order < n_m
    score = np.cumsum(is_member, -1) * n_u - np.cumsum(~is_member, -1) * n_m
    last = np.concatenate([losses[..., 1:] > losses[..., :-1],
                           np.ones(losses.shape[:-1] + (1,), bool)], -1)
    score = np.concatenate([np.zeros(score.shape[:-1] + (1,), score.dtype),
                            np.where(last, score, -2 * n_m * n_u)], -1)
    best = np.argmax(score, -1)[..., None]
    at = np.maximum(best - 1, 0)
    upper = np.concatenate([losses[..., 1:], 2 * losses[..., -1:] + 1], -1)
    tau = 0.5 * (np.take_along_axis(losses, at, -1) + np.take_along_axis(upper, at, -1))
    return np.mean(target > np.where(best == 0, -np.inf, tau), -1)


class Draws:
    """The trials of one batch, drawn into one stacked ``X = [X_r; X_f]``; shared quantities once."""

    def __init__(self, scenario, seeds, held_out=False):
        s = self.s = scenario
        gens = [np.random.default_rng(seed) for seed in seeds]
        T, d, n_r, n_f = len(gens), s.d, s.n_r, s.n_f
        self.n_r = n_r
        self.X = np.zeros((T, n_r + n_f, d))
        self.y = np.empty((T, n_r + n_f))
        self.X_r, self.X_f = self.X[:, :n_r], self.X[:, n_r:]
        self.y_r, self.y_f = self.y[:, :n_r], self.y[:, n_r:]
        self._draw(gens, self.X_r, self.y_r, s.support_r, s.w_r_star)
        self._draw(gens, self.X_f, self.y_f, s.support_f, s.w_f_star)
        if held_out:
            self.X_test_r, self.y_test_r = np.zeros((T, s.n_test, d)), np.empty((T, s.n_test))
            X_test_f, y_test_f = np.zeros((T, s.n_test, d)), np.empty((T, s.n_test))
            self._draw(gens, self.X_test_r, self.y_test_r, s.support_r, s.w_r_star)
            self._draw(gens, X_test_f, y_test_f, s.support_f, s.w_f_star)

    def _draw(self, gens, X, y, support, w_star):
        s = self.s
        cols = np.flatnonzero(support)
        if cols[-1] - cols[0] + 1 == len(cols):  # a block of columns: a slice
            cols = slice(cols[0], cols[-1] + 1)
        Z = np.empty(X.shape[:2] + (int(support.sum()),))
        noise = np.empty(y.shape)
        for g, z, e in zip(gens, Z, noise):
            g.standard_normal(out=z)
            g.standard_normal(out=e)
        scale = s.scale[support]
        X[..., cols] = Z if np.all(scale == 1.0) else Z * scale
        y[...] = mv(X, w_star) + s.sigma * noise

    # shared quantities -------------------------------------------------

    @cached_property
    def G(self):
        return gram(self.X)

    @cached_property
    def G_r(self):  # the leading block of G when G is there, else its own product
        if "G" in self.__dict__:
            return self.G[:, :self.n_r, :self.n_r]
        return gram(self.X_r)

    @cached_property
    def w_o(self):
        return rmv(self.X, solve(self.G, self.y))

    @cached_property
    def pinv_r(self):
        return np.linalg.pinv(self.X_r)

    @cached_property
    def spectrum_r(self):
        return np.linalg.eigh(self.G_r)

    @property
    def lr_r(self):  # 1/L of RL, per trial
        return (self.n_r / (2.0 * self.spectrum_r[0][..., -1]))[..., None]

    def null_part(self, w):  # (I - P_r) w through numpy's pinv
        return w - mv(self.pinv_r, mv(self.X_r, w))

    def ul(self, w):
        return mse(self.X_f, self.y_f, w)

    def rl(self, w):
        return mse(self.X_r, self.y_r, w)

    def fit_r(self, pairs, G_r=None):
        """``start + X_r^+ (target - X_r start)`` for each ``(start, target)``: one solve."""
        G_r = self.G_r if G_r is None else G_r
        rhs = np.stack([t - mv(self.X_r, s) for s, t in pairs], -1)
        a = solve(G_r, rhs)
        return [s + rmv(self.X_r, a[..., i]) for i, (s, _) in enumerate(pairs)]

    def masks(self, fbm):
        s = self.s
        if fbm is None:
            return s.support_r, ~s.support_f
        score = np.abs((2.0 / s.n_f) * rmv(self.X_f, self.y_f))  # gradient saliency
        k = max(1, int(np.ceil(fbm * s.d - 1e-9)))
        top = np.argsort(-score, axis=-1, kind="stable")[..., :k]
        salient = np.zeros(score.shape, bool)
        np.put_along_axis(salient, top, True, -1)
        salient &= score > 1e-10 * score.max(-1, keepdims=True)
        return s.support_r, ~salient

    def population(self, w, support, w_star):
        e = (w - w_star) * self.s.scale
        return np.sum(np.where(support, e * e, 0.0), -1) + self.s.sigma ** 2

    @cached_property
    def row_norms(self):  # ||x_i|| of the training and held-out rows, for the attack
        return norm(self.X_r), norm(self.X_test_r), norm(self.X_f)

    def metrics(self, w):
        s = self.s
        test_r = self.population(w, s.support_r, s.w_r_star)
        test_f = self.population(w, s.support_f, s.w_f_star)
        w_norm = norm(w)[..., None]

        def attack(X, y, x_norm):
            r = mv(X, w) - y
            return np.where(np.abs(r) <= MIA_RTOL * (np.abs(y) + x_norm * w_norm), 0.0, r) ** 2
        norms = self.row_norms
        mia = mia_efficacy(attack(self.X_r, self.y_r, norms[0]),
                           attack(self.X_test_r, self.y_test_r, norms[1]),
                           attack(self.X_f, self.y_f, norms[2]))
        return [self.rl(w), self.ul(w), test_r, test_f,
                (s.n_r * test_r + s.n_f * test_f) / (s.n_r + s.n_f), mia]


# --------------------------------------------------------------------------
# model providers: (draws, names, fbm) -> {name: weights}


def _from_w_o(D, w_o, names, fbm, fine_tune):
    m_r, m_f = D.masks(fbm)
    starts = {"finetune": w_o, "rbm": m_r * w_o, "fbm": m_f * w_o}
    out = {k: w for k, w in zip([n for n in names if n in starts],
                                fine_tune([starts[n] for n in names if n in starts]))}
    if "pretrained" in names:
        out["pretrained"] = w_o
    return out


def paper(D, names, fbm=None):
    """The paper's closed forms: every model fitted to D_r from one solve with G_r."""
    zero = np.zeros_like(D.X[:, 0])
    m_r, m_f = D.masks(fbm) if {"rbm", "fbm"} & set(names) else (None, None)
    pairs = {"golden": lambda: (zero, D.y_r),
             "projection": lambda: (zero, mv(D.X_r, D.w_o)),
             "finetune": lambda: (D.w_o, D.y_r),
             "rbm": lambda: (m_r * D.w_o, D.y_r),
             "fbm": lambda: (m_f * D.w_o, D.y_r)}
    fitted = [n for n in names if n in pairs]
    w = dict(zip(fitted, D.fit_r([pairs[n]() for n in fitted]))) if fitted else {}
    if "pretrained" in names:
        w["pretrained"] = D.w_o
    return w


def ridge_fit(X, y, lam):
    n = X.shape[-2]
    return rmv(X, solve(gram(X) + n * lam * np.eye(n), y))


def ridge(lam):
    def provider(D, names, fbm=None):
        if ("ridge w_o", lam) not in D.__dict__:
            D.__dict__["ridge w_o", lam] = ridge_fit(D.X, D.y, lam)
        w_o = D.__dict__["ridge w_o", lam]
        out = {}
        pairs = [(n, s) for n, s in (("finetune", w_o),) if n in names]
        m_r, m_f = D.masks(fbm)
        pairs += [(n, s) for n, s in (("rbm", m_r * w_o), ("fbm", m_f * w_o)) if n in names]
        if "projection" in names:
            pairs.append(("projection", None))
        fits = D.fit_r([(s, D.y_r) if s is not None else (np.zeros_like(w_o), mv(D.X_r, w_o))
                        for _, s in pairs]) if pairs else []
        out.update({n: f for (n, _), f in zip(pairs, fits)})
        if "golden" in names:
            out["golden"] = ridge_fit(D.X_r, D.y_r, lam)
        if "pretrained" in names:
            out["pretrained"] = w_o
        return out
    return provider


def early(steps=EARLY_BUDGET, pre_steps=None):
    def provider(D, names, fbm=None):
        if pre_steps is None:
            w_o = D.w_o
        else:
            w_o = D.__dict__.get("early w_o")
            if w_o is None:
                lam, U = np.linalg.eigh(D.G)
                lr = (D.X.shape[-2] / (2.0 * lam[..., -1]))[..., None]
                w_o = D.__dict__["early w_o"] = k_steps(D.X, D.y, np.zeros_like(D.X[:, 0]),
                                                        pre_steps, lr, (lam, U))
        out = _from_w_o(D, w_o, names, fbm, lambda starts: [
            k_steps(D.X_r, D.y_r, s, steps, D.lr_r, D.spectrum_r) for s in starts])
        if "golden" in names or "projection" in names:
            fits = D.fit_r([p for n, p in (("golden", (np.zeros_like(w_o), D.y_r)),
                                           ("projection", (np.zeros_like(w_o), mv(D.X_r, w_o))))
                            if n in names])
            out.update(dict(zip([n for n in ("golden", "projection") if n in names], fits)))
        return out
    return provider


PROVIDERS = {None: paper}


# --------------------------------------------------------------------------
# the claims' statistics (claims.py)


def residual(X, y, w):
    return norm(mv(X, w) - y) / np.maximum(norm(y), 1e-300)


def stat_finetune_remaining_loss(D, models):
    return residual(D.X_r, D.y_r, models(D, ("finetune",))["finetune"])


def stat_finetune_is_pretrained(D, models):
    w = models(D, ("finetune", "pretrained"))
    return rel(w["finetune"], w["pretrained"])


def stat_finetune_unlearning_loss(D, models):
    return residual(D.X_f, D.y_f, models(D, ("finetune",))["finetune"])


def stat_golden_unlearning_loss(D, models):
    return D.ul(models(D, ("golden",))["golden"])


def stat_golden_unlearning_loss_given_remaining(D, models):
    """``E[UL(w_g) | D_r]`` (the population loss), then its control variates."""
    s = D.s
    w_g = models(D, ("golden",))["golden"]
    ul = D.population(w_g, s.support_f, s.w_f_star)
    if not np.all(s.scale[s.support_r | s.support_f] == 1.0):
        return ul
    overlap = s.support_r & s.support_f
    blocks = [s.w_r_star * (s.support_r & ~overlap), s.w_r_star * overlap]
    if not np.array_equal(s.w_f_star * overlap, blocks[1]):
        blocks.append(s.w_f_star * overlap)
    blocks = [b for b in blocks if np.any(b)]
    d_r = int(s.support_r.sum())
    q = min(s.n_r, d_r) / d_r
    wide = s.n_r < s.d

    def project(b):  # P_r b, b of shape (d,) or (T, d)
        b = np.broadcast_to(b, w_g.shape)
        if wide:
            return rmv(D.X_r, solve(D.G_r, mv(D.X_r, b)))
        return mv(D.pinv_r, mv(D.X_r, b))
    columns = [ul]
    for i, b in enumerate(blocks):
        Pb = project(b)
        columns += [Pb @ a - q * (a @ b) for a in blocks[:i + 1]]
    if s.sigma > 0 and overlap.any():
        if wide:
            pinv = np.swapaxes(solve(D.G_r, D.X_r[..., overlap]), -1, -2)
        else:
            pinv = D.pinv_r[:, overlap, :]
        e = mv(pinv, D.y_r - mv(D.X_r, s.w_r_star))
        signal = project(s.w_r_star * s.support_r)
        columns += [np.sum(e ** 2, -1) - s.sigma ** 2 * np.sum(pinv ** 2, (-2, -1)),
                    2 * np.sum((signal - s.w_f_star)[..., overlap] * e, -1)]
    return np.stack(columns, -1)


def stat_mechanism(D, models):
    w = models(D, ("finetune", "golden", "pretrained"))
    w_o = w["pretrained"]
    return norm(w["finetune"] - w["golden"] - D.null_part(w_o)) / norm(w_o)


def stat_rbm_vs_golden(D, models):
    w = models(D, ("rbm", "golden"))
    return rel(w["rbm"], w["golden"])


def stat_rbm_is_reset(D, models):
    w = models(D, ("rbm", "pretrained"))
    return rel(w["rbm"], D.s.support_r * w["pretrained"])


def stat_rbm_unlearning_residual(D, models):
    w = models(D, ("rbm", "pretrained"))
    only_f = D.s.support_f & ~D.s.support_r
    r = mv(D.X_f, w["rbm"]) - D.y_f + mv(D.X_f, only_f * w["pretrained"])
    return norm(r) / np.maximum(norm(D.y_f), 1e-300)


def stat_rbm_forgets_more(D, models):
    w = models(D, ("rbm", "finetune"))
    return D.ul(w["rbm"]) - D.ul(w["finetune"])


def stat_rbm_keeps_overlap(D, models):
    w = models(D, ("rbm", "fbm"))
    s = D.s
    return (D.population(w["rbm"], s.support_r, s.w_r_star)
            - D.population(w["fbm"], s.support_r, s.w_r_star))


def stat_rbm_disparity(D, models, fbm=None):
    w = models(D, ("rbm", "fbm", "golden"), fbm=fbm)
    g = D.metrics(w["golden"])
    gap = lambda m: sum(np.abs(a - b) for a, b in zip(D.metrics(m), g)) / len(g)  # noqa: E731
    return gap(w["rbm"]) - gap(w["fbm"])


def stat_rbm_vs_finetune(D, models):
    w = models(D, ("rbm", "finetune"))
    return rel(w["rbm"], w["finetune"])


def stat_projection_vs_golden(D, models):
    w = models(D, ("projection", "golden"))
    return rel(w["projection"], w["golden"])


def stacked(D, variant, alpha):
    """``(Z, t)`` of version 1's regulariser (the package's ``stacked`` terms)."""
    n_r, n_f = D.n_r, D.X_f.shape[-2]
    N = n_r + n_f
    c_r, c_f = (alpha, 1.0) if variant == "ice" else (1.0, alpha)
    a, b = np.sqrt(N * c_r / n_r), np.sqrt(N * c_f / n_f)
    t_f = {"ce": -D.y_f, "ice": -D.y_f, "kl": 0.0 * D.y_f}[variant]
    return (np.concatenate([a * D.X_r, b * D.X_f], -2),
            np.concatenate([a * D.y_r, b * t_f], -1))


def regularised(D, w_o, variant, alpha, steps, lr_alpha=1.0):
    """discriminative_finetune: k steps (or the limit) with the step of weight max(alpha, 1)."""
    Z, t = stacked(D, variant, alpha)
    if steps == np.inf:
        return w_o + rmv(Z, solve(gram(Z), t - mv(Z, w_o)))
    N = Z.shape[-2]
    lam, U = np.linalg.eigh(gram(Z))
    a_lr = max(alpha, lr_alpha)
    key = ("lr", variant, a_lr)
    if key not in D.__dict__:
        top = lam[..., -1] if a_lr == alpha else np.linalg.eigvalsh(
            gram(stacked(D, variant, a_lr)[0]))[..., -1]
        D.__dict__[key] = (N / (2.0 * top))[..., None]
    return k_steps(Z, t, w_o, steps, D.__dict__[key], (lam, U))


def stat_regulariser_weight_irrelevant(D, models):
    w_o = models(D, ("pretrained",))["pretrained"]
    return rel(regularised(D, w_o, "ce", 0.3, np.inf), regularised(D, w_o, "ce", 3.0, np.inf))


def stat_regulariser_path(D, models, variant="ce"):
    w = models(D, ("golden", "pretrained"))
    golden = D.ul(w["golden"])
    out = []
    alphas = C8_ICE_ALPHAS if variant == "ice" else C8_ALPHAS
    for a in sorted(alphas, reverse=True):  # the largest weight first: its eigh gives the step
        v = regularised(D, w["pretrained"], variant, a, C8_STEPS)
        ul = D.ul(v)
        out.append((a, np.stack([ul, D.rl(v), np.abs(ul - golden), golden], -1)))
    out = dict(out)
    return np.stack([out[a] for a in alphas], axis=1)


# --------------------------------------------------------------------------
# the families' statistics (families.py)


def ridge_models(D, lam, steps=np.inf):
    key = ("ridge_models", lam, steps)
    if key not in D.__dict__:
        w_o = ridge_fit(D.X, D.y, lam)
        golden = ridge_fit(D.X_r, D.y_r, lam)
        finetune, projection = D.fit_r([(w_o, D.y_r), (np.zeros_like(w_o), mv(D.X_r, w_o))])
        lr = (1.0 / (2.0 * (D.spectrum_r[0][..., -1] / D.n_r + lam)))[..., None]
        penalised = k_steps(D.X_r, D.y_r, w_o, steps, lr, D.spectrum_r, penalty=lam)
        D.__dict__[key] = dict(pretrained=w_o, golden=golden, finetune=finetune,
                               finetune_penalised=penalised, projection=projection)
    return D.__dict__[key]


def stat_ridge_mechanism(D, lam):
    m = ridge_models(D, lam)
    gap = m["finetune"] - mv(D.pinv_r, D.y_r) - D.null_part(m["pretrained"])
    return norm(gap) / norm(m["pretrained"])


def _distance_change(D, lam):
    m = ridge_models(D, lam)
    w_o, w_g = m["pretrained"], m["golden"]
    change = norm(m["finetune"] - w_g) ** 2 - norm(w_o - w_g) ** 2
    predicted = (norm(mv(D.pinv_r, D.y_r) - w_g) ** 2
                 - norm(mv(D.pinv_r, mv(D.X_r, w_o)) - w_g) ** 2)
    return change, predicted, norm(w_o - w_g) ** 2


def stat_ridge_distance_change(D, lam):
    change, predicted, scale = _distance_change(D, lam)
    return np.abs(change - predicted) / np.maximum(scale, 1e-300)


def stat_ridge_moves_away(D, lam):
    change, _, scale = _distance_change(D, lam)
    return change / np.maximum(scale, 1e-300)


def stat_ridge_penalised_limit(D, lam):
    m = ridge_models(D, lam)
    return rel(m["finetune_penalised"], m["golden"])


def stat_ridge_gap_split(D, lam):
    m = ridge_models(D, lam)
    untouched = D.null_part(m["pretrained"])
    shrinkage = mv(D.pinv_r, D.y_r) - m["golden"]
    gap = m["finetune"] - m["golden"]
    scale = np.maximum(norm(gap), 1e-300)
    split = norm(gap - untouched - shrinkage) / scale
    pythagoras = np.abs(norm(gap) ** 2 - norm(untouched) ** 2
                        - norm(shrinkage) ** 2) / scale ** 2
    return np.maximum(split, pythagoras)


def stat_ridge_budget(D, lam, steps=RIDGE_STEPS):
    m = ridge_models(D, lam, steps)
    left = norm(D.null_part(m["finetune_penalised"] - m["golden"])) / norm(
        D.null_part(m["pretrained"]))
    kappa = D.spectrum_r[0][..., -1] / D.n_r
    predicted = (kappa / (kappa + lam)) ** steps
    return np.abs(left - predicted) / predicted


def stat_ridge_small_lambda(D, lam):
    ratios, pre_bound = [], None
    for X, y, G in ((D.X, D.y, D.G), (D.X_r, D.y_r, D.G_r)):
        n = X.shape[-2]
        bound = n * lam / np.linalg.eigvalsh(G)[..., 0]
        exact = rmv(X, solve(G, y))
        ratios.append(rel(ridge_fit(X, y, lam), exact) / bound)
        pre_bound = bound if pre_bound is None else pre_bound
    m = ridge_models(D, lam)
    ratios.append(norm(m["finetune"] - D.fit_r([(D.w_o, D.y_r)])[0]) / norm(D.w_o)
                  / pre_bound)
    return np.max(np.stack(ratios, -1), -1)


def stat_noise_term(D, models=None):
    s = D.s
    clean_r, clean_f = mv(D.X_r, s.w_r_star), mv(D.X_f, s.w_f_star)
    a = solve(D.G_r, np.stack([D.y_r, clean_r], -1))
    noisy, w_clean = rmv(D.X_r, a[..., 0]), rmv(D.X_r, a[..., 1])
    return D.ul(noisy) - mse(D.X_f, clean_f, w_clean)


def stat_noise_excess(D, models=None):
    return stat_noise_term(D) - D.s.sigma ** 2


def stat_golden_ul_excess(D, models=None):
    s = D.s
    only_f = s.support_f & ~s.support_r
    bound = np.sum((s.scale * s.w_f_star)[only_f] ** 2) + s.sigma ** 2
    return D.ul(D.fit_r([(np.zeros_like(D.X[:, 0]), D.y_r)])[0]) - bound


def _early_w_o(D, pre_steps):
    return early(EARLY_BUDGET, pre_steps)(D, ("pretrained",))["pretrained"]


def stat_early_distance(D, pre_steps):
    w_o = _early_w_o(D, pre_steps)
    w_g = D.fit_r([(np.zeros_like(w_o), D.y_r)])[0]
    s = D.s
    worst = 0.0
    for start in (w_o, s.support_r * w_o, ~s.support_f * w_o):
        floor = norm(D.null_part(start))
        scale = np.maximum(norm(start - w_g), 1e-300)
        dist = np.stack([norm(k_steps(D.X_r, D.y_r, start, k, D.lr_r, D.spectrum_r) - w_g)
                         for k in EARLY_STEPS], -1)
        rise = np.max(np.diff(dist, axis=-1), -1) / scale
        below = (floor - np.min(dist, -1)) / scale
        worst = np.maximum(worst, np.maximum(rise, below))
    return np.maximum(worst, 0.0)


def stat_early_rbm_still(D, pre_steps):
    w_o = _early_w_o(D, pre_steps)
    start = D.s.support_r * w_o
    return np.max(np.stack([norm(k_steps(D.X_r, D.y_r, start, k, D.lr_r, D.spectrum_r)
                                 - start) for k in EARLY_STEPS], -1), -1) / norm(w_o)


def pinv_apply(X, r):
    """``X^+ r``: the Gram route with fewer rows than columns, numpy's SVD pinv otherwise."""
    n, d = X.shape[-2:]
    if n < d:
        return rmv(X, solve(gram(X), r))
    return mv(np.linalg.pinv(X), r)


def _under(D):
    """``w_o``, ``w_g`` and ``w_ft`` when some sets have more rows than used features."""
    w_o = pinv_apply(D.X, D.y)
    n_r, d = D.X_r.shape[-2:]
    if n_r < d:
        a = solve(D.G_r, np.stack([D.y_r, D.y_r - mv(D.X_r, w_o)], -1))
        return w_o, rmv(D.X_r, a[..., 0]), w_o + rmv(D.X_r, a[..., 1])
    w_g = mv(D.pinv_r, D.y_r)
    return w_o, w_g, w_o + mv(D.pinv_r, D.y_r - mv(D.X_r, w_o))


def stat_under_on_support(D, models=None):
    w_o, w_g, w_ft = _under(D)
    return norm(D.s.support_r * (w_ft - w_g)) / norm(w_g)


def stat_under_finetune_golden(D, models=None):
    w_o, w_g, w_ft = _under(D)
    return rel(w_ft, w_g)


def stat_under_gap_is_offsupport(D, models=None):
    w_o, w_g, w_ft = _under(D)
    return norm(w_ft - w_g - ~D.s.support_r * w_o) / norm(w_o)


# --------------------------------------------------------------------------
# the figures' statistics (figures/data.py, families.py)


def stat_paper_metrics(D):
    """The sweeps: UL and remaining test loss of the six models, shape (trials, 6, 2)."""
    names = ("pretrained", "finetune", "golden", "rbm", "fbm", "projection")
    w = paper(D, names)
    s = D.s
    return np.stack([np.stack([D.ul(w[m]), D.population(w[m], s.support_r, s.w_r_star)], -1)
                     for m in names], 1)


def stat_ridge_curve(D, lams, steps=RIDGE_STEPS):
    out = []
    for lam in lams:
        m = ridge_models(D, lam, steps) if lam > 0 else _ridge_zero(D, steps)
        golden = D.ul(m["golden"])
        out.append(np.stack([golden - D.ul(m["finetune"]),
                             golden - D.ul(m["finetune_penalised"]),
                             norm(D.null_part(m["pretrained"])) ** 2], -1))
    return np.stack(out, axis=1)


def _ridge_zero(D, steps):
    golden, finetune = D.fit_r([(np.zeros_like(D.w_o), D.y_r), (D.w_o, D.y_r)])
    penalised = finetune if steps == np.inf else k_steps(
        D.X_r, D.y_r, D.w_o, steps, D.lr_r, D.spectrum_r)
    return dict(pretrained=D.w_o, golden=golden, finetune=finetune,
                finetune_penalised=penalised)


def stat_path(D, steps):
    w_o = D.w_o
    golden = D.ul(D.fit_r([(np.zeros_like(w_o), D.y_r)])[0])
    s = D.s
    return np.stack([np.stack([D.ul(k_steps(D.X_r, D.y_r, start, k, D.lr_r, D.spectrum_r))
                               - golden for k in steps], -1)
                     for start in (w_o, s.support_r * w_o, ~s.support_f * w_o)], 1)


def stat_transition(D):
    w_o, w_g, w_ft = _under(D)
    return np.stack([rel(w_ft, w_g), D.ul(w_g) - D.ul(w_ft)], -1)
