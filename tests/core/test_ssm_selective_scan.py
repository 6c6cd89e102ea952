"""Selective scan: every backend against the reference loop (outputs and gradients)."""

from __future__ import annotations

import sys

import pytest
import torch

from panspectra_core.ssm import (
    BACKEND_ENV_VAR,
    numba_available,
    resolve_backend,
    selective_scan,
    selective_scan_chunked,
    selective_scan_ref,
)

FAST_BACKENDS = ["chunked"] + (["fused"] if numba_available() else [])
NAMES = ("u", "delta", "A", "B", "C", "D", "z", "delta_bias")


def make_inputs(batch=2, dim=3, length=37, n_state=4, dtype=torch.float64, seed=0, full=True):
    gen = torch.Generator().manual_seed(seed)

    def rnd(*shape, scale=1.0):
        return (torch.randn(*shape, generator=gen, dtype=torch.float64) * scale).to(dtype)

    inputs = {
        "u": rnd(batch, dim, length),
        "delta": rnd(batch, dim, length, scale=0.5),
        "A": -torch.rand(dim, n_state, generator=gen, dtype=torch.float64).to(dtype) * 2 - 0.1,
        "B": rnd(batch, n_state, length),
        "C": rnd(batch, n_state, length),
        "D": rnd(dim) if full else None,
        "z": rnd(batch, dim, length) if full else None,
        "delta_bias": rnd(dim, scale=0.3) if full else None,
    }
    return inputs


def run(fn, inputs, **kw):
    return fn(*(inputs[n] for n in NAMES), **kw)


def grads_of(fn, inputs, g_out, g_last=None, **kw):
    leaves = {k: (v.clone().requires_grad_() if v is not None else None) for k, v in inputs.items()}
    out = run(fn, leaves, return_last_state=g_last is not None, **kw)
    if g_last is not None:
        y, last = out
        loss = (y * g_out).sum() + (last * g_last).sum()
    else:
        loss = (out * g_out).sum()
    params = [v for v in leaves.values() if v is not None]
    return torch.autograd.grad(loss, params)


def backend_fn(backend):
    return lambda *a, **kw: selective_scan(*a, backend=backend, **kw)


@pytest.mark.parametrize("backend", FAST_BACKENDS)
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("softplus", [True, False])
def test_backend_matches_reference_float64(backend, full, softplus):
    inputs = make_inputs(full=full)
    torch.manual_seed(1)
    g_out = torch.randn(2, 3, 37, dtype=torch.float64)
    g_last = torch.randn(2, 3, 4, dtype=torch.float64)
    fn = backend_fn(backend)
    y, last = run(fn, inputs, delta_softplus=softplus, return_last_state=True)
    y_ref, last_ref = run(
        selective_scan_ref, inputs, delta_softplus=softplus, return_last_state=True
    )
    torch.testing.assert_close(y, y_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(last, last_ref, rtol=1e-10, atol=1e-10)
    for g, g_ref in zip(
        grads_of(fn, inputs, g_out, g_last, delta_softplus=softplus),
        grads_of(selective_scan_ref, inputs, g_out, g_last, delta_softplus=softplus),
    ):
        torch.testing.assert_close(g, g_ref, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("backend", FAST_BACKENDS)
def test_backend_matches_reference_float32_long(backend):
    """Several checkpoint / scan chunks (L=300 > 2×128), float32 tolerances."""
    inputs = make_inputs(batch=2, dim=5, length=300, n_state=8, dtype=torch.float32, seed=3)
    g_out = torch.randn(2, 5, 300, generator=torch.Generator().manual_seed(4))
    fn = backend_fn(backend)
    y = run(fn, inputs, delta_softplus=True)
    y_ref = run(selective_scan_ref, inputs, delta_softplus=True)
    assert y.dtype == torch.float32
    torch.testing.assert_close(y, y_ref, rtol=1e-4, atol=1e-4)
    for g, g_ref in zip(
        grads_of(fn, inputs, g_out, delta_softplus=True),
        grads_of(selective_scan_ref, inputs, g_out, delta_softplus=True),
    ):
        torch.testing.assert_close(g, g_ref, rtol=2e-3, atol=2e-3)


def test_reference_matches_closed_form_scalar():
    """dim=N=batch=1, constant Δ, A, B=C=1: x_t = Σ_s a^{t-s} Δ u_s with a = exp(Δ A)."""
    length, delta, a_val = 6, 0.3, -0.7
    u = torch.arange(1.0, length + 1, dtype=torch.float64).view(1, 1, length)
    y = selective_scan_ref(
        u,
        torch.full_like(u, delta),
        torch.tensor([[a_val]], dtype=torch.float64),
        torch.ones(1, 1, length, dtype=torch.float64),
        torch.ones(1, 1, length, dtype=torch.float64),
    )
    decay = torch.exp(torch.tensor(delta * a_val, dtype=torch.float64))
    expected = [
        sum(decay ** (t - s) * delta * u[0, 0, s] for s in range(t + 1)) for t in range(length)
    ]
    torch.testing.assert_close(y.view(-1), torch.stack(expected))


@pytest.mark.parametrize("backend", ["ref", *FAST_BACKENDS])
def test_gradcheck_tiny(backend):
    inputs = make_inputs(batch=1, dim=2, length=5, n_state=3)
    leaves = [inputs[n].clone().requires_grad_() for n in NAMES]

    def fn(*args):
        return selective_scan(*args, delta_softplus=True, backend=backend)

    assert torch.autograd.gradcheck(fn, leaves, eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("backend", ["ref", *FAST_BACKENDS])
def test_causal_future_inputs_do_not_change_past(backend):
    inputs = make_inputs(length=20)
    y = run(backend_fn(backend), inputs, delta_softplus=True)
    changed = {k: (v.clone() if v is not None else None) for k, v in inputs.items()}
    for name in ("u", "delta", "z"):
        changed[name][..., 12:] += 5.0
    for name in ("B", "C"):
        changed[name][..., 12:] -= 3.0
    y2 = run(backend_fn(backend), changed, delta_softplus=True)
    torch.testing.assert_close(y2[..., :12], y[..., :12], rtol=0, atol=0)
    assert not torch.allclose(y2[..., 12:], y[..., 12:])


@pytest.mark.parametrize("backend", ["ref", *FAST_BACKENDS])
def test_last_state_streams_segments(backend):
    """The last state of the whole sequence equals the decayed state of the first segment
    pushed through the second: x_L = (Π a_t) x_k + state(second segment from zero)."""
    inputs = make_inputs(batch=1, dim=2, length=16, n_state=3, full=False)
    _, last = run(backend_fn(backend), inputs, return_last_state=True)
    _, last_ref = run(selective_scan_ref, inputs, return_last_state=True)
    torch.testing.assert_close(last, last_ref)
    first = {k: (v[..., :9] if v is not None and k != "A" else v) for k, v in inputs.items()}
    second = {k: (v[..., 9:] if v is not None and k != "A" else v) for k, v in inputs.items()}
    _, x_first = run(backend_fn(backend), first, return_last_state=True)
    _, x_second = run(backend_fn(backend), second, return_last_state=True)
    decay = torch.exp(inputs["delta"][..., 9:].sum(-1, keepdim=True) * inputs["A"])
    torch.testing.assert_close(decay * x_first + x_second, last)


@pytest.mark.parametrize("chunk_size", [4, 64])
def test_chunked_scan_resumes_from_an_initial_state(chunk_size):
    """The second segment started from the first one's last state gives the whole sequence's
    outputs and last state, and gradients reach the initial state and the earlier inputs."""
    inputs = make_inputs(batch=2, dim=3, length=21, n_state=4)
    y, last = run(selective_scan_ref, inputs, delta_softplus=True, return_last_state=True)

    def cut(sl):
        timed = ("u", "delta", "B", "C", "z")
        return {k: (v[..., sl] if k in timed else v) for k, v in inputs.items()}

    u = inputs["u"].clone().requires_grad_()
    first = {**cut(slice(0, 8)), "u": u[..., :8]}
    y1, x1 = run(selective_scan_chunked, first, delta_softplus=True, return_last_state=True)
    y2, x2 = run(
        selective_scan_chunked,
        {**cut(slice(8, None)), "u": u[..., 8:]},
        delta_softplus=True,
        return_last_state=True,
        chunk_size=chunk_size,
        initial_state=x1,
    )
    torch.testing.assert_close(torch.cat([y1, y2], -1), y, rtol=0, atol=1e-12)
    torch.testing.assert_close(x2, last, rtol=0, atol=1e-12)
    (grad,) = torch.autograd.grad(y2.sum(), u)
    assert grad[..., :8].abs().sum() > 0  # through the initial state


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_low_precision_returns_input_dtype(dtype):
    inputs = make_inputs(dtype=torch.float32, seed=5)
    low = {k: (v.to(dtype) if v is not None else None) for k, v in inputs.items()}
    y = run(selective_scan, low, delta_softplus=True)
    assert y.dtype == dtype
    y_ref = run(
        selective_scan_ref,
        {k: (v.float() if v is not None else None) for k, v in low.items()},
        delta_softplus=True,
    )
    torch.testing.assert_close(y.float(), y_ref, rtol=2e-2, atol=2e-2)


def test_chunk_size_does_not_change_result():
    inputs = make_inputs(length=50)
    ys = [run(selective_scan_chunked, inputs, chunk_size=c) for c in (1, 7, 16, 64)]
    for y in ys[1:]:
        torch.testing.assert_close(y, ys[0], rtol=1e-12, atol=1e-12)


def test_shape_errors():
    inputs = make_inputs()
    bad = dict(inputs, B=inputs["B"][..., :-1])
    with pytest.raises(ValueError, match="B must be"):
        run(selective_scan, bad)
    with pytest.raises(ValueError, match="A must be"):
        run(selective_scan, dict(inputs, A=inputs["A"][:1]))


def test_backend_resolution(monkeypatch):
    monkeypatch.delenv(BACKEND_ENV_VAR, raising=False)
    expected_cpu = "fused" if numba_available() else "chunked"
    assert resolve_backend("auto", on_cpu=True) == expected_cpu
    assert resolve_backend("auto", on_cpu=False) == "chunked"
    assert resolve_backend("ref", on_cpu=True) == "ref"
    monkeypatch.setenv(BACKEND_ENV_VAR, "ref")
    assert resolve_backend("auto", on_cpu=True) == "ref"
    assert resolve_backend("chunked", on_cpu=True) == "chunked"  # the keyword wins
    monkeypatch.setenv(BACKEND_ENV_VAR, "bogus")
    with pytest.raises(ValueError, match="unknown selective-scan backend"):
        resolve_backend("auto", on_cpu=True)


def test_missing_numba_fails_only_for_fused(monkeypatch):
    from panspectra_core.backends import load_optional

    # a None entry makes `import numba` raise ImportError; drop the cached fused modules so
    # they are imported again (and fail) as on a machine without numba
    monkeypatch.setitem(sys.modules, "numba", None)
    for module in ("scan_fused_cpu", "scan_numba_kernels"):
        monkeypatch.delitem(sys.modules, f"panspectra_core.ssm.{module}", raising=False)
    monkeypatch.delenv(BACKEND_ENV_VAR, raising=False)
    load_optional.cache_clear()
    try:
        inputs = make_inputs()
        with pytest.raises(ImportError, match=r"pip install 'numba>=0.59'"):
            run(selective_scan, inputs, backend="fused")
        assert resolve_backend("auto", on_cpu=True) == "chunked"
        y = run(selective_scan, inputs)  # auto still works
        torch.testing.assert_close(y, run(selective_scan_ref, inputs))
    finally:
        monkeypatch.undo()
        load_optional.cache_clear()


@pytest.mark.skipif(not numba_available(), reason="needs numba")
def test_fused_detects_inplace_modification_before_backward():
    inputs = make_inputs(full=False)
    u = inputs["u"].clone().requires_grad_()
    u_used = u * 1.0
    y = selective_scan(u_used, *(inputs[n] for n in NAMES[1:]), backend="fused")
    with torch.no_grad():
        u_used.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
