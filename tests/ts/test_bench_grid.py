"""The forecasting benchmark's resumable grid: ``--list-missing`` names exactly the rows that a
run would train, from the keys already in the results file, and trains nothing."""

from __future__ import annotations

import importlib.util
import json

from ts_test_helpers import REPO


def load_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_ts_forecast", REPO / "tools" / "bench" / "bench_ts_forecast.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_list_missing_names_the_rows_not_yet_run(tmp_path, capsys):
    bench = load_bench()
    done = bench._row_key(
        "ETTh1", "dlinear", 96, [0], ["--threads", "1", "--max-train-minutes", "10"]
    )
    (tmp_path / "ts_forecast_L96.json").write_text(json.dumps({"rows": {done: {}}}))
    argv = ["--models", "dlinear", "--datasets", "ETTh1,ETTm1", "--horizons", "96"]
    argv += ["--seeds", "0,1", "--extra", "--threads 1", "--results", str(tmp_path)]
    assert bench.main([*argv, "--list-missing"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 rows missing"
    assert sorted(out[:-1]) == [
        "missing ETTh1|dlinear|H96|seeds=1|--threads 1 --max-train-minutes 10",
        "missing ETTm1|dlinear|H96|seeds=0|--threads 1 --max-train-minutes 30",
        "missing ETTm1|dlinear|H96|seeds=1|--threads 1 --max-train-minutes 30",
    ]
    assert json.loads((tmp_path / "ts_forecast_L96.json").read_text()) == {"rows": {done: {}}}
    assert not (tmp_path / "ts_forecast_L96.md").exists()
