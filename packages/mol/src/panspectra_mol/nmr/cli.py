"""``mol-nmr``: 13C chemical shifts per atom and structures ranked against a measured
peak list (train | predict | rank | list-models | info)."""

from __future__ import annotations

from pathlib import Path

from panspectra_core.errors import UserError
from panspectra_core.kit import (
    COMMON_OPTIONS,
    TRAINING_OPTIONS,
    DomainCLI,
    Option,
    RunConfig,
    positive,
    registry_of,
)

PROTOCOLS = registry_of(
    {
        "random": "seeded random held-out molecules (CASCADE: 500)",
        "scaffold": "balanced Bemis-Murcko scaffold split, about as many test molecules",
    },
    "protocol",
)

app = DomainCLI(
    prog="mol-nmr",
    description="13C NMR: per-atom chemical shifts from structure (trained on NMRShiftDB2 "
    "experimental shifts) and candidate structures ranked against an observed peak list.",
    domain="mol",
    model_tag="nmr",
    default_model="nmr_dmpnn",
    components={"protocols": PROTOCOLS},
)

CHECKPOINT = Option("checkpoint", Path, None, "model.safetensors of mol-nmr train", "model",
                    required=True, metavar="CKPT")  # fmt: skip
QUIET_THREADS = (COMMON_OPTIONS[4], COMMON_OPTIONS[6])


@app.verb(
    "train",
    options=(
        Option("dataset", str, "nmrshiftdb2_nmr8k", "named dataset", "data",
               choices=("nmrshiftdb2_nmr8k",)),
        Option("split", str, "random", "held-out protocol", "data", choices=PROTOCOLS),
        Option("test_molecules", int, 500, "held-out molecules", "data", validate=positive),
        Option("max_molecules", int, None, "use a seeded random subset of this many molecules",
               "data", validate=positive),
        Option("ensemble", int, 1, "models averaged per seed (default: recipe)", "model",
               recipe=True, validate=positive),
        *COMMON_OPTIONS, *TRAINING_OPTIONS,
    ),
    output="dir",
    help="train a shift model; score MAE (ppm) on the held-out molecules",
)  # fmt: skip
def train(cfg: RunConfig, out: Path) -> dict:
    from panspectra_mol.nmr.train import run_nmr_train

    return run_nmr_train(cfg, out)


@app.verb(
    "evaluate",
    options=(CHECKPOINT, *COMMON_OPTIONS[:3], *QUIET_THREADS),
    output="dir",
    help="score a checkpoint on the held-out molecules of its training run",
)
def evaluate(cfg: RunConfig, out: Path) -> dict:
    from panspectra_mol.nmr.train import run_nmr_evaluate

    return run_nmr_evaluate(cfg, out)


@app.verb(
    "predict",
    options=(CHECKPOINT, Option("smiles", str, None, "the structure", "data", required=True),
             Option("picture", Path, None, "annotated PNG (default: none)", "output",
                    metavar="PNG"),
             Option("overwrite", bool, False, "replace an existing picture", "output"),
             *QUIET_THREADS),
    help="print each carbon's predicted shift; optionally draw them on the structure",
)  # fmt: skip
def predict(cfg: RunConfig, out: None) -> dict:
    from panspectra_core.io import check_output_file
    from panspectra_mol.nmr.data import carbon_environment
    from panspectra_mol.nmr.predict import ShiftPredictor, draw_shifts

    picture = check_output_file(cfg.picture, cfg.overwrite) if cfg.picture else None
    predictor = ShiftPredictor.load(cfg.checkpoint)
    mol = predictor.parse(cfg.smiles)
    shifts = predictor.shifts([mol])[0]
    print("atom\telement\tenvironment\tshift_ppm")
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() == 6:
            i = atom.GetIdx()
            print(f"{i}\tC\t{carbon_environment(atom)}\t{shifts[i]:.2f}")
    if picture is not None:
        draw_shifts(mol, shifts, picture)
        print(f"wrote {picture}")
    return {}


@app.verb(
    "rank",
    options=(CHECKPOINT,
             Option("peaks", Path, None, "observed 13C peaks, one ppm value per line", "data",
                    required=True, metavar="FILE"),
             Option("candidates", Path, None, "candidate SMILES, one per line (.smi)", "data",
                    required=True, metavar="FILE"),
             Option("penalty", float, 10.0, "ppm charged per unmatched peak", "data",
                    validate=positive),
             *QUIET_THREADS),
    help="rank candidate structures by how well their predicted spectra match the peaks",
)  # fmt: skip
def rank(cfg: RunConfig, out: None) -> dict:
    from panspectra_mol.nmr.data import read_peaks
    from panspectra_mol.nmr.predict import ShiftPredictor

    observed = read_peaks(cfg.peaks)
    if not cfg.candidates.is_file():
        raise UserError(f"{cfg.candidates}: candidate file not found")
    lines = [ln.split()[0] for ln in cfg.candidates.read_text().splitlines() if ln.split()]
    if not lines:
        raise UserError(f"{cfg.candidates}: no candidate SMILES")
    predictor = ShiftPredictor.load(cfg.checkpoint)
    ranked = predictor.rank(lines, observed, cfg.penalty)
    print("rank\tscore_ppm\tpredicted_peaks\tobserved_peaks\tsmiles")
    for position, (smiles, score, n_peaks) in enumerate(ranked, 1):
        print(f"{position}\t{score:.3f}\t{n_peaks}\t{len(observed)}\t{smiles}")
    return {}


main = app.main
