"""The bad-input corpus: broken inputs per format, and a runner that holds every CLI to the
one-line-error contract.

The contract (``docs/bad_inputs.md``): a CLI given a bad input exits with code 2, writes exactly
one line to stderr that names the file or the option, prints no traceback and leaves nothing
behind — neither the output nor a staging folder/file (``.NAME.partial-*``,
``.NAME.*.partial.*``).

**The corpus** (:data:`CORPUS`) is a list of :class:`BadInput` entries; each has a name, the
*formats* it applies to (``npy``, ``npz``, ``mat``, ``csv``, ``tif`` (GeoTIFF), ``checkpoint``,
``sklearn-checkpoint``, ``output-file``, ``output-dir``; ``ANY_INPUT`` is every input format)
and a generator ``make(good, dest) -> path`` that derives the broken input from a good example
of that format. Entries that need a crash or hang contained (hostile scikit-learn trees) are
``isolate=True``: they run in a child process forked from a warm server, with a timeout.

**A domain plugs in** with a small declarative table, in ``tests/<domain>/test_bad_inputs.py``::

    from panspectra_core.testing.bad_inputs import DomainTable, Verb, cases, run_case

    TABLE = DomainTable(
        domain="audio",
        verbs=[
            Verb(
                "audio-classify predict",
                entry="panspectra_audio.cli:classify_main",
                argv=["predict", "--checkpoint", "{checkpoint}", "--input", "{wav}",
                      "--output", "{output}", "--quiet"],
                roles={"checkpoint": "checkpoint", "wav": "wav", "output": "output-file"},
            ),
        ],
        xfail={("audio-classify predict", "wav", "truncated"): "loader bug #NN"},
    )

    @pytest.fixture(scope="module")
    def good_inputs(tmp_path_factory):   # role -> a good file (written once per module)
        ...

    @pytest.mark.parametrize("case", cases(TABLE), ids=str)
    def test_bad_input(case, good_inputs, tmp_path):
        run_case(case, good_inputs, tmp_path)

``roles`` maps each ``{placeholder}`` of ``argv`` to its format; every corpus entry of that
format becomes one case (the other placeholders get their good files). A domain adds its own
entries (a new format, or a domain rule such as a short ``label_values``) with ``extra``;
``skip`` names ``(verb, role, entry)`` triples that cannot apply, with the reason; ``xfail``
the ones a known defect still fails (``strict=False``: they turn green when fixed). A new
format's generators go here (or in the domain's ``extra``) beside a good example in
``good_inputs``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from panspectra_core.testing import hostile_checkpoints as hostile
from panspectra_core.testing.runner import Outcome, run_in_process, run_isolated

__all__ = [
    "CORPUS",
    "BadInput",
    "Case",
    "DomainTable",
    "Outcome",
    "Verb",
    "cases",
    "run_case",
    "run_good",
    "run_in_process",
    "run_isolated",
]

INPUT_FORMATS = ("npy", "npz", "mat", "csv", "tif", "checkpoint", "sklearn-checkpoint")
ANY_INPUT = frozenset(INPUT_FORMATS)
OUTPUT_FORMATS = frozenset({"output-file", "output-dir"})
CHECKPOINTS = frozenset({"checkpoint", "sklearn-checkpoint"})
#: a folder nobody can create anything in, root included
UNWRITABLE = Path("/proc/panspectra-unwritable")


@dataclass(frozen=True)
class BadInput:
    """One broken input: ``make(good, dest)`` writes it (``dest`` is a free path with the good
    file's suffix) and returns the path to pass; ``formats`` are the formats it applies to."""

    name: str
    formats: frozenset[str]
    make: Callable[[Path, Path], Path]
    isolate: bool = False


def _copy_bytes(transform: Callable[[bytes], bytes]) -> Callable[[Path, Path], Path]:
    def make(good: Path, dest: Path) -> Path:
        dest.write_bytes(transform(good.read_bytes()))
        return dest

    return make


def _missing(good: Path, dest: Path) -> Path:
    return dest.with_name("does-not-exist" + dest.suffix)


def _directory(good: Path, dest: Path) -> Path:
    dest.mkdir()
    return dest


def _npy(transform: Callable[[np.ndarray], Any]) -> Callable[[Path, Path], Path]:
    def make(good: Path, dest: Path) -> Path:
        np.save(dest, transform(np.load(good)), allow_pickle=True)
        return dest

    return make


def _set_first(value: float) -> Callable[[np.ndarray], np.ndarray]:
    def transform(array: np.ndarray) -> np.ndarray:
        array = array.astype(np.float32, copy=True)
        array.reshape(-1)[array.size // 2] = value
        return array

    return transform


def _npy_huge_declared(good: Path, dest: Path) -> Path:
    """A valid ``.npy`` header declaring 10**6 x 10**6 x 10**3 float32 values, and no data."""
    with dest.open("wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6, 1000)}
        )
    return dest


def _npz_unexpected_keys(good: Path, dest: Path) -> Path:
    np.savez(dest, unrelated=np.zeros(3), other=np.arange(4))
    return dest


def _mat(payload: dict[str, Any]) -> Callable[[Path, Path], Path]:
    def make(good: Path, dest: Path) -> Path:
        from scipy.io import savemat

        savemat(dest, payload)
        return dest

    return make


def _csv_cell(text: str) -> Callable[[Path, Path], Path]:
    """The good CSV with the numeric cell in the middle row, last column replaced by ``text``."""

    def make(good: Path, dest: Path) -> Path:
        lines = good.read_text().splitlines()
        row = len(lines) // 2
        cells = lines[row].split(",")
        cells[-1] = text
        lines[row] = ",".join(cells)
        dest.write_text("\n".join(lines) + "\n")
        return dest

    return make


def _csv_header_only(good: Path, dest: Path) -> Path:
    dest.write_text(good.read_text().splitlines()[0] + "\n")
    return dest


def _output_unwritable(good: Path, dest: Path) -> Path:
    return UNWRITABLE / dest.name


def _output_exists(good: Path, dest: Path) -> Path:
    """An output that already exists (no ``--overwrite``): it must be left as it was."""
    dest.write_text("keep me\n")
    return dest


CORPUS: list[BadInput] = [
    BadInput("missing", ANY_INPUT, _missing),
    BadInput("zero_byte", ANY_INPUT, _copy_bytes(lambda data: b"")),
    BadInput("directory", ANY_INPUT, _directory),
    BadInput("truncated", ANY_INPUT, _copy_bytes(lambda data: data[: len(data) // 2])),
    BadInput("garbage", ANY_INPUT, _copy_bytes(lambda data: bytes(range(256)) * 4)),
    BadInput("npy_object_dtype", frozenset({"npy"}), _npy(lambda a: a.astype(object))),
    BadInput("npy_complex_dtype", frozenset({"npy"}), _npy(lambda a: a.astype(np.complex64))),
    BadInput("npy_text_dtype", frozenset({"npy"}), _npy(lambda a: a.astype(str))),
    BadInput("npy_nan", frozenset({"npy"}), _npy(_set_first(np.nan))),
    BadInput("npy_inf", frozenset({"npy"}), _npy(_set_first(np.inf))),
    BadInput("npy_wrong_rank", frozenset({"npy"}), _npy(lambda a: a.reshape(-1))),
    BadInput("npy_extra_rank", frozenset({"npy"}), _npy(lambda a: a[None, None])),
    BadInput("npy_empty_axis", frozenset({"npy"}), _npy(lambda a: a[:0])),
    BadInput("npy_huge_declared", frozenset({"npy"}), _npy_huge_declared),
    BadInput("npz_unexpected_keys", frozenset({"npz"}), _npz_unexpected_keys),
    BadInput("mat_unexpected_keys", frozenset({"mat"}), _mat({"unrelated": np.zeros(3)})),
    BadInput("mat_text_only", frozenset({"mat"}), _mat({"cube": "not an array"})),
    BadInput("csv_inf", frozenset({"csv"}), _csv_cell("inf")),
    BadInput("csv_stray_text", frozenset({"csv"}), _csv_cell("oops")),
    BadInput("csv_header_only", frozenset({"csv"}), _csv_header_only),
    BadInput("output_unwritable", OUTPUT_FORMATS, _output_unwritable),
    BadInput("output_exists", OUTPUT_FORMATS, _output_exists),
    *[BadInput(name, CHECKPOINTS, make) for name, make in hostile.CHECKPOINT_MAKERS.items()],
    *[
        BadInput(name, frozenset({"sklearn-checkpoint"}), make, isolate=True)
        for name, make in hostile.SKLEARN_MAKERS.items()
    ],
]


# -- the domain tables -------------------------------------------------------------------------
@dataclass(frozen=True)
class Verb:
    """One CLI command: ``entry`` is ``"module:function"`` (``function(argv) -> int``), ``argv``
    its arguments with ``{placeholder}`` fields, ``roles`` the placeholders to break with their
    format, ``outputs`` the placeholders that are outputs (each gets a fresh path, with the
    suffix of ``good[placeholder]`` when given). Other placeholders get ``good[placeholder]``."""

    name: str
    entry: str
    argv: list[str]
    roles: dict[str, str]
    outputs: tuple[str, ...] = ("output",)


@dataclass
class DomainTable:
    """A domain's verbs and its additions to / exceptions from the corpus (see the module
    docstring). ``skip``/``xfail`` keys are ``(verb name, role, entry name)``."""

    domain: str
    verbs: list[Verb]
    extra: list[BadInput] = field(default_factory=list)
    skip: dict[tuple[str, str, str], str] = field(default_factory=dict)
    xfail: dict[tuple[str, str, str], str] = field(default_factory=dict)
    timeout: float = 60.0


@dataclass(frozen=True)
class Case:
    """One (verb, role, bad input) run."""

    table: DomainTable
    verb: Verb
    role: str
    bad: BadInput

    def __str__(self) -> str:
        return f"{self.verb.name.replace(' ', '-')}-{self.role}-{self.bad.name}"


def cases(table: DomainTable) -> list[Any]:
    """Every applicable (verb, role, entry) of ``table`` as ``pytest.param`` (skips and
    ``xfail(strict=False)`` marks attached), for ``@pytest.mark.parametrize``."""
    import pytest

    out = []
    for verb in table.verbs:
        for role, fmt in verb.roles.items():
            for bad in [*CORPUS, *table.extra]:
                if fmt not in bad.formats:
                    continue
                key, marks = (verb.name, role, bad.name), []
                if key in table.skip:
                    marks.append(pytest.mark.skip(reason=table.skip[key]))
                if key in table.xfail:
                    marks.append(pytest.mark.xfail(reason=table.xfail[key], strict=False))
                case = Case(table, verb, role, bad)
                out.append(pytest.param(case, id=str(case), marks=marks))
    return out


def corpus_size(table: DomainTable) -> int:
    """Number of cases ``table`` runs (skipped ones included)."""
    return len(cases(table))


# -- running a case ---------------------------------------------------------------------------
def prepare(case: Case, good: dict[str, Path], tmp_path: Path) -> tuple[list[str], Path, Path]:
    """The argv of ``case``, the bad path it passes and the folder that must stay empty."""
    work, out_dir = tmp_path / "bad", tmp_path / "out"
    work.mkdir(exist_ok=True)
    out_dir.mkdir(exist_ok=True)
    values = dict(good)
    for name in case.verb.outputs:
        values[name] = out_dir / f"result{good[name].suffix if name in good else ''}"
    template = values[case.role]
    dest = (out_dir if case.role in case.verb.outputs else work) / f"bad-{case.role}"
    try:
        bad = case.bad.make(template, dest.with_suffix(template.suffix))
    except hostile.NotApplicable as exc:
        import pytest

        pytest.skip(f"{case.bad.name}: {exc}")
    values[case.role] = bad
    argv = [part.format(**{k: str(v) for k, v in values.items()}) for part in case.verb.argv]
    return argv, bad, out_dir


def run_good(verb: Verb, good: dict[str, Path], tmp_path: Path) -> Outcome:
    """Run ``verb`` on the good inputs (outputs under ``tmp_path``): the corpus means something
    only if this exits 0."""
    folder = tmp_path / verb.name.replace(" ", "_")
    folder.mkdir(parents=True, exist_ok=True)
    values = dict(good)
    for name in verb.outputs:
        values[name] = folder / f"result{good[name].suffix if name in good else ''}"
    argv = [part.format(**{k: str(v) for k, v in values.items()}) for part in verb.argv]
    return run_in_process(verb.entry, argv)


def check_outcome(outcome: Outcome, case: Case, bad: Path, out_dir: Path, before: set) -> None:
    """Assert the contract (module docstring) for one run."""
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    context = f"{case}: exit {outcome.code}, stderr:\n{outcome.stderr[-2000:]}"
    assert outcome.code == 2, context
    assert "Traceback" not in outcome.stderr, context
    assert len(lines) == 1, context
    names = {bad.name, str(bad), f"--{case.role}", case.role}
    assert any(name in lines[0] for name in names), (
        f"error names neither file nor option: {context}"
    )
    left = {p.name for p in out_dir.iterdir()} - before
    assert not left, f"{case}: left behind {sorted(left)}"


def run_case(case: Any, good: dict[str, Path], tmp_path: Path) -> Outcome:
    """Make the bad input of ``case``, run the verb on it and assert the contract."""
    argv, bad, out_dir = prepare(case, good, tmp_path)
    before = {p.name for p in out_dir.iterdir()}
    if case.bad.isolate:
        outcome = run_isolated(case.verb.entry, argv, case.table.timeout)
    else:
        outcome = run_in_process(case.verb.entry, argv)
    try:
        check_outcome(outcome, case, bad, out_dir, before)
    finally:
        if bad.is_dir() and bad.parent.name == "bad":
            shutil.rmtree(bad, ignore_errors=True)
    return outcome
