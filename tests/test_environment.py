"""Set-up files agree: pyproject pins, environment.yml pins, the lock file, the Makefile."""

from __future__ import annotations

import re
import tomllib

import yaml

from .conftest import ROOT


def _pyproject_pins() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = data["project"]["dependencies"] + [r for group in data["project"]["optional-dependencies"].values() for r in group]
    pins = {}
    for req in reqs:
        name, sep, version = req.partition("==")
        assert sep, f"{req!r} is not pinned with =="
        pins[name.strip().lower()] = version.strip()
    return pins


def _environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    pins = {}
    for req in pip:
        if req.startswith("-e"):
            continue
        name, _, version = req.partition("==")
        pins[name.strip().lower()] = version.strip()
    return pins


def test_environment_yml_lists_the_same_pins_as_pyproject():
    assert _environment_pins() == _pyproject_pins()


def test_torch_comes_first_everywhere():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert pip[0] == "torch==2.13.0"
    assert "TORCH  := torch==2.13.0" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_lock_file_agrees_with_direct_pins():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            lock[re.sub(r"[-_.]+", "-", name.lower())] = version
    for name, version in _pyproject_pins().items():
        assert lock.get(re.sub(r"[-_.]+", "-", name)) == version, name


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S)
    assert first_block is not None
    assert first_block.group(1).split() == ["make", "appendix", "make", "test"]
    assert text.index("make appendix") < 600


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
