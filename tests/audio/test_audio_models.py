"""Every registered audio model: builds, runs forward/backward, saves and reloads exactly;
the causal enhancer streams chunk by chunk with the offline output."""

from __future__ import annotations

import pytest
import torch

from panspectra_audio.models.tasnet import StreamingEnhancer
from panspectra_core.checkpoint import load_checkpoint, save_checkpoint
from panspectra_core.registry import create_model, list_models, model_entry

CLASSIFY_SMALL = {
    "audio_cnn": {"channels": (4, 8)},
    "tc_resnet": {"width_mult": 0.5},
    "kwt": {"dim": 16, "depth": 1, "heads": 2},
    "ast": {"dim": 16, "depth": 1, "heads": 2},
    "audio_mamba": {"dim": 16, "depth": 1},
    "audio_ensemble": {
        "members": [
            {"model": "tc_resnet", "kwargs": {"width_mult": 0.5}},
            {"model": "kwt", "kwargs": {"dim": 16, "depth": 1, "heads": 2}},
        ]
    },
}
SIGNAL_SMALL = {"filters": 16}  # the learned filterbank of the TasNet family
STFT_MODELS = {"mamba_stft_enhance", "gru_stft_enhance", "crm_stft_enhance"}
CAUSAL_ENHANCERS = [
    "mamba_causal_enhance",
    "mamba_stft_enhance",
    "gru_stft_enhance",
    "crm_stft_enhance",
]
MASKNET_SMALL = {
    "convtasnet_enhance": {"bottleneck": 8, "hidden": 16, "blocks": 2, "repeats": 1},
    "convtasnet_separate": {"bottleneck": 8, "hidden": 16, "blocks": 2, "repeats": 1},
    "mamba_causal_enhance": {"dim": 16, "depth": 2},
    "mamba_stft_enhance": {"dim": 16, "depth": 2, "window": 64, "stride": 16},
    "gru_stft_enhance": {"dim": 16, "depth": 2, "window": 64, "stride": 16},
    "crm_stft_enhance": {"dim": 16, "depth": 2, "window": 64, "stride": 16},
    "mamba_enhance": {"dim": 16, "depth": 1},
    "mossformer_enhance": {"dim": 16, "depth": 1, "heads": 2, "fsmn_order": 4},
    "dpmamba_separate": {"dim": 16, "repeats": 1, "chunk": 20},
}


def _build(name: str):
    tags = model_entry(name).tags
    if "classify" in tags:
        kwargs = {"num_classes": 3, "num_samples": 4000, **CLASSIFY_SMALL[name]}
    else:
        kwargs = {**({} if name in STFT_MODELS else SIGNAL_SMALL), **MASKNET_SMALL[name]}
    return create_model(name, **kwargs), kwargs, tags


def test_every_audio_model_has_small_settings_here():
    assert set(list_models(domain="audio")) == set(CLASSIFY_SMALL) | set(MASKNET_SMALL)


@pytest.mark.parametrize("name", sorted(set(CLASSIFY_SMALL) | set(MASKNET_SMALL)))
def test_forward_backward_and_checkpoint_roundtrip(name, tmp_path):
    model, kwargs, tags = _build(name)
    x = torch.randn(2, 4000) * 0.1
    out = model(x)
    if "classify" in tags:
        assert out.shape == (2, 3)
    elif "separate" in tags:
        assert out.shape == (2, 2, 4000)
    else:
        assert out.shape == (2, 4000)
    out.square().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    path = save_checkpoint(
        tmp_path / "m.safetensors", model, model_name=name, model_kwargs=kwargs, domain="audio"
    )
    model.eval()
    loaded = load_checkpoint(path).model
    with torch.no_grad():
        assert torch.allclose(model(x), loaded(x), atol=1e-6)


@pytest.mark.parametrize("name", CAUSAL_ENHANCERS)
@pytest.mark.parametrize("chunk", [64, 192])
def test_causal_enhancer_streams_like_offline(name, chunk):
    model, _, _ = _build(name)
    model.eval()
    x = torch.randn(2, 1234) * 0.2
    with torch.no_grad():
        offline = model(x)
    streamed = StreamingEnhancer(model, batch=2).run(x, chunk)
    assert streamed.shape == offline.shape
    assert (streamed - offline).abs().max() <= 1e-4


@pytest.mark.parametrize("name", CAUSAL_ENHANCERS)
def test_chunk_step_equals_frame_by_frame_steps(name):
    """step_frames over chunks (core MambaBlock.step_chunk) == the per-frame reference (core
    MambaBlock.step, one frame at a time) == the offline forward."""
    model, _, _ = _build(name)
    net = model.mask_net.eval()
    codes = model.encode(torch.randn(2, model.window + 6 * model.stride))[..., :7]
    with torch.no_grad():
        chunked, state = net.step_frames(codes[..., :4], None)
        rest, _ = net.step_frames(codes[..., 4:], state)
        reference, ref_state = [], None
        for t in range(7):
            mask, ref_state = net.step_frames(codes[..., t : t + 1], ref_state, per_frame=True)
            reference.append(mask)
        offline = net(codes)
    reference = torch.cat(reference, -1)
    assert torch.allclose(torch.cat([chunked, rest], -1), reference, atol=1e-6)
    assert torch.allclose(reference, offline, atol=1e-5)
    with torch.no_grad():
        single, _ = net.step(codes[..., 0], None)
    assert torch.allclose(single, reference[..., 0], atol=1e-6)


@pytest.mark.parametrize("name", CAUSAL_ENHANCERS)
def test_causal_enhancer_output_does_not_depend_on_the_future(name):
    model, _, _ = _build(name)
    model.eval()
    x = torch.randn(1, 3000) * 0.2
    y = x.clone()
    y[:, 2000:] = torch.randn(1, 1000)
    with torch.no_grad():
        a, b = model(x), model(y)
    lag = model.window  # the output at t sees input up to t + window - stride
    assert torch.allclose(a[:, : 2000 - lag], b[:, : 2000 - lag], atol=1e-6)
    assert not torch.allclose(a[:, 2100:], b[:, 2100:])


def test_non_causal_model_refuses_to_stream():
    model, _, _ = _build("convtasnet_enhance")
    with pytest.raises(ValueError, match="not causal"):
        StreamingEnhancer(model)


def test_fourier_filterbank_reconstructs_and_fresh_enhancers_start_near_identity():
    from panspectra_audio.losses import si_snr
    from panspectra_audio.models.tasnet import fourier_filterbank

    encoder, decoder = fourier_filterbank(64, 32)
    frames = torch.randn(5, 32)
    codes = torch.relu(frames @ encoder.T)  # (5, 64): both signs kept by the ± pair
    window = torch.hann_window(32, periodic=True)
    assert torch.allclose(codes @ decoder, frames * window, atol=1e-5)
    x = torch.randn(1, 3000) * 0.1
    for name in ("mamba_causal_enhance", "convtasnet_enhance"):
        model = create_model(name, depth=1) if "mamba" in name else create_model(name, repeats=1)
        with torch.no_grad():
            assert float(si_snr(model.eval()(x), x)) > 15.0


def test_stack_frames_groups_consecutive_frames_per_token():
    from panspectra_audio.models.classify import stack_frames

    spec = torch.arange(2 * 3 * 5, dtype=torch.float32).reshape(2, 3, 5)  # (batch, mels, frames)
    tokens = stack_frames(spec, 2)
    assert tokens.shape == (2, 3, 6)
    # token 1 = frames 2 and 3, each with its 3 mel values; the last token is zero-padded
    assert torch.equal(tokens[0, 1], torch.cat([spec[0, :, 2], spec[0, :, 3]]))
    assert torch.equal(tokens[1, 2, 3:], torch.zeros(3))
    assert torch.equal(stack_frames(spec, 1), spec.transpose(1, 2))


def test_utterance_normalise_removes_level_and_channel_and_blanks_padding():
    from panspectra_audio.models.frontend import LogMelFrontEnd, utterance_normalise

    torch.manual_seed(0)
    front = LogMelFrontEnd(8000, freq_masks=0, time_masks=0)
    wave = torch.zeros(1, 8000)
    wave[0, 1000:5000] = torch.randn(4000) * 0.05  # a burst, then zero padding
    log_mel = front.mel(wave)
    out = utterance_normalise(log_mel, front.mel.log_offset)
    # a fixed channel (a constant per mel bin in the log domain) and a level change vanish
    channel = torch.linspace(-2.0, 1.0, log_mel.shape[1]).view(1, -1, 1)
    active = log_mel.logsumexp(1) > -9.0  # frames of the burst, far above the padding floor
    shifted = torch.where(active.unsqueeze(1), log_mel + channel, log_mel)
    assert torch.allclose(utterance_normalise(shifted, front.mel.log_offset), out, atol=1e-4)
    louder = utterance_normalise(front.mel(wave * 10), front.mel.log_offset)
    assert torch.allclose(louder, out, atol=5e-3)  # log(P + offset): edge frames differ a bit
    # padded frames are zero; active frames have zero mean per bin
    frames = out.abs().sum(1)[0] > 0
    assert not frames[:5].any() and not frames[-5:].any() and frames[20:40].all()
    assert torch.allclose(out[0][:, frames].mean(-1), torch.zeros(out.shape[1]), atol=1e-4)
    model = create_model("tc_resnet", num_classes=3, num_samples=8000, utterance_norm=True)
    assert model(wave.repeat(2, 1)).shape == (2, 3)


@pytest.mark.parametrize("name", ["audio_cnn", "tc_resnet", "kwt", "ast", "audio_mamba"])
def test_every_classifier_can_normalise_each_clip(name):
    """``utterance_norm`` is a front-end option of every classifier: with it, a 20 dB louder
    clip gives (nearly) the same logits; without it, the logits move."""
    torch.manual_seed(0)
    wave = torch.zeros(2, 8000)
    wave[:, 1000:5000] = torch.randn(2, 4000) * 0.05

    def level_shift(utterance_norm: bool) -> float:
        torch.manual_seed(1)
        model = create_model(
            name, num_classes=3, num_samples=8000, utterance_norm=utterance_norm
        ).eval()
        with torch.no_grad():
            return (model(wave * 10) - model(wave)).abs().max().item()

    assert level_shift(True) < 0.2 * level_shift(False)
