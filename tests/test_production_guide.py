"""The production guide, the Dockerfile and compose.yaml stay in step with the README."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "production.md").read_text(encoding="utf-8")


def readme_commands() -> tuple[str, str]:
    block = re.search(r"```sh\n(python3 -m venv[^\n#]*?)\s+# インストール\n(kasuhara serve)", README)
    assert block, "the README's two commands moved"
    return block.group(1).strip(), block.group(2)


def test_the_container_uses_the_readmes_install_and_start_commands():
    install, start = readme_commands()
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"RUN {install}" in dockerfile
    assert f'CMD {start.split()!r}'.replace("'", '"') in dockerfile
    assert "python:3.11" in dockerfile  # the README's minimum


def test_compose_runs_the_bot_with_postgresql():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert db["image"].startswith("postgres:") and bot["build"] == "."
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://kasuhara:")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"])


def test_the_guide_covers_production_in_both_languages():
    japanese, english = GUIDE.split("\n## English\n")
    for part in (japanese, english):
        for needed in ("nginx", "Caddy", "systemd", "compose", "kasuhara db backup", "kasuhara db restore",
                       "pg_dump", "KASUHARA_SECRET_KEY", "kasuhara keys rotate", "kasuhara db upgrade", "/healthz",
                       "/metrics", "check-config --online", "19:…@thread.tacv2"):
            assert needed in part, needed
    assert "バックアップ" in japanese and "チャンネルID" in japanese
    for setting in ("proxy_read_timeout", "limit_conn", "client_max_body_size", "max_size", "response_header_timeout",
                    "RestartPreventExitStatus=2", "EnvironmentFile"):
        assert setting in GUIDE, setting


def test_the_readme_says_which_python_before_installing():
    for language in ("Python 3.11 以上", "Python 3.11 or newer"):
        assert README.index(language) < README.index("python3 -m venv", README.index(language))
