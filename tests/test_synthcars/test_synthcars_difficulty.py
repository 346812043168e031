"""The "done when" of issue 3 on a small set: a colour histogram is near chance on year-level
pairs while the parts decide them; and the scoring helpers against direct computations."""
import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from eianet_mm.datasets.synthcars import SynthCarsConfig, generate
from eianet_mm.datasets.synthcars.difficulty import (_best_threshold, cv_accuracy,
                                                     evaluate_difficulty, read_pairs,
                                                     read_part_boxes, roc_auc)


def test_histogram_near_chance_and_part_oracle_well_above_on_year_pairs(tmp_path):
    cfg = SynthCarsConfig(makes=3, models_per_make=2, years_per_model=2, images_per_class=24,
                          test_images_per_class=0, test_model_fraction=0.5, instances=4, cameras=2,
                          cameras_per_instance=2, images_per_camera=1, image_size=96,
                          occlusion_prob=0.25, clutter_max=8)  # the tiny/large nuisance
    generate(str(tmp_path), cfg, seed=0, num_workers=2)
    r = evaluate_difficulty(str(tmp_path), names=('year_easy', ))['year_easy']
    assert r['pairs'] == 288
    assert 0.4 < r['histogram_auc'] < 0.6 and 0.4 < r['histogram_acc'] < 0.6
    assert r['oracle_auc'] > 0.7 and r['oracle_auc'] > r['histogram_auc'] + 0.15
    assert r['oracle_acc'] > r['histogram_acc'] + 0.1


def test_roc_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.round(rng.normal(size=200) + labels * 0.7, 1)  # rounded: many ties
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    with pytest.raises(ValueError, match='positive and negative'):
        roc_auc(np.ones(3, int), np.zeros(3))


def test_cv_accuracy_uses_held_out_folds():
    labels = np.array([1] * 50 + [0] * 50)
    assert cv_accuracy(labels, labels.astype(float)) == 1.0
    # "score >= threshold means same" cannot invert anti-correlated or constant scores
    assert cv_accuracy(labels, -labels.astype(float)) == 0.5
    assert cv_accuracy(labels, np.zeros(100)) == 0.5
    # on noise, the in-sample best threshold looks good, the held-out folds do not
    rng = np.random.default_rng(1)
    labels = rng.permutation(np.repeat([0, 1], 500))
    scores = rng.normal(size=1000)
    in_sample = max(np.mean((scores >= t) == (labels == 1)) for t in scores)
    held_out = cv_accuracy(labels, scores)
    assert held_out < in_sample and abs(held_out - 0.5) < 0.04


def test_best_threshold_matches_a_brute_force_search():
    rng = np.random.default_rng(3)
    for _ in range(50):
        labels = rng.integers(0, 2, 40)
        scores = np.round(rng.normal(size=40), 1)
        best = max(np.mean((scores >= t) == (labels == 1)) for t in np.unique(scores))
        t = _best_threshold(scores, labels)
        assert np.mean((scores >= t) == (labels == 1)) == best


def test_read_pairs_names_the_bad_line(tmp_path):
    d = tmp_path / 'compcars/data/train_test_split/verification'
    d.mkdir(parents=True)
    (d / 'verification_pairs_easy.txt').write_text('a.jpg b.jpg 1\na.jpg c.jpg 2\n')
    with pytest.raises(ValueError, match=r'verification_pairs_easy.txt:2: expected'):
        read_pairs(str(tmp_path), 'model_easy')
    (d / 'verification_pairs_easy.txt').write_text('a.jpg b.jpg 1\na.jpg c.jpg 0\n')
    first, second, labels = read_pairs(str(tmp_path), 'model_easy')
    assert first == ['a.jpg', 'a.jpg'] and second == ['b.jpg', 'c.jpg']
    assert labels.tolist() == [1, 0]


def test_read_part_boxes_keeps_the_largest_box_of_each_part(tmp_path):
    coco = dict(images=[dict(id=1, file_name='a.jpg'), dict(id=2, file_name='b.jpg')],
                annotations=[dict(id=1, image_id=1, category_id=1, bbox=[0, 0, 4, 4]),
                             dict(id=2, image_id=1, category_id=1, bbox=[10, 10, 6, 5]),
                             dict(id=3, image_id=1, category_id=9, bbox=[1, 2, 3, 4])])
    path = tmp_path / 'parts.json'
    path.write_text(json.dumps(coco))
    assert read_part_boxes(str(path)) == {'a.jpg': {0: (10, 10, 16, 15), 8: (1, 2, 4, 6)},
                                          'b.jpg': {}}
