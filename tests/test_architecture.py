"""The apps depend one way (accounts → scenarios → sessions_app → performance → gamification →
overview, with `core/` beneath and `config/` above them all): import-linter checks every import,
including those inside functions, against the contract in pyproject.toml, which tolerates none.
An import inside a function is how a cycle hides, so first-party ones are refused outright."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("config", "core", "accounts", "scenarios", "sessions_app", "performance")
FIRST_PARTY += ("gamification", "overview")

# Function-level imports that are there for a reason other than a cycle, each explained.
ALLOWED_LOCAL_IMPORTS = {
    # The OpenAI SDK is loaded only by a process that picks the OpenAI engine.
    ("sessions_app/engines/__init__.py", "sessions_app.engines.openai_compat"),
}


def test_no_import_points_the_wrong_way():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_contract_orders_every_app_and_tolerates_no_exception():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = config["contracts"]
    assert contract["type"] == "layers"
    assert contract["layers"] == [
        "config",
        "overview",
        "gamification",
        "performance",
        "sessions_app",
        "scenarios",
        "accounts",
        "core",
    ]
    assert not contract.get("ignore_imports")
    assert sorted(config["root_packages"]) == sorted(FIRST_PARTY)


def _local_imports(path: Path):
    """First-party modules imported inside a function of `path` (AppConfig.ready excepted:
    connecting an app's signal receivers once the registry is ready is Django's own idiom)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if function.name == "ready" and path.name == "apps.py":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] in FIRST_PARTY:
                    yield name


def test_no_first_party_import_hides_inside_a_function():
    found = set()
    for package in FIRST_PARTY:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(ROOT).as_posix()
            found.update((relative, name) for name in _local_imports(path))
    assert found == ALLOWED_LOCAL_IMPORTS


def test_the_local_import_check_sees_a_nested_import(tmp_path):
    module = tmp_path / "views.py"
    module.write_text("def page():\n    from gamification.models import Achievement\n")
    assert list(_local_imports(module)) == ["gamification.models"]
