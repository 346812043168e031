"""Year-level pair rules: both images show a year part's design (a negative: a design that
differs between its two years), unless ``year_pairs_show_design`` is off."""
from eianet_mm.datasets.synthcars.pairs import PairImage, sample_pairs

# One model, two years, front / rear / side views; the year-2 tail light is the year-1 one.
IMAGES = [
    PairImage('a', 1, 1, 2001, 1, (('head_light', 0), )),
    PairImage('b', 1, 1, 2001, 2, (('tail_light', 0), )),
    PairImage('c', 1, 1, 2002, 1, (('head_light', 1), )),
    PairImage('d', 1, 1, 2002, 2, (('tail_light', 0), )),
    PairImage('e', 1, 1, 2001, 3, (('head_light', 0), ('tail_light', 0))),
    PairImage('f', 1, 1, 2002, 3, (('head_light', 1), ('tail_light', 0))),
]


def _sets(pairs):
    pos, neg = pairs['year_hard']
    return {tuple(sorted(p)) for p in pos}, {tuple(sorted(p)) for p in neg}


def test_year_hard_pairs_show_a_common_design():
    pos, neg = _sets(sample_pairs(IMAGES, 50, seed=0))
    # a front and a rear view show no common part; the tail light is the same in both years
    assert neg == {(0, 5), (2, 4)}
    assert len(pos) == 2 and pos <= {(0, 4), (1, 4), (2, 5), (3, 5)}


def test_without_the_rule_every_viewpoint_pair_is_drawn():
    pos, neg = _sets(sample_pairs(IMAGES, 50, seed=0, year_pairs_show_design=False))
    assert pos == {(0, 1), (0, 4), (1, 4), (2, 3), (2, 5), (3, 5)}
    assert neg == {(0, 3), (0, 5), (1, 2), (1, 5), (2, 4), (3, 4)}
