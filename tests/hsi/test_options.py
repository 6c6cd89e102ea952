"""hsi-classify's options, declared once: flags (old spellings included), recipes under the
user's flags, the protocol defaults, --print-config / --config, the benchmark's --set, and
errors that name the option."""

from __future__ import annotations

import pytest
import yaml

from panspectra_core.errors import UserError
from panspectra_core.kit import assignments
from panspectra_hsi.cli import classify_main
from panspectra_hsi.options import DISJOINT_DEFAULT, RANDOM_DEFAULT, TRAIN_BY_NAME


def _printed(capsys, *argv: str) -> dict:
    assert classify_main(["train", "--dataset", "indian_pines", "-o", "unused", *argv,
                          "--print-config"]) == 0  # fmt: skip
    return yaml.safe_load(capsys.readouterr().out)


def test_protocol_defaults_apply_like_recipes_and_flags_win(capsys):
    random = _printed(capsys)
    assert random["model"] == RANDOM_DEFAULT[0] == "ssftt"
    assert random["epochs"] == 60 and random["patch_size"] == 13 and random["tta"] == 4
    disjoint = _printed(capsys, "--protocol", "disjoint")
    assert disjoint["model"] == DISJOINT_DEFAULT[0] == "svm"
    assert {k: disjoint[k] for k in DISJOINT_DEFAULT[1]} == DISJOINT_DEFAULT[1]
    assert disjoint["model_kwargs"] == {"score_scale": 3.0}  # the svm's own recipe
    mine = _printed(capsys, "--protocol", "disjoint", "--smooth-radius", "3", "--epochs", "7")
    assert (mine["smooth_radius"], mine["epochs"]) == (3, 7)
    chosen = _printed(capsys, "--model", "mixed_ensemble")
    assert chosen["members"] == ["ssftt", "ssftt", "lola_specvit"] and chosen["epochs"] == 100


def test_old_flag_spellings_still_parse(capsys):
    cfg = _printed(
        capsys,
        "--model",
        "ssftt",
        "--max-epochs",
        "3",
        "--pca",
        "5",
        "--no-band-std",
        "--no-augment",
        "--members",
        "a,b",
        "--drop-bands",
        "1,2",
    )
    assert (cfg["epochs"], cfg["pca_components"]) == (3, 5)
    assert cfg["standardize_bands"] is False and cfg["augment"] is False
    assert cfg["members"] == ["a", "b"] and cfg["drop_bands"] == [1, 2]


def test_config_file_reproduces_the_printed_options(tmp_path, capsys):
    first = _printed(capsys, "--protocol", "disjoint", "--seed", "3")
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(first))
    again = _printed(capsys, "--config", str(path))
    assert again == first


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--smooth-method", "median"], "--smooth-method 'median': expected one of box, guided"),
        (
            ["--protocol", "blocked"],
            "--protocol 'blocked': expected one of random, disjoint, fixed",
        ),
        (["--tta", "3"], "--tta 3: expected one of 1, 2, 4, 8"),
        (["--patch-size", "4"], "--patch-size 4: must be odd and positive"),
        (["--scheduler", "decay90"], "expected one of cosine, onecycle, cyclic, none"),
        (["--model", "resnet"], "--model 'resnet': expected one of"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_option(capsys, flags, message):
    argv = ["train", "--dataset", "indian_pines", "-o", "unused", *flags, "--print-config"]
    assert classify_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_the_benchmarks_set_uses_the_declarations():
    values = assignments(
        ["members=svm,spectral_mlp", "smooth_exclude_training=true", "balanced_loss=false"],
        TRAIN_BY_NAME,
    )
    assert values == {
        "members": ["svm", "spectral_mlp"],
        "smooth_exclude_training": True,
        "balanced_loss": False,
    }
    with pytest.raises(UserError, match="--set"):
        assignments(["learning_rate=1"], TRAIN_BY_NAME)
