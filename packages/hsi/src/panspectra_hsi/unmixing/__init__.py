"""Linear spectral unmixing: endmember extraction (VCA, N-FINDR), FCLS abundances, an
autoencoder unmixer, matched metrics (SAD, abundance RMSE) and synthetic mixtures.

Conventions: pixels (N, B); endmembers (K, B); abundances (N, K), non-negative, summing to one.
"""

from .abundances import fcls, fcls_exact, fcls_pgd, fcls_ref, project_simplex
from .autoencoder import AutoencoderResult, UnmixingAutoencoder, fit_autoencoder
from .endmembers import nfindr, vca
from .metrics import UnmixingScores, match_endmembers, score_unmixing, spectral_angles
from .pipeline import METHODS, UnmixingResult, unmix
from .synthetic import synthetic_mixture

__all__ = [
    "METHODS",
    "AutoencoderResult",
    "UnmixingAutoencoder",
    "UnmixingResult",
    "UnmixingScores",
    "fcls",
    "fcls_exact",
    "fcls_pgd",
    "fcls_ref",
    "fit_autoencoder",
    "match_endmembers",
    "nfindr",
    "project_simplex",
    "score_unmixing",
    "spectral_angles",
    "synthetic_mixture",
    "unmix",
    "vca",
]
