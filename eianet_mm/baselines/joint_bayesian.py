"""Joint Bayesian verification (Chen et al. 2012, "Bayesian Face Revisited: A Joint
Formulation"), the "FC feature + Joint Bayesian" baseline of the EIA-Net paper."""
from typing import Optional

import numpy as np

__all__ = ['JointBayesian']


def _check_features(X: np.ndarray, name: str, dim: Optional[int] = None) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f'JointBayesian: {name} must be [N, D], got shape {X.shape}')
    if dim is not None and X.shape[1] != dim:
        raise ValueError(f'JointBayesian: {name} has {X.shape[1]} dims, the model was fit '
                         f'on {dim}')
    if not np.isfinite(X).all():
        raise ValueError(f'JointBayesian: {name} holds NaN or infinite values')
    return X


def _sym_inv(S: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix, symmetrised."""
    inv = np.linalg.inv(S)
    return (inv + inv.T) / 2


class JointBayesian:
    """Joint Bayesian model x = mu + eps, mu ~ N(0, S_mu) (class), eps ~ N(0, S_eps)
    (within class), fit by EM; pairs scored by the log-likelihood ratio.

    Fitting centres the features on the training mean and, with ``pca_dim``, projects them
    on the training set's first ``pca_dim`` principal axes (no whitening), as in the
    original pipeline. EM starts from moment estimates (the pooled within-class covariance
    for S_eps; the covariance of the class means less mean(1/size) * S_eps, clipped to be
    positive semi-definite, for S_mu) and alternates the exact posterior of each class's mu
    given its samples (mean and covariance, grouped by class size, so classes of one sample
    are handled exactly: they inform only S_mu + S_eps) with the covariance updates
    (maximum likelihood, posterior covariances included), until the largest
    relative change of S_mu and S_eps (Frobenius) falls below ``tol`` or after
    ``max_iter`` iterations. Each update adds a ridge ``ridge * trace(S) / D`` (plus a
    1e-12 floor) to the diagonal so that singular covariances (D larger than the data,
    collinear features) stay invertible.

    The score is Chen's r(x1, x2) = x1^T A x1 + x2^T A x2 - 2 x1^T G x2 with
    G = -(2 S_mu + S_eps)^-1 S_mu S_eps^-1 and A = (S_mu + S_eps)^-1 - (S_eps^-1 + G):
    twice the log-likelihood ratio log P(x1, x2 | same) / P(x1, x2 | different) minus a
    constant, so higher means "same class".

    Args:
        pca_dim (int, optional): PCA dimension before the model. Defaults to None (no
            PCA).
        max_iter (int): Maximum EM iterations. Defaults to 50.
        tol (float): Stop when the relative change of both covariances is below this.
            Defaults to 1e-6.
        ridge (float): Diagonal load, relative to the mean variance. Defaults to 1e-6.
    """

    def __init__(self,
                 pca_dim: Optional[int] = None,
                 max_iter: int = 50,
                 tol: float = 1e-6,
                 ridge: float = 1e-6) -> None:
        if pca_dim is not None and pca_dim < 1:
            raise ValueError(f'JointBayesian: pca_dim must be >= 1 or None, got {pca_dim}')
        if max_iter < 1:
            raise ValueError(f'JointBayesian: max_iter must be >= 1, got {max_iter}')
        self.pca_dim = pca_dim
        self.max_iter = max_iter
        self.tol = tol
        self.ridge = ridge

    def _regularise(self, S: np.ndarray) -> np.ndarray:
        S = (S + S.T) / 2
        load = self.ridge * np.trace(S) / S.shape[0] + 1e-12
        return S + load * np.eye(S.shape[0])

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Centre (and PCA-project) features as in :meth:`fit`.

        Args:
            X (np.ndarray): Features, ``[N, D]``.

        Returns:
            np.ndarray: ``[N, pca_dim or D]``, float64.
        """
        if not hasattr(self, 'mean_'):
            raise RuntimeError('JointBayesian: call fit() before transform() or score()')
        X = _check_features(X, 'X', self.mean_.shape[0]) - self.mean_
        return X if self.components_ is None else X @ self.components_.T

    def fit(self, X: np.ndarray, y: np.ndarray) -> 'JointBayesian':
        """Fit PCA (optional) and the covariances S_mu, S_eps by EM.

        Args:
            X (np.ndarray): Training features, ``[N, D]``.
            y (np.ndarray): Class labels, ``[N]``.

        Returns:
            JointBayesian: self, with ``mean_``, ``components_``, ``S_mu_``, ``S_eps_``,
            ``A_``, ``G_`` and ``n_iter_`` set.
        """
        X = _check_features(X, 'X')
        y = np.asarray(y)
        if y.shape != (X.shape[0], ):
            raise ValueError(f'JointBayesian: y must be [N] with N = {X.shape[0]}, got '
                             f'shape {y.shape}')
        classes, inverse, sizes = np.unique(y, return_inverse=True, return_counts=True)
        if len(classes) < 2 or sizes.max() < 2:
            raise ValueError(f'JointBayesian: needs at least 2 classes and one class with '
                             f'2 or more samples to separate S_mu from S_eps; got '
                             f'{len(classes)} classes, the largest of {sizes.max()} samples')
        self.mean_ = X.mean(axis=0)
        X = X - self.mean_
        self.components_ = None
        if self.pca_dim is not None:
            if self.pca_dim > min(X.shape):
                raise ValueError(f'JointBayesian: pca_dim={self.pca_dim} exceeds min(N, D) '
                                 f'= {min(X.shape)}')
            _, _, vt = np.linalg.svd(X, full_matrices=False)
            self.components_ = vt[:self.pca_dim]
            X = X @ self.components_.T
        num, dim = X.shape
        sums = np.zeros((len(classes), dim))
        np.add.at(sums, inverse, X)
        means = sums / sizes[:, None]

        # Start from the method of moments: the pooled within-class covariance, and the
        # covariance of the class means less its noise part, clipped to be PSD.
        resid = X - means[inverse]
        S_eps = self._regularise(resid.T @ resid / (num - len(classes)))
        between = np.cov(means, rowvar=False, bias=True).reshape(dim, dim)
        values, vectors = np.linalg.eigh(between - np.mean(1.0 / sizes) * S_eps)
        S_mu = self._regularise((vectors * np.clip(values, 0, None)) @ vectors.T)
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            self.n_iter_ += 1
            mu = np.empty_like(means)
            post_cov_mu = np.zeros((dim, dim))  # sum over classes of Cov(mu | x)
            post_cov_eps = np.zeros((dim, dim))  # sum over samples of Cov(eps | x)
            for m in np.unique(sizes):
                group = sizes == m
                # Posterior of mu given m samples with mean xbar:
                # E = S_mu (S_mu + S_eps / m)^-1 xbar, Cov = S_mu - S_mu (S_mu + S_eps/m)^-1 S_mu
                gain = np.linalg.solve(S_mu + S_eps / m, S_mu).T
                mu[group] = means[group] @ gain.T
                cov = S_mu - gain @ S_mu
                post_cov_mu += group.sum() * cov
                post_cov_eps += group.sum() * m * cov
            eps = X - mu[inverse]
            new_mu = self._regularise((mu.T @ mu + post_cov_mu) / len(classes))
            new_eps = self._regularise((eps.T @ eps + post_cov_eps) / num)
            change = max(
                np.linalg.norm(new_mu - S_mu) / np.linalg.norm(S_mu),
                np.linalg.norm(new_eps - S_eps) / np.linalg.norm(S_eps))
            S_mu, S_eps = new_mu, new_eps
            if change < self.tol:
                break
        self.S_mu_, self.S_eps_ = S_mu, S_eps
        F = _sym_inv(S_eps)
        G = -np.linalg.solve(2 * S_mu + S_eps, S_mu) @ F
        self.G_ = (G + G.T) / 2
        self.A_ = _sym_inv(S_mu + S_eps) - (F + self.G_)
        return self

    def score(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        """r(x1, x2) of row-aligned pairs, as matrix products.

        Args:
            X1 (np.ndarray): First features of the pairs, ``[M, D]``.
            X2 (np.ndarray): Second features, ``[M, D]``.

        Returns:
            np.ndarray: ``[M]`` scores, higher = same class.
        """
        Z1, Z2 = self.transform(X1), self.transform(X2)
        if Z1.shape != Z2.shape:
            raise ValueError(f'JointBayesian: X1 and X2 must have the same shape, got '
                             f'{np.shape(X1)} and {np.shape(X2)}')
        return (np.einsum('ij,jk,ik->i', Z1, self.A_, Z1) +
                np.einsum('ij,jk,ik->i', Z2, self.A_, Z2) -
                2 * np.einsum('ij,jk,ik->i', Z1, self.G_, Z2))

    def score_matrix(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        """r(a, b) for every pair of a row of ``X1`` and a row of ``X2``.

        Args:
            X1 (np.ndarray): Features, ``[M, D]`` (e.g. queries).
            X2 (np.ndarray): Features, ``[N, D]`` (e.g. gallery).

        Returns:
            np.ndarray: ``[M, N]`` scores, higher = same class.
        """
        Z1, Z2 = self.transform(X1), self.transform(X2)
        self_1 = np.einsum('ij,jk,ik->i', Z1, self.A_, Z1)
        self_2 = np.einsum('ij,jk,ik->i', Z2, self.A_, Z2)
        return self_1[:, None] + self_2[None, :] - 2 * (Z1 @ self.G_) @ Z2.T
