"""Sizes and settings of a SynthCars dataset, and the constants every file of it shares."""
from dataclasses import asdict, dataclass, fields, replace
from typing import Dict, Tuple

#: Part classes in order (= ``bbox_label``; COCO category id = index + 1), see docs/interfaces.md.
PART_NAMES: Tuple[str, ...] = ('head_light', 'tail_light', 'logo', 'plate', 'wind_glass',
                               'back_mirror', 'wheel')

#: CompCars viewpoint codes.
VIEWPOINTS: Dict[int, str] = {1: 'front', 2: 'rear', 3: 'side', 4: 'front_side', 5: 'rear_side'}

#: Parts a model year may change. ``grille`` is a region, not an annotated part class.
YEAR_PART_CHOICES: Tuple[str, ...] = ('head_light', 'tail_light', 'logo', 'wheel', 'grille')

#: Named size presets; ``demo`` equals the dataclass defaults.
PRESETS: Dict[str, Dict[str, object]] = {
    'tiny': dict(makes=2, models_per_make=2, years_per_model=2, images_per_class=6,
                 test_images_per_class=0, instances=8, cameras=4, cameras_per_instance=2,
                 images_per_camera=1, image_size=64, test_model_fraction=0.5,
                 occlusion_prob=0.25, clutter_max=8),
    'demo': dict(),
    'large': dict(makes=10, models_per_make=4, years_per_model=3, images_per_class=40,
                  test_images_per_class=0, instances=400, cameras=20, cameras_per_instance=4,
                  images_per_camera=3, image_size=224, occlusion_prob=0.25, clutter_max=8),
}


@dataclass(frozen=True)
class SynthCarsConfig:
    """Sizes and nuisance settings of a SynthCars dataset (the seed is separate).

    The defaults form the ``demo`` preset: 5 makes x 3 models x 3 years; 120 CompCars images
    per model-year of the 10 training models (3,600) and 200 of the 5 test models (3,000); 96
    VeRi-776 and 96 VehicleID vehicles with 6 images each (plus 144 VeRi query copies);
    128 x 128 pixels: about 7,900 images, a few seconds on 2 cores. Its nuisance is lighter
    than ``tiny`` / ``large`` (occlusion 0.1, at most 2 clutter shapes): with 24 training
    images per class and the heavier nuisance no network learned anything transferable in
    the demo's minutes (docs/synthcars_learning.md).

    Args:
        makes (int): Number of makes. Defaults to 5.
        models_per_make (int): Models of each make (>= 2, so that the hard model-level pairs,
            negatives of the same make, exist). Defaults to 3.
        years_per_model (int): Released years of each model (>= 2, so that year-level pairs
            exist). Defaults to 3.
        images_per_class (int): CompCars images per model-year of the training models
            (>= 2). Defaults to 120.
        test_images_per_class (int): CompCars images per model-year of the test models
            (>= 2); 0 means ``images_per_class``. It sets the pair lists' size too (as many
            positives as test images). Defaults to 200: with 24 (720 pairs per list) one
            list's accuracy moved by up to 0.05 between two draws of test images for the same
            networks, more than the year-level differences it was to measure
            (docs/synthcars_learning.md, section 14).
        instances (int): Vehicle identities of VeRi-776, and again of VehicleID (>= 4).
            Defaults to 96.
        cameras (int): Cameras of each re-ID set, each with its own nuisance profile (>= 2;
            VeRi's names hold at most 999). Defaults to 8.
        cameras_per_instance (int): Cameras that see each re-ID vehicle (2..cameras).
            Defaults to 3.
        images_per_camera (int): Images of a re-ID vehicle per camera. Defaults to 2.
        image_size (int): Side of the square images in pixels (>= 32). Defaults to 128.
        test_model_fraction (float): Fraction of the models held out as the verification
            test models (disjoint from the training models, as CompCars Part-II/III).
            Defaults to 1 / 3.
        reid_test_fraction (float): Fraction of the re-ID identities in the test split.
            Defaults to 0.5.
        pairs_per_file (int): Pairs of each verification pair file, half positive; 0 scales
            it to the data (as many positives as test images). Defaults to 0.
        year_parts (tuple[str]): Parts a new model year may change, from
            ``head_light, tail_light, logo, wheel, grille`` (``grille`` has no part box).
            Defaults to ``('head_light', 'tail_light', 'wheel')``.
        min_parts_per_year (int): A new year changes at least this many of ``year_parts``.
            Defaults to 3.
        max_parts_per_year (int): A new year changes at most this many of ``year_parts``
            (the number is drawn uniformly in ``min..max``). Defaults to 3: every new year
            redesigns the head light, tail light and wheel, as a facelift does. With the
            earlier 1..2 of head light, tail light, logo and wheel, the ground-truth crops
            of the head lights separated the years with AUC 0.63 only (0.91 now) and no
            network learned the year level (docs/synthcars_learning.md, sections 6, 7, 10).
        year_pairs_show_design (bool): Year-level pairs only of images that both show the
            design of a part in ``year_parts`` (a negative pair: one whose design differs
            between its two years). False draws them from every viewpoint: a front and a rear
            view (or a front and a rear-side view) then share no year part, and a third of the
            year-hard pairs had no answer in the pixels, holding every network and the
            ground-truth part oracle near chance there (docs/synthcars_learning.md, section
            12). Defaults to True.
        occlusion_prob (float): Probability of an occluder in front of the vehicle.
            Defaults to 0.1.
        clutter_max (int): Most clutter shapes in a background. Defaults to 2.
        min_part_visibility (float): A part box is kept only when at least this fraction of
            it is inside the image and not occluded. Defaults to 0.5.
        min_part_size (int): A part box is kept only when its clipped width and height are at
            least this many pixels. Defaults to 2.
        jpeg_quality (int): JPEG quality of the written images. Defaults to 92.
    """

    makes: int = 5
    models_per_make: int = 3
    years_per_model: int = 3
    images_per_class: int = 120
    test_images_per_class: int = 200
    instances: int = 96
    cameras: int = 8
    cameras_per_instance: int = 3
    images_per_camera: int = 2
    image_size: int = 128
    test_model_fraction: float = 1 / 3
    reid_test_fraction: float = 0.5
    pairs_per_file: int = 0
    year_parts: Tuple[str, ...] = ('head_light', 'tail_light', 'wheel')
    min_parts_per_year: int = 3
    max_parts_per_year: int = 3
    year_pairs_show_design: bool = True
    occlusion_prob: float = 0.1
    clutter_max: int = 2
    min_part_visibility: float = 0.5
    min_part_size: int = 2
    jpeg_quality: int = 92

    def __post_init__(self) -> None:
        object.__setattr__(self, 'year_parts', tuple(self.year_parts))
        minimum = dict(makes=1, models_per_make=2, years_per_model=2, images_per_class=2,
                       instances=4, cameras=2, cameras_per_instance=2, images_per_camera=1,
                       image_size=32, clutter_max=0, min_part_size=1, min_parts_per_year=1,
                       max_parts_per_year=1)
        for name, low in minimum.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f'SynthCarsConfig.{name} must be an integer >= {low}, '
                                 f'got {value!r}')
        if self.cameras > 999:
            raise ValueError(f'SynthCarsConfig.cameras must be <= 999 (VeRi file names hold '
                             f'3 digits), got {self.cameras}')
        if self.instances > 9999:
            raise ValueError(f'SynthCarsConfig.instances must be <= 9999 (VeRi file names '
                             f'hold 4 digits), got {self.instances}')
        n_vid_images = self.instances * self.cameras_per_instance * self.images_per_camera
        if n_vid_images > 9_999_999:
            raise ValueError(f'SynthCarsConfig: {n_vid_images} VehicleID images do not fit its '
                             '7-digit file names')
        if self.cameras_per_instance > self.cameras:
            raise ValueError(f'SynthCarsConfig.cameras_per_instance ({self.cameras_per_instance}'
                             f') must be <= cameras ({self.cameras})')
        if not 0 < self.test_model_fraction < 1:
            raise ValueError('SynthCarsConfig.test_model_fraction must be in (0, 1), got '
                             f'{self.test_model_fraction}')
        if not 0 < self.reid_test_fraction < 1:
            raise ValueError('SynthCarsConfig.reid_test_fraction must be in (0, 1), got '
                             f'{self.reid_test_fraction}')
        if self.test_images_per_class != 0 and (
                not isinstance(self.test_images_per_class, int)
                or isinstance(self.test_images_per_class, bool)
                or self.test_images_per_class < 2):
            raise ValueError('SynthCarsConfig.test_images_per_class must be 0 (= '
                             f'images_per_class) or an integer >= 2, got '
                             f'{self.test_images_per_class!r}')
        if self.pairs_per_file < 0:
            raise ValueError(f'SynthCarsConfig.pairs_per_file must be >= 0, got '
                             f'{self.pairs_per_file}')
        unknown = [p for p in self.year_parts if p not in YEAR_PART_CHOICES]
        if unknown or not self.year_parts or len(set(self.year_parts)) != len(self.year_parts):
            raise ValueError(f'SynthCarsConfig.year_parts must be distinct names from '
                             f'{YEAR_PART_CHOICES}, got {self.year_parts}')
        if not self.min_parts_per_year <= self.max_parts_per_year <= len(self.year_parts):
            raise ValueError('SynthCarsConfig: a new year changes min_parts_per_year .. '
                             'max_parts_per_year of the year_parts, so they need min <= max <= '
                             f'len(year_parts); got {self.min_parts_per_year}, '
                             f'{self.max_parts_per_year}, {len(self.year_parts)}')
        if not isinstance(self.year_pairs_show_design, bool):
            raise ValueError('SynthCarsConfig.year_pairs_show_design must be True or False, '
                             f'got {self.year_pairs_show_design!r}')
        if not 0 <= self.occlusion_prob <= 1:
            raise ValueError(f'SynthCarsConfig.occlusion_prob must be in [0, 1], got '
                             f'{self.occlusion_prob}')
        if not 0 < self.min_part_visibility <= 1:
            raise ValueError('SynthCarsConfig.min_part_visibility must be in (0, 1], got '
                             f'{self.min_part_visibility}')
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f'SynthCarsConfig.jpeg_quality must be in [1, 100], got '
                             f'{self.jpeg_quality}')
        n_models = self.makes * self.models_per_make
        n_test = self.num_test_models
        if n_test < 2 or n_models - n_test < 1:
            raise ValueError(f'SynthCarsConfig: {n_models} models with test_model_fraction='
                             f'{self.test_model_fraction} give {n_test} test models; need at '
                             'least 2 test models and 1 training model')
        n_reid_test = self.num_reid_test_ids
        if n_reid_test < 2 or self.instances - n_reid_test < 2:
            raise ValueError(f'SynthCarsConfig: instances={self.instances} with '
                             f'reid_test_fraction={self.reid_test_fraction} must leave at '
                             'least 2 training and 2 test identities')

    def compcars_images_per_class(self, split: str) -> int:
        """CompCars images per model-year of a ``'train'`` or ``'test'`` model."""
        if split == 'test' and self.test_images_per_class:
            return self.test_images_per_class
        return self.images_per_class

    @property
    def num_test_models(self) -> int:
        """Number of verification test models."""
        return int(round(self.makes * self.models_per_make * self.test_model_fraction))

    @property
    def num_reid_test_ids(self) -> int:
        """Number of re-ID test identities (of each re-ID set)."""
        return int(round(self.instances * self.reid_test_fraction))

    @classmethod
    def from_preset(cls, name: str, **overrides: object) -> 'SynthCarsConfig':
        """Build the config of a named preset (``tiny``, ``demo``, ``large``) with overrides.

        Args:
            name (str): The preset name.
            **overrides: Fields to change.

        Returns:
            SynthCarsConfig: The config.
        """
        if name not in PRESETS:
            raise ValueError(f'unknown SynthCars preset {name!r}; choose from '
                             f'{sorted(PRESETS)}')
        known = {f.name for f in fields(cls)}
        bad = sorted(set(overrides) - known)
        if bad:
            raise ValueError(f'unknown SynthCarsConfig fields {bad}')
        return replace(cls(**PRESETS[name]), **overrides)

    def to_dict(self) -> Dict[str, object]:
        """The settings as a JSON-ready dict."""
        out = asdict(self)
        out['year_parts'] = list(self.year_parts)
        return out
