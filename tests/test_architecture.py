"""The one dependency rule: adapters -> flows <- storage; flows stay platform-neutral."""
import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_FLOWS = {"slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp", "sqlmodel", "sqlalchemy",
                      "apscheduler", "storage", "adapters", "bot", "yaml", "msal", "jwt"}


def imported_roots(path: Path) -> frozenset[str]:
    return _imported_roots(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=None)
def _imported_roots(path: Path, mtime_ns: int) -> frozenset[str]:
    """Parsed once per file and version: the rules below read the same tree several times."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return frozenset(roots)


def test_flows_import_no_platform_web_sql_or_scheduler_package():
    offenders = {str(p.relative_to(ROOT)): sorted(imported_roots(p) & FORBIDDEN_IN_FLOWS)
                 for p in (ROOT / "flows").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_catches_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from slack_sdk import WebClient\nimport sqlalchemy.orm\n")
    assert imported_roots(bad) & FORBIDDEN_IN_FLOWS == {"slack_sdk", "sqlalchemy"}


def test_storage_never_imports_adapters_and_adapters_never_import_storage_or_bot():
    for folder, banned in (("storage", {"adapters", "bot"}), ("adapters", {"storage", "bot"})):
        for path in (ROOT / folder).rglob("*.py"):
            assert not imported_roots(path) & banned, path


def test_botbuilder_stays_inside_the_teams_adapter():
    for folder in ("bot", "flows", "storage", "adapters"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if rel.parts[:2] != ("adapters", "teams"):
                assert not imported_roots(path) & {"botbuilder", "botframework"}, rel
