"""``--threads`` limits torch and the BLAS pools NumPy calls."""

import numpy  # noqa: F401 (loads the BLAS pool threadpoolctl sees)
import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from panspectra_core.errors import UserError
from panspectra_core.runtime import set_threads


def test_set_threads_limits_torch_and_blas():
    before = torch.get_num_threads()
    with threadpool_limits():  # restores the BLAS pools afterwards
        try:
            set_threads(1)
            assert torch.get_num_threads() == 1
            pools = threadpool_info()
            assert pools and all(pool["num_threads"] == 1 for pool in pools)
        finally:
            torch.set_num_threads(before)


def test_set_threads_refuses_zero_and_keeps_defaults_for_none():
    with pytest.raises(UserError, match="at least 1"):
        set_threads(0)
    before = torch.get_num_threads()
    set_threads(None)
    assert torch.get_num_threads() == before
