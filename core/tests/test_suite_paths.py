"""Every folder of tests runs in `make test`: pytest collects only the folders named in `testpaths`, so an app
whose tests are left out of it would pass CI without running them."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_tests_folder_is_in_testpaths() -> None:
    testpaths = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"])
    with_tests = {path.parent.name for path in ROOT.glob("*/tests") if any(path.glob("test_*.py"))}
    assert with_tests, "no tests folders found"
    assert with_tests <= testpaths, f"tests not collected by make test: {sorted(with_tests - testpaths)}"
