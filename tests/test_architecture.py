"""The apps depend one way (accounts → scenarios → sessions_app → performance → gamification,
with `core/` beneath and `config/` above them all): import-linter checks every import against
the contract in pyproject.toml."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_import_points_the_wrong_way():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_contract_orders_every_app_and_only_tolerates_listed_exceptions():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = config["contracts"]
    assert contract["type"] == "layers"
    assert contract["layers"] == [
        "config",
        "gamification",
        "performance",
        "sessions_app",
        "scenarios",
        "accounts",
        "core",
    ]
    # Each exception is one import, spelled out: no wildcards that would hide new ones.
    assert all("*" not in rule for rule in contract["ignore_imports"])
