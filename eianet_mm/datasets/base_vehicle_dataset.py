"""What the vehicle datasets share: the ``mode`` switch and the data-sample layout."""
import os.path as osp

from mmengine.dataset import BaseDataset

__all__ = ['BaseVehicleDataset']


class BaseVehicleDataset(BaseDataset):
    """Base of the verification and re-ID datasets (CompCars, VehicleID, VeRi, VERI-Wild).

    Each ``data_list`` entry follows the data-sample table of ``docs/interfaces.md``; build
    them with :meth:`make_sample`.

    Args:
        mode (str): ``'train'`` or ``'test'``. Also sets mmengine's ``test_mode`` unless that
            is given explicitly. Defaults to 'train'.
        **kwargs: Arguments of mmengine's ``BaseDataset`` (``data_root``, ``pipeline``,
            ``metainfo``, ``serialize_data``, ``lazy_init``, ``indices``, ...).
    """

    def __init__(self, mode: str = 'train', **kwargs) -> None:
        if mode not in ('train', 'test'):
            raise ValueError(f"{type(self).__name__}: mode must be 'train' or 'test', "
                             f'got {mode!r}')
        self.mode = mode
        kwargs.setdefault('test_mode', mode == 'test')
        super().__init__(**kwargs)

    def root_path(self, *parts: str) -> str:
        """Absolute path of ``parts`` joined under ``data_root``."""
        return osp.abspath(osp.join(self.data_root or '', *parts))

    @staticmethod
    def make_sample(img_path: str,
                    img_id: str,
                    id_label: int,
                    coarse_label: int = -1,
                    cam_id: int = -1,
                    is_query: bool = False,
                    **extra) -> dict:
        """One ``data_list`` entry (no part boxes: ``instances`` is ``[]``).

        Args:
            img_path (str): Absolute image path.
            img_id (str): Path relative to the dataset's image folder.
            id_label (int): The class making a positive set.
            coarse_label (int): The vehicle model; -1 unknown. Defaults to -1.
            cam_id (int): Camera id; -1 when none. Defaults to -1.
            is_query (bool): Query image of a re-ID test set. Defaults to False.
            **extra: Optional keys (``viewpoint``, ``make_id``, ``model_id``, ``year``, ...).

        Returns:
            dict: The sample.
        """
        return dict(img_path=img_path, img_id=img_id, id_label=int(id_label),
                    coarse_label=int(coarse_label), cam_id=int(cam_id),
                    is_query=bool(is_query), instances=[], **extra)
