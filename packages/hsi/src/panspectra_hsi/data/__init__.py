"""Hyperspectral data: loaders, the :class:`Scene`, named datasets, split protocols, patches."""

from panspectra_hsi.data.errors import HSIDataError
from panspectra_hsi.data.named import list_named_datasets, load_named_scene, load_samson
from panspectra_hsi.data.patches import PatchDataset, gather_patches, pad_cube, pixel_coordinates
from panspectra_hsi.data.preprocessing import SpectralPreprocessor
from panspectra_hsi.data.protocols import Split, disjoint_split, fixed_split, random_split
from panspectra_hsi.data.scene import Scene, encode_labels, load_scene, scene_from_source
from panspectra_hsi.data.sources import CubeSource, open_cube, read_array

__all__ = [
    "CubeSource",
    "HSIDataError",
    "PatchDataset",
    "Scene",
    "SpectralPreprocessor",
    "Split",
    "disjoint_split",
    "encode_labels",
    "fixed_split",
    "gather_patches",
    "list_named_datasets",
    "load_named_scene",
    "load_samson",
    "load_scene",
    "open_cube",
    "pad_cube",
    "pixel_coordinates",
    "random_split",
    "read_array",
    "scene_from_source",
]
