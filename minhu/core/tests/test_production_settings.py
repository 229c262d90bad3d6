"""Issue 14 item 10 (part): `check --deploy` is clean in the documented production
configuration (docs/security.md), and MINHU_DEBUG=0 refuses the built-in secret key."""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def documented_env() -> dict[str, str]:
    """The `export` lines of the production block in docs/security.md."""
    text = (REPO / "docs" / "security.md").read_text()
    block = text.split("<!-- production-env -->")[1].split("```")[1]
    env = {}
    for name, value in re.findall(r"^export (\w+)=(\S+)$", block, flags=re.M):
        env[name] = value
    return env


def _manage(tmp_path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("MINHU_", "DJANGO_"))}
    full.pop("DATABASE_URL", None)
    full.update(env, MINHU_VAR_DIR=str(tmp_path), PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_the_documented_configuration(tmp_path):
    env = documented_env()
    assert env["MINHU_DEBUG"] == "0" and env["MINHU_HTTPS"] == "1"
    env["MINHU_SECRET_KEY"] = "k" + "x7Qp2vL9sR4tY8wZ1aB5cD3eF6gH0jK2mN4pQ7rS9tU1vW3yZ5" * 2
    env["MINHU_REGISTRY_KEY"] = "dGVzdC1yZWdpc3RyeS1rZXktMzItYnl0ZXMtbG9uZyE="
    r = _manage(tmp_path, env, "check", "--deploy", "--fail-level", "WARNING")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout


def test_check_deploy_warns_without_the_switches(tmp_path):
    env = {
        "MINHU_DEBUG": "0",
        "MINHU_SECRET_KEY": "k" * 60,
        "MINHU_REGISTRY_KEY": "dGVzdC1yZWdpc3RyeS1rZXktMzItYnl0ZXMtbG9uZyE=",
    }
    r = _manage(tmp_path, env, "check", "--deploy", "--fail-level", "WARNING")
    assert r.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in r.stderr + r.stdout


def test_debug_off_refuses_the_built_in_secret_key(tmp_path):
    r = _manage(tmp_path, {"MINHU_DEBUG": "0"}, "check")
    assert r.returncode != 0
    assert "MINHU_SECRET_KEY" in r.stderr
