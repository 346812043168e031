"""Ranking lists of a gallery search (the paper's Fig. 5)."""
from typing import Optional, Sequence

import numpy as np

from .canvas import (BLUE, GRAY, GREEN, RED, WHITE, add_frame, as_bgr_image, caption_strip,
                     fit_in_box, hstack)


def draw_ranking_list(query: np.ndarray,
                      gallery: Sequence[np.ndarray],
                      distances: Optional[Sequence[float]] = None,
                      matches: Optional[Sequence[bool]] = None,
                      query_title: Optional[str] = None,
                      tile_size: int = 128,
                      frame: int = 4) -> np.ndarray:
    """One row: the query, then its top-k gallery images in rank order.

    The query is framed in blue; a gallery image is framed green when it is a true match,
    red when it is a false one, and gray when the labels are not known.

    Args:
        query (np.ndarray): Query image, ``uint8`` BGR.
        gallery (Sequence[np.ndarray]): Ranked gallery images (rank 1 first).
        distances (Sequence[float], optional): The distance of each gallery image, printed
            under it. Defaults to None.
        matches (Sequence[bool], optional): Whether each gallery image is a true match.
            Defaults to None (labels unknown).
        query_title (str, optional): Caption under the query. Defaults to None ('query').
        tile_size (int): Every image is letterboxed into a square of this many pixels.
            Defaults to 128.
        frame (int): Frame thickness in pixels. Defaults to 4.

    Returns:
        np.ndarray: The row, ``uint8`` BGR.
    """
    num = len(gallery)
    if distances is not None and len(distances) != num:
        raise ValueError(f'{len(distances)} distances for {num} gallery images')
    if matches is not None and len(matches) != num:
        raise ValueError(f'{len(matches)} match flags for {num} gallery images')
    size = (tile_size, tile_size)

    def tile(image: np.ndarray, color, caption: str, name: str) -> np.ndarray:
        framed = add_frame(fit_in_box(as_bgr_image(image, name), size, WHITE), color, frame)
        return np.concatenate([framed, caption_strip(tile_size, [caption], color, 0.4)])

    tiles = [tile(query, BLUE, query_title or 'query', 'query')]
    for rank, image in enumerate(gallery, start=1):
        if matches is None:
            color = GRAY
        else:
            color = GREEN if matches[rank - 1] else RED
        caption = f'#{rank}' if distances is None else f'#{rank} d={distances[rank - 1]:.3g}'
        tiles.append(tile(image, color, caption, f'gallery image {rank}'))
    if num == 0:
        return tiles[0]
    spacer = np.full((tiles[0].shape[0], max(tile_size // 8, 1), 3), WHITE, np.uint8)
    return hstack([tiles[0], spacer, *tiles[1:]], gap=2)
