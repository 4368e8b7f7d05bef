"""Every chat adapter has the same inner shape, so that learning one teaches the others.

Shared roles: parse, render, ids, notifier (Slack and Teams also share app and chat), and one
routes module per capability of flows/. A capability module in one adapter and not in another
fails here. Platform-only modules (Teams auth, credentials, references…) are allowed.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = ROOT / "adapters"
SHARED_ROLES = {"parse", "render", "ids", "notifier"}
CHAT_ROLES = {"app", "chat"}  # Slack and Teams: the adapter object; what people type


def capabilities() -> set[str]:
    """The capability packages of flows/ (incidents, aftercare, consultation, …)."""
    return {p.parent.name for p in (ROOT / "flows").glob("*/__init__.py")}


def chat_adapters() -> list[Path]:
    """Each adapter that has a notifier (a chat platform): adapters/slack, adapters/teams, …"""
    return sorted(p.parent for p in ADAPTERS.glob("*/notifier.py"))


def modules(adapter: Path) -> set[str]:
    """Module names directly in an adapter: `parse.py` and `render/` both count."""
    return {p.stem for p in adapter.glob("*.py") if p.stem != "__init__"} | \
        {p.parent.name for p in adapter.glob("*/__init__.py")}


def mismatches(adapters: list[Path], caps: set[str]) -> dict[str, list[str]]:
    """Per adapter, the capability modules that some other adapter has and it lacks."""
    served = {adapter.name: modules(adapter) & caps for adapter in adapters}
    every = set().union(*served.values()) if served else set()
    return {name: sorted(every - mine) for name, mine in served.items() if every - mine}


def test_there_are_at_least_two_chat_adapters_and_three_capabilities():
    assert {"slack", "teams"} <= {a.name for a in chat_adapters()}
    assert {"incidents", "aftercare", "consultation"} <= capabilities()


def test_every_adapter_has_the_shared_roles():
    for adapter in chat_adapters():
        assert SHARED_ROLES <= modules(adapter), f"{adapter.name} lacks {sorted(SHARED_ROLES - modules(adapter))}"


def test_slack_and_teams_share_the_chat_roles():
    for name in ("slack", "teams"):
        assert CHAT_ROLES <= modules(ADAPTERS / name), name


def test_every_adapter_routes_the_same_capabilities():
    assert modules(ADAPTERS / "slack") & capabilities(), "no capability routes found: see adapters/slack"
    assert mismatches(chat_adapters(), capabilities()) == {}


def test_the_check_catches_a_capability_module_only_one_adapter_has(tmp_path):
    for name, files in (("one", ["notifier.py", "incidents.py", "aftercare.py"]), ("two", ["notifier.py", "incidents.py"])):
        (tmp_path / name).mkdir()
        for file in files:
            (tmp_path / name / file).write_text("")
    assert mismatches(sorted(tmp_path.iterdir()), {"incidents", "aftercare"}) == {"two": ["aftercare"]}
