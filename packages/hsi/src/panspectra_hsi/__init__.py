"""PanSpectra hyperspectral imaging: classification maps you can trust (``hsi-classify``) and
spectral unmixing (``hsi-unmix``).

Subpackages: :mod:`panspectra_hsi.data` (loaders, protocols, patches), :mod:`panspectra_hsi.eval`
(accuracy figures), :mod:`panspectra_hsi.pipeline` (train / evaluate / predict as functions),
:mod:`panspectra_hsi.models` (registered models and recipes).
"""

__version__ = "0.1.0"
