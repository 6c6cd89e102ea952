import hashlib

import pytest

from panspectra_core import datasets
from panspectra_core.datasets import (
    DatasetError,
    fetch_dataset,
    fetch_file,
    list_datasets,
    load_manifest,
    resolve_file,
)


@pytest.fixture
def manifest_env(tmp_path, monkeypatch):
    """A manifest dir with one dataset whose single file exists in a fake PANSPECTRA_DATA."""
    content = b"a,b\n1,2\n"
    sha = hashlib.sha256(content).hexdigest()
    manifests = tmp_path / "manifests" / "toy"
    manifests.mkdir(parents=True)
    (manifests / "tiny.toml").write_text(
        f'name = "tiny"\ndomain = "toy"\nshared_path = "toy/tiny"\nhow_to_get = "ask Bob"\n'
        f'[[files]]\nname = "tiny.csv"\nsha256 = "{sha}"\nsize = {len(content)}\n'
        f'[[files]]\nname = "remote.csv"\nsha256 = "{sha}"\nurl = "http://127.0.0.1:9/remote.csv"\n'
        f"[protocol]\ntrain = 0.7\n"
    )
    data = tmp_path / "data" / "toy" / "tiny"
    data.mkdir(parents=True)
    (data / "tiny.csv").write_bytes(content)
    monkeypatch.setenv("PANSPECTRA_MANIFESTS", str(tmp_path / "manifests"))
    monkeypatch.setenv("PANSPECTRA_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("PANSPECTRA_CACHE", str(tmp_path / "cache"))
    return tmp_path, content


def test_manifest_parsing_and_listing(manifest_env):
    m = load_manifest("toy", "TINY")  # names are case-insensitive
    assert m.name == "tiny" and m.protocol == {"train": 0.7}
    assert [f.name for f in m.files] == ["tiny.csv", "remote.csv"]
    assert list_datasets("toy") == ["tiny"]
    with pytest.raises(DatasetError, match="known: tiny"):
        load_manifest("toy", "huge")


def test_resolves_from_panspectra_data_with_hash_check(manifest_env):
    root, _ = manifest_env
    assert fetch_file("toy", "tiny", "tiny.csv") == root / "data" / "toy" / "tiny" / "tiny.csv"


def test_hash_mismatch_is_refused(manifest_env):
    root, content = manifest_env
    (root / "data" / "toy" / "tiny" / "tiny.csv").write_bytes(content.replace(b"1", b"9"))
    with pytest.raises(DatasetError, match="does not match"):
        fetch_file("toy", "tiny", "tiny.csv")


def test_extra_dirs_and_cache_are_searched(manifest_env, tmp_path_factory):
    root, content = manifest_env
    (root / "data" / "toy" / "tiny" / "tiny.csv").unlink()
    extra = tmp_path_factory.mktemp("wheel")
    (extra / "tiny.csv").write_bytes(content)
    assert fetch_file("toy", "tiny", "tiny.csv", extra_dirs=[extra]) == extra / "tiny.csv"
    cached = root / "cache" / "toy" / "tiny"
    cached.mkdir(parents=True)
    (cached / "remote.csv").write_bytes(content)
    paths = fetch_dataset("toy", "tiny", extra_dirs=[extra])
    assert paths["remote.csv"] == cached / "remote.csv"


def test_missing_file_without_url_names_the_fix(manifest_env):
    root, _ = manifest_env
    (root / "data" / "toy" / "tiny" / "tiny.csv").unlink()
    with pytest.raises(DatasetError, match="ask Bob"):
        fetch_file("toy", "tiny", "tiny.csv")


def test_download_goes_through_pooch_with_the_hash(manifest_env, monkeypatch):
    calls = {}

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        calls.update(url=url, known_hash=known_hash)
        raise ValueError("SHA256 hash of downloaded file does not match")

    import pooch

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    with pytest.raises(DatasetError, match="hash check"):
        fetch_file("toy", "tiny", "remote.csv")
    assert calls["known_hash"].startswith("sha256:")
    with pytest.raises(DatasetError, match="not found locally"):
        fetch_file("toy", "tiny", "remote.csv", download=False)


def test_cache_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("PANSPECTRA_CACHE", str(tmp_path))
    assert datasets.cache_dir() == tmp_path


def test_corrupted_first_copy_is_an_error_even_when_a_later_copy_verifies(manifest_env, tmp_path):
    """Issue 21 item 5: a present file failing its hash is never swapped for another copy."""
    root, content = manifest_env
    shared = root / "data" / "toy" / "tiny" / "tiny.csv"
    spare = tmp_path / "wheel_copy"
    spare.mkdir()
    (spare / "tiny.csv").write_bytes(content)  # a good copy elsewhere (the tensorly wheel's)
    shared.write_bytes(content.replace(b"1", b"9"))  # one flipped byte, same size
    with pytest.raises(DatasetError) as info:
        fetch_file("toy", "tiny", "tiny.csv", extra_dirs=[spare])
    assert str(shared) in str(info.value) and "sha256" in str(info.value)
    shared.unlink()  # absent: falling back is fine, and says where it came from
    resolved = resolve_file("toy", "tiny", "tiny.csv", extra_dirs=[spare])
    assert resolved.path == spare / "tiny.csv"
    assert resolved.source == f"extra:{spare}"
    assert resolved.sha256 == hashlib.sha256(content).hexdigest()
    assert resolved.to_dict() == {
        "file": "tiny.csv",
        "path": str(spare / "tiny.csv"),
        "source": f"extra:{spare}",
        "sha256": resolved.sha256,
    }


def test_resolved_file_names_panspectra_data_as_source(manifest_env):
    _, content = manifest_env
    resolved = resolve_file("toy", "tiny", "tiny.csv")
    assert resolved.source == "PANSPECTRA_DATA"
    assert resolved.sha256 == hashlib.sha256(content).hexdigest()
