"""A searchable gallery of embeddings: exact blocked search, or faiss (CPU) when installed."""
import os
import os.path as osp
from typing import Collection, Optional, Sequence, Tuple

import numpy as np
import torch

from ..evaluation.functional.distance import (as_feature_tensor, block_distance, check_metric,
                                              prepare_features, squared_norms)

BACKENDS = ('exact', 'faiss')
FAISS_MISSING = ("backend 'faiss' needs the faiss package, which is not installed: "
                 'pip install faiss-cpu (listed in requirements/optional.txt), or use the '
                 "default backend 'exact'")


def _import_faiss():
    try:
        import faiss
    except ImportError as err:
        raise ImportError(FAISS_MISSING) from err
    return faiss


class GalleryIndex:
    """Gallery embeddings with their names and (optional) labels, searchable by distance.

    ``'exact'`` search computes the distances in blocks of queries × blocks of gallery rows
    (memory ``query_block × gallery_block``) and keeps a running top-k; ties are broken by
    gallery order, so results are deterministic. ``'faiss'`` uses a flat (exact) faiss
    index, much faster on large galleries; its float32 distances can differ from the exact
    path in the last digits.

    Args:
        features (array-like): Gallery embeddings ``[G, D]``.
        names (Sequence[str], optional): Name (image path) of each row. Defaults to None
            (``'0'``, ``'1'``, ...).
        labels (Sequence[str], optional): Label of each row, to mark true matches. Defaults
            to None.
        metric (str): ``'euclidean'`` (squared, the paper), ``'cosine'`` (``1 - cos``) or
            ``'codetected:NxK'`` (parts detected in both images only; exact search only).
            Defaults to 'euclidean'.
        backend (str): ``'exact'`` or ``'faiss'``. Defaults to 'exact'.
        block_size (int): Rows per query block and per gallery block in exact search.
            Defaults to 1024.
    """

    def __init__(self,
                 features,
                 names: Optional[Sequence[str]] = None,
                 labels: Optional[Sequence[str]] = None,
                 metric: str = 'euclidean',
                 backend: str = 'exact',
                 block_size: int = 1024) -> None:
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')
        if backend == 'faiss' and metric not in ('euclidean', 'cosine'):
            raise ValueError(f"backend 'faiss' searches 'euclidean' or 'cosine' distances, "
                             f"not {metric!r}: use backend='exact'")
        if block_size < 1:
            raise ValueError(f'block_size must be positive, got {block_size}')
        self.metric = check_metric(metric)
        self.features = as_feature_tensor(features, 'gallery features').float()
        num = self.features.shape[0]
        if num == 0:
            raise ValueError('the gallery is empty')
        self.names = [str(i) for i in range(num)] if names is None else [str(n) for n in names]
        if len(self.names) != num:
            raise ValueError(f'{len(self.names)} names for {num} gallery features')
        self.labels = None if labels is None else [str(label) for label in labels]
        if self.labels is not None and len(self.labels) != num:
            raise ValueError(f'{len(self.labels)} labels for {num} gallery features')
        self.backend = backend
        self.block_size = block_size
        self._prepared = prepare_features(self.features, self.metric)
        self._sq_norms = squared_norms(self._prepared)
        self._faiss_index = None
        if backend == 'faiss':
            faiss = _import_faiss()
            dim = self._prepared.shape[1]
            index = faiss.IndexFlatL2(dim) if metric == 'euclidean' else faiss.IndexFlatIP(dim)
            index.add(np.ascontiguousarray(self._prepared.numpy(), dtype=np.float32))
            self._faiss_index = index

    def __len__(self) -> int:
        return self.features.shape[0]

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        return self.features.shape[1]

    def search(self,
               queries,
               k: int = 10,
               exclude: Optional[Sequence[Collection[int]]] = None
               ) -> Tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest gallery rows of every query, nearest first.

        Args:
            queries (array-like): Query embeddings ``[Q, D]``.
            k (int): Number of results per query (at most the gallery size). Defaults to 10.
            exclude (Sequence[Collection[int]], optional): For each query, gallery indices
                that must not be returned (e.g. VeRi's same id and same camera). Defaults to
                None.

        Returns:
            tuple[np.ndarray]: distances ``[Q, k]`` (float32) and gallery indices
            ``[Q, k]`` (int64); a row with fewer than ``k`` allowed results is padded with
            index -1 and distance ``inf``. Ranking uses the raw distances; the returned
            squared Euclidean distances are then clipped at 0 (rounding can make a distance
            of an image to itself slightly negative).
        """
        q = as_feature_tensor(queries, 'query features').float()
        if q.shape[1] != self.dim:
            raise ValueError(f'query features have dimension {q.shape[1]}, the gallery '
                             f'{self.dim}')
        if k < 1:
            raise ValueError(f'k must be positive, got {k}')
        if exclude is not None and len(exclude) != q.shape[0]:
            raise ValueError(f'{len(exclude)} exclusion sets for {q.shape[0]} queries')
        k = min(k, len(self))
        k_search = k if exclude is None else min(len(self),
                                                 k + max((len(e) for e in exclude), default=0))
        q = prepare_features(q, self.metric)
        if self._faiss_index is not None:
            dist, idx = self._faiss_index.search(np.ascontiguousarray(q.numpy()), k_search)
            if self.metric == 'cosine':
                dist = 1.0 - dist
            dist, idx = dist.astype(np.float32), idx.astype(np.int64)
        else:
            dist, idx = self._exact_search(q, k_search)
        if self.metric == 'euclidean':
            dist = np.maximum(dist, 0.0)
        if exclude is None:
            return dist, idx
        out_dist = np.full((q.shape[0], k), np.inf, np.float32)
        out_idx = np.full((q.shape[0], k), -1, np.int64)
        for row, banned in enumerate(exclude):
            keep = ~np.isin(idx[row], np.fromiter(banned, np.int64, len(banned)))
            kept = idx[row][keep][:k]
            out_idx[row, :len(kept)] = kept
            out_dist[row, :len(kept)] = dist[row][keep][:k]
        return out_dist, out_idx

    def _exact_search(self, q: torch.Tensor, k: int) -> Tuple[np.ndarray, np.ndarray]:
        out_dist = torch.empty((q.shape[0], k), dtype=torch.float32)
        out_idx = torch.empty((q.shape[0], k), dtype=torch.int64)
        bs = self.block_size
        for q0 in range(0, q.shape[0], bs):
            qb = q[q0:q0 + bs]
            best_d = torch.empty((qb.shape[0], 0), dtype=torch.float32)
            best_i = torch.empty((qb.shape[0], 0), dtype=torch.int64)
            for g0 in range(0, len(self), bs):
                d = block_distance(qb, self._prepared[g0:g0 + bs], self.metric,
                                   self._sq_norms[g0:g0 + bs])
                idx = torch.arange(g0, g0 + d.shape[1]).expand_as(d)
                # Earlier candidates come first and have smaller indices: a stable sort
                # breaks ties by gallery order.
                d = torch.cat([best_d, d], dim=1)
                idx = torch.cat([best_i, idx], dim=1)
                d, order = torch.sort(d, dim=1, stable=True)
                best_d, best_i = d[:, :k], torch.gather(idx, 1, order[:, :k])
            out_dist[q0:q0 + bs] = best_d
            out_idx[q0:q0 + bs] = best_i
        return out_dist.numpy(), out_idx.numpy()

    def matches(self, indices: np.ndarray, query_labels: Sequence[str]) -> np.ndarray:
        """Whether each result has its query's label: ``[Q, k]`` bools (False for -1).

        Args:
            indices (np.ndarray): Gallery indices ``[Q, k]`` from :meth:`search`.
            query_labels (Sequence[str]): The label of each query.
        """
        if self.labels is None:
            raise ValueError('the gallery has no labels')
        if len(query_labels) != indices.shape[0]:
            raise ValueError(f'{len(query_labels)} query labels for {indices.shape[0]} queries')
        gallery = np.asarray(self.labels)
        found = gallery[np.maximum(indices, 0)] == np.asarray([str(x)
                                                              for x in query_labels])[:, None]
        return found & (indices >= 0)

    def save(self, path: str) -> str:
        """Save features, names, labels and metric to a ``.npz`` file."""
        if not str(path).endswith('.npz'):
            raise ValueError(f'{path}: a gallery index is saved as .npz')
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        arrays = dict(features=self.features.numpy(), names=np.asarray(self.names),
                      metric=np.asarray(self.metric))
        if self.labels is not None:
            arrays['labels'] = np.asarray(self.labels)
        np.savez(path, **arrays)
        return path

    @classmethod
    def load(cls, path: str, backend: str = 'exact', block_size: int = 1024) -> 'GalleryIndex':
        """Load an index saved by :meth:`save`.

        Args:
            path (str): The ``.npz`` file.
            backend (str): ``'exact'`` or ``'faiss'``. Defaults to 'exact'.
            block_size (int): As in the constructor. Defaults to 1024.
        """
        if not osp.isfile(path):
            raise FileNotFoundError(f'gallery index not found: {path}')
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError) as err:
            raise ValueError(f'{path} is not a gallery index (.npz): {err}') from None
        missing = {'features', 'names', 'metric'} - set(arrays)
        if missing:
            raise ValueError(f'{path} is not a gallery index: it lacks {sorted(missing)}')
        labels = arrays['labels'].tolist() if 'labels' in arrays else None
        return cls(arrays['features'], arrays['names'].tolist(), labels,
                   str(arrays['metric']), backend, block_size)
