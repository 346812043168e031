"""Joint Bayesian on data drawn from its own generative model."""
import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.metrics import roc_auc_score

from eianet_mm.baselines import JointBayesian


def covariances(dim, seed=0):
    """S_mu carries the identity in a few directions where S_eps is tiny; S_eps is large in
    the others, so plain Euclidean distance is dominated by within-class noise."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    signal = np.r_[np.linspace(2.0, 1.0, dim // 2), np.full(dim - dim // 2, 0.05)]
    noise = np.r_[np.full(dim // 2, 0.05), np.linspace(8.0, 4.0, dim - dim // 2)]
    return basis @ np.diag(signal) @ basis.T, basis @ np.diag(noise) @ basis.T


def draw(S_mu, S_eps, sizes, rng, offset=None):
    dim = S_mu.shape[0]
    mu = rng.multivariate_normal(np.zeros(dim), S_mu, size=len(sizes))
    y = np.repeat(np.arange(len(sizes)), sizes)
    X = mu[y] + rng.multivariate_normal(np.zeros(dim), S_eps, size=len(y))
    return X + (0 if offset is None else offset), y


def verification_pairs(S_mu, S_eps, num, rng, offset=None):
    X, _ = draw(S_mu, S_eps, np.full(num, 2), rng, offset)
    first, second = X[0::2], X[1::2]
    other = np.roll(second, 1, axis=0)
    return (np.concatenate([first, first]), np.concatenate([second, other]),
            np.r_[np.ones(num), np.zeros(num)])


def relative_error(estimate, truth):
    return np.linalg.norm(estimate - truth) / np.linalg.norm(truth)


@pytest.fixture(scope='module')
def fitted():
    rng = np.random.default_rng(1)
    S_mu, S_eps = covariances(4)
    offset = np.array([3.0, -1.0, 0.5, 2.0])  # a non-zero mean, removed by fit
    sizes = rng.integers(1, 7, size=4000)  # includes classes of a single sample
    X, y = draw(S_mu, S_eps, sizes, rng, offset)
    return JointBayesian().fit(X, y), S_mu, S_eps, offset


def test_em_recovers_the_covariances(fitted):
    jb, S_mu, S_eps, offset = fitted
    assert relative_error(jb.S_mu_, S_mu) < 0.1
    assert relative_error(jb.S_eps_, S_eps) < 0.05
    assert np.abs(jb.mean_ - offset).max() < 0.1
    assert 1 <= jb.n_iter_ <= 50


def test_beats_euclidean_distance(fitted):
    jb, S_mu, S_eps, offset = fitted
    X1, X2, same = verification_pairs(S_mu, S_eps, 500, np.random.default_rng(2), offset)
    jb_auc = roc_auc_score(same, jb.score(X1, X2))
    euclid_auc = roc_auc_score(same, -((X1 - X2)**2).sum(axis=1))
    assert jb_auc > 0.95 and euclid_auc < 0.75
    assert jb_auc > euclid_auc + 0.2


def test_score_is_the_per_pair_formula_and_the_log_likelihood_ratio(fitted):
    jb = fitted[0]
    rng = np.random.default_rng(3)
    X1, X2 = rng.normal(size=(6, 4)) * 2, rng.normal(size=(6, 4)) * 2
    scores = jb.score(X1, X2)
    S_same = np.block([[jb.S_mu_ + jb.S_eps_, jb.S_mu_], [jb.S_mu_, jb.S_mu_ + jb.S_eps_]])
    S_diff = np.block([[jb.S_mu_ + jb.S_eps_, np.zeros((4, 4))],
                       [np.zeros((4, 4)), jb.S_mu_ + jb.S_eps_]])
    llr = []
    for m in range(6):
        x1, x2 = X1[m] - jb.mean_, X2[m] - jb.mean_
        direct = x1 @ jb.A_ @ x1 + x2 @ jb.A_ @ x2 - 2 * x1 @ jb.G_ @ x2
        assert scores[m] == pytest.approx(direct, rel=1e-10, abs=1e-10)
        joint = np.r_[x1, x2]
        llr.append(
            multivariate_normal(np.zeros(8), S_same).logpdf(joint) -
            multivariate_normal(np.zeros(8), S_diff).logpdf(joint))
    # r = 2 * log-likelihood ratio - constant.
    offsets = scores / 2 - np.array(llr)
    assert np.ptp(offsets) < 1e-8


def test_score_is_symmetric_and_matches_score_matrix(fitted):
    jb = fitted[0]
    rng = np.random.default_rng(4)
    A, B = rng.normal(size=(5, 4)), rng.normal(size=(7, 4))
    matrix = jb.score_matrix(A, B)
    assert matrix.shape == (5, 7)
    rows, cols = np.meshgrid(np.arange(5), np.arange(7), indexing='ij')
    np.testing.assert_allclose(matrix.ravel(), jb.score(A[rows.ravel()], B[cols.ravel()]),
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(jb.score_matrix(B, A), matrix.T, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(jb.score(A, B[:5]), jb.score(B[:5], A), rtol=1e-12, atol=1e-12)


def test_pca_before_the_model():
    rng = np.random.default_rng(5)
    S_mu, S_eps = covariances(4)
    # 4 informative dims embedded in 10, plus 6 dims of tiny isotropic noise.
    X, y = draw(S_mu, S_eps, np.full(1500, 3), rng)
    lift, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    lift = lift[:4]
    X = X @ lift + 1e-3 * rng.normal(size=(len(X), 10))
    jb = JointBayesian(pca_dim=4).fit(X, y)
    assert jb.components_.shape == (4, 10) and jb.S_mu_.shape == (4, 4)
    # The PCA keeps the informative 4-dim subspace.
    np.testing.assert_allclose(np.linalg.svd(jb.components_ @ lift.T)[1], 1, atol=1e-3)
    np.testing.assert_allclose(jb.transform(X[:3]), (X[:3] - X.mean(0)) @ jb.components_.T)
    X1, X2, same = verification_pairs(S_mu, S_eps, 300, rng)
    X1, X2 = X1 @ lift, X2 @ lift
    assert roc_auc_score(same, jb.score(X1, X2)) > 0.95


def test_singular_covariances_and_singletons_stay_finite():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(12, 30))  # more dims than samples
    X[:, 1] = X[:, 0]  # collinear
    y = np.array([0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9])  # mostly single-sample classes
    jb = JointBayesian(max_iter=5).fit(X, y)
    scores = jb.score_matrix(X, X)
    assert np.isfinite(scores).all() and np.isfinite(jb.A_).all()
    assert np.linalg.eigvalsh(jb.S_eps_).min() > 0 and np.linalg.eigvalsh(jb.S_mu_).min() > 0


def test_errors():
    X = np.random.default_rng(7).normal(size=(6, 3))
    with pytest.raises(ValueError, match='one class with 2 or more samples'):
        JointBayesian().fit(X, np.arange(6))
    with pytest.raises(ValueError, match='got 1 classes'):
        JointBayesian().fit(X, np.zeros(6))
    with pytest.raises(ValueError, match=r'y must be \[N\] with N = 6'):
        JointBayesian().fit(X, np.zeros(5))
    with pytest.raises(ValueError, match=r'pca_dim=4 exceeds min\(N, D\) = 3'):
        JointBayesian(pca_dim=4).fit(X, np.array([0, 0, 1, 1, 2, 2]))
    with pytest.raises(ValueError, match='NaN or infinite'):
        JointBayesian().fit(np.full((4, 2), np.nan), np.array([0, 0, 1, 1]))
    with pytest.raises(RuntimeError, match='call fit'):
        JointBayesian().score(X, X)
    jb = JointBayesian().fit(X, np.array([0, 0, 1, 1, 2, 2]))
    with pytest.raises(ValueError, match='X has 4 dims, the model was fit on 3'):
        jb.score(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match='same shape'):
        jb.score(np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match='pca_dim must be >= 1'):
        JointBayesian(pca_dim=0)
