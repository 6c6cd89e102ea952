import warnings

import pytest
from torch import nn

from panspectra_core.registry import Registry, RegistryError


def make_registry() -> Registry:
    reg: Registry = Registry("model")

    @reg.register(domain="hsi", tags=("cnn",))
    def tiny_cnn(width: int = 4) -> nn.Module:
        """A tiny CNN."""
        return nn.Conv2d(1, width, 3)

    @reg.register("tiny-mlp", domain="ts")
    def _mlp(hidden: int = 8) -> nn.Module:
        return nn.Linear(3, hidden)

    return reg


def test_create_passes_kwargs_and_list_filters_by_glob_and_domain():
    reg = make_registry()
    assert reg.create("tiny_cnn", width=7).out_channels == 7
    assert reg.list() == ["tiny-mlp", "tiny_cnn"]
    assert reg.list("*cnn*") == ["tiny_cnn"]
    assert reg.list(domain="ts") == ["tiny-mlp"]
    assert reg.get("tiny_cnn").doc == "A tiny CNN."
    assert reg.get("tiny_cnn").tags == ("cnn",)


def test_duplicate_name_is_an_error():
    reg = make_registry()
    with pytest.raises(RegistryError, match="duplicate model name 'tiny_cnn'"):

        @reg.register("tiny_cnn", domain="vision")
        def other() -> nn.Module:
            return nn.Identity()


def test_unknown_name_suggests_similar():
    reg = make_registry()
    with pytest.raises(RegistryError, match="similar: tiny_cnn"):
        reg.create("cnn")


def test_broken_domain_is_skipped_with_warning(monkeypatch):
    """Lazy discovery: a domain whose import fails cannot break the others."""
    import panspectra_core.registry as registry_module

    class FakeEntryPoint:
        def __init__(self, name: str, value: str) -> None:
            self.name, self.value = name, value

    eps = [FakeEntryPoint("broken", "panspectra_no_such_module.models")]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: eps)
    reg: Registry = Registry("model", "panspectra.models")

    @reg.register(domain="ok")
    def fine() -> nn.Module:
        return nn.Identity()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert reg.list() == ["fine"]
    assert "broken" in reg.failed_domains
    assert any("unavailable" in str(w.message) for w in caught)


def test_global_registry_discovers_installed_domains():
    from panspectra_core.registry import list_models

    names = list_models()
    assert isinstance(names, list)
    assert names == sorted(names)
