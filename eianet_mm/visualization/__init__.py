"""Drawing functions for the everyday tools: parts, verified pairs, ranking lists, heat maps.

Plain OpenCV/numpy, deterministic; images are ``uint8`` BGR ``[H, W, 3]`` in and out.
"""
from .canvas import PART_COLORS, hstack, part_color, vstack, write_png
from .heatmap import activation_map, draw_heatmap_row, overlay_heatmap
from .parts import draw_parts, draw_parts_grid, part_name
from .ranking import draw_ranking_list
from .verify_pair import decision_text, decision_word, draw_verify_pair

__all__ = [
    'PART_COLORS', 'activation_map', 'decision_text', 'decision_word', 'draw_heatmap_row',
    'draw_parts', 'draw_parts_grid', 'draw_ranking_list', 'draw_verify_pair', 'hstack',
    'overlay_heatmap', 'part_color', 'part_name', 'vstack', 'write_png'
]
