"""`make audit`: known-vulnerable dependencies (pip-audit) and risky code (bandit).

Fails on a vulnerability found in requirements.txt and on any bandit finding that is not in
the reviewed baseline (.ci/bandit-baseline.json, reasons in pyproject.toml [tool.bandit]).
An unreachable vulnerability service is not a finding: it prints a loud warning and the
dependency audit counts as NOT DONE, so that a network outage cannot block a release — nor
pass silently for a clean bill of health.

    python .ci/audit.py                  # both audits
    python .ci/audit.py --update-baseline  # accept the current bandit findings (after review)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REQUIREMENTS = ROOT / "requirements.txt"
BASELINE = ROOT / ".ci" / "bandit-baseline.json"
CODE = ["accounts", "config", "core", "scenarios", "sessions_app", "performance", "gamification"]
NETWORK_ERRORS = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "timed out",
    "SSLError",
)


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def banner(lines: list[str]) -> str:
    width = max(len(line) for line in lines) + 4
    rule = "!" * width
    return "\n".join([rule, *(f"! {line.ljust(width - 4)} !" for line in lines), rule])


def judge_pip_audit(report: dict | None, stderr: str, returncode: int) -> tuple[bool, str]:
    """(passed, message) from pip-audit's JSON report, or from its failure without one."""
    if report is None:
        if any(marker in stderr for marker in NETWORK_ERRORS):
            return True, banner(
                [
                    "WARNING: DEPENDENCIES NOT AUDITED — the vulnerability service is unreachable.",
                    "pip-audit could not query it; run `make audit` where it is reachable.",
                ]
            )
        return False, f"pip-audit failed (exit {returncode}):\n{stderr.strip()}"

    dependencies = report.get("dependencies", [])
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    if vulnerable:
        lines = ["Known vulnerabilities in requirements.txt:"]
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
                lines.append(f"  {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
        return False, "\n".join(lines)
    audited = len(dependencies) - len(skipped)
    if skipped and not audited:
        return True, banner(
            [
                f"WARNING: DEPENDENCIES NOT AUDITED — all {len(skipped)} were skipped.",
                "The vulnerability service did not know any of them (unreachable, or a",
                f"mirror without its API). First reason: {skipped[0]['skip_reason']}",
            ]
        )
    message = f"pip-audit: {audited} dependencies audited, no known vulnerabilities."
    if skipped:
        names = ", ".join(dep["name"] for dep in skipped)
        message += f"\nWARNING: {len(skipped)} could not be audited: {names}"
    return True, message


def run_pip_audit() -> bool:
    say("=== pip-audit -r requirements.txt ===")
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "pip-audit.json"
        result = subprocess.run(
            [
                str(BIN / "pip-audit"),
                "-r",
                str(REQUIREMENTS),
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(output),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=900,
        )
        report = json.loads(output.read_text()) if output.exists() else None
    passed, message = judge_pip_audit(report, result.stderr, result.returncode)
    say(message)
    return passed


def bandit_command(*extra: str) -> list[str]:
    return [str(BIN / "bandit"), "-c", "pyproject.toml", "-r", *CODE, "-q", *extra]


def run_bandit() -> bool:
    say("=== bandit (reviewed baseline: .ci/bandit-baseline.json) ===")
    result = subprocess.run(bandit_command("-b", str(BASELINE)), cwd=ROOT)
    if result.returncode == 0:
        say("bandit: no findings beyond the reviewed baseline.")
    return result.returncode == 0


def update_baseline() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "bandit.json"
        subprocess.run(bandit_command("-f", "json", "-o", str(output)), cwd=ROOT)
        results = json.loads(output.read_text())["results"]
    BASELINE.write_text(json.dumps({"results": results}, indent=2, sort_keys=True) + "\n")
    say(f"{BASELINE.relative_to(ROOT)}: {len(results)} reviewed findings.")
    say("Add the reason for each new one to pyproject.toml [tool.bandit].")


def main(argv: list[str]) -> int:
    if "--update-baseline" in argv:
        update_baseline()
        return 0
    results = [run_pip_audit(), run_bandit()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
