"""A plain install works: build the wheel, install it in a fresh virtual environment, run it.

This is how pipx, a release or the Dockerfile install the bot, so playbooks and templates must be
inside the package. The commands run from a folder outside the repository, without PYTHONPATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    BACKEND != "sqlite", reason="independent of the test database; runs in the SQLite pass"
)


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment with the wheel built from this tree installed; its bin/."""
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy, so the build leaves nothing in the working tree.
    skip = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", ".*cache", "__pycache__")
    shutil.copytree(ROOT, work / "src", symlinks=True, ignore=skip)
    env = outside_env()
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist"]
    run(*pip_wheel, work / "src", cwd=work, env=env)
    [wheel] = (work / "dist").glob("incidentbot-*.whl")
    run(sys.executable, "-m", "venv", work / "venv", cwd=work, env=env)
    run(work / "venv" / "bin" / "pip", "install", "-q", wheel, cwd=work, env=env)
    yield work / "venv" / "bin"


def outside_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "INCIDENTBOT_CONFIG"}}
    return env | extra


def test_the_installed_package_is_the_wheel_not_this_tree(installed: Path, tmp_path: Path) -> None:
    code = "import bot, importlib.resources as r; print(bot.__file__); print(r.files('bot'))"
    location = run(installed / "python", "-c", code, cwd=tmp_path, env=outside_env())
    assert str(ROOT) not in location and str(installed.parent) in location


def test_check_runs_from_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    out = run(installed / "incidentbot", "check", cwd=tmp_path, env=outside_env())
    assert "playbooks ok: 8 incident types" in out
    assert "templates ok" in out


def test_templates_dir_overrides_the_shipped_templates(installed: Path, tmp_path: Path) -> None:
    comms = tmp_path / "ours" / "comms"
    comms.mkdir(parents=True)
    (tmp_path / "config.yaml").write_text("templates_dir: ./ours\n")
    env = outside_env(INCIDENTBOT_CONFIG=str(tmp_path / "config.yaml"))
    command = [str(installed / "incidentbot"), "check"]

    header = "{# audience: external #}\n"
    (comms / "acknowledgement.j2").write_text(header + "{{ feature }}: {{ typo }}\n")
    broken = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert broken.returncode != 0 and "typo" in broken.stderr  # the override is what is read

    (comms / "acknowledgement.j2").write_text(header + "{{ feature }}: {{ what_happened }}\n")
    assert "templates ok" in run(*command, cwd=tmp_path, env=env)


def test_demo_runs_from_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    cwd, saved = tmp_path / "cwd", tmp_path / "saved"
    cwd.mkdir()
    out = run(installed / "incidentbot", "demo", "--out", saved, cwd=cwd, env=outside_env())
    assert "#inc-20261123-" in out
    assert "What changed?" in out
    assert "#inc-20261125-groundedness-of-search-answers-is-lower-than-its-baseline" in out
    assert list(cwd.iterdir()) == []  # the demo leaves nothing behind where it runs
    assert sorted(p.name for p in saved.iterdir()) == [
        "incident-2-groundedness.png",
        "transcript.txt",
    ]
    assert f"Transcript and control chart saved in {saved}" in out
    chart = (saved / "incident-2-groundedness.png").read_bytes()
    assert chart[:8] == b"\x89PNG\r\n\x1a\n" and chart[16:24] == (1000).to_bytes(4, "big") + (
        600
    ).to_bytes(4, "big")
    assert (saved / "transcript.txt").read_text().startswith("Slack reaches the bot over HTTP")
    socket = run(
        installed / "incidentbot",
        "demo",
        "--socket-mode",
        "--out",
        saved,
        cwd=cwd,
        env=outside_env(),
    )
    assert socket.startswith("Slack reaches the bot over Socket Mode") and "#inc-" in socket
