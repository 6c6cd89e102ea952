"""The domain kit: one way to declare a run, its CLI, recipes, seeds, outputs and predictors.

A domain writes its loaders, models (registered with their recipes), metrics/plots and a
:class:`DomainCLI` declaration; everything else — flags, ``--config``/``--print-config``,
recipe merging, seeds and the output layout, staged outputs, one-line errors, ``list-models``,
``info``, ``--version`` and checkpoint loading — comes from here. See ``CONTRIBUTING.md``.
"""

from panspectra_core.kit.adapt import adapt_to_data, fit_to_budget, member_seed, share_in_order
from panspectra_core.kit.app import DomainCLI, Verb
from panspectra_core.kit.common import (
    COMMON_OPTIONS,
    MODEL,
    MODEL_KWARGS,
    OUTPUT,
    PRECISIONS,
    SCHEDULERS,
    TRAINING_OPTIONS,
    trainer_config,
)
from panspectra_core.kit.components import ComponentRegistry, registry_of
from panspectra_core.kit.options import (
    Option,
    RunConfig,
    assignments,
    fraction,
    json_dict,
    name_list,
    non_negative,
    positive,
    probability,
    resolve,
)
from panspectra_core.kit.predictor import Predictor
from panspectra_core.kit.runs import run_seeds, seed_folder

__all__ = [
    "COMMON_OPTIONS",
    "MODEL",
    "MODEL_KWARGS",
    "OUTPUT",
    "PRECISIONS",
    "SCHEDULERS",
    "TRAINING_OPTIONS",
    "ComponentRegistry",
    "DomainCLI",
    "Option",
    "Predictor",
    "RunConfig",
    "Verb",
    "adapt_to_data",
    "assignments",
    "fit_to_budget",
    "fraction",
    "json_dict",
    "member_seed",
    "name_list",
    "non_negative",
    "positive",
    "probability",
    "registry_of",
    "resolve",
    "run_seeds",
    "seed_folder",
    "share_in_order",
    "trainer_config",
]
