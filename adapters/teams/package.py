"""Build the Teams app package (the zip an admin uploads) from manifest/teams/.

The manifest keeps `{{TEAMS_APP_ID}}` and the developer links as placeholders; this fills
them in, checks the result is JSON, and zips manifest.json, the icons and the localization
files at the zip root, where Teams looks for them.
"""
from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parents[2] / "manifest" / "teams"
PACKAGE_FILES = ("manifest.json", "color.png", "outline.png", "en-us.json")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DEFAULTS = {  # placeholder -> (environment variable, default)
    "DEVELOPER_NAME": ("TEAMS_APP_DEVELOPER_NAME", "kasuhara"),
    "WEBSITE_URL": ("TEAMS_APP_WEBSITE_URL", "https://example.com/kasuhara"),
    "PRIVACY_URL": ("TEAMS_APP_PRIVACY_URL", ""),
    "TERMS_URL": ("TEAMS_APP_TERMS_URL", ""),
}


def build_package(app_id: str, out_path: Path | str, *, env: Mapping[str, str] | None = None,
                  source: Path = MANIFEST_DIR) -> Path:
    """Write the sideloadable Teams app zip to `out_path` and return its path."""
    app_id = (app_id or "").strip()
    if not _GUID.match(app_id):
        raise ValueError(f"TEAMS_APP_ID={app_id!r} is not a GUID: use the bot's Microsoft App ID "
                         "(Azure Bot > Configuration > Microsoft App ID)")
    values = _placeholders(app_id, os.environ if env is None else env)
    manifest = (source / "manifest.json").read_text(encoding="utf-8")
    for name, value in values.items():
        manifest = manifest.replace("{{" + name + "}}", json.dumps(value, ensure_ascii=False)[1:-1])
    leftover = re.search(r"\{\{(\w+)\}\}", manifest)
    if leftover:
        raise ValueError(f"manifest/teams/manifest.json: placeholder {leftover.group(0)} has no value")
    json.loads(manifest)  # a broken manifest must fail here, not in the Teams admin center
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest)
        for name in PACKAGE_FILES[1:]:
            archive.write(source / name, arcname=name)
    return out


def _placeholders(app_id: str, env: Mapping[str, str]) -> dict[str, str]:
    values = {"TEAMS_APP_ID": app_id}
    for name, (variable, default) in _DEFAULTS.items():
        values[name] = (env.get(variable) or "").strip() or default
    values["PRIVACY_URL"] = values["PRIVACY_URL"] or values["WEBSITE_URL"]
    values["TERMS_URL"] = values["TERMS_URL"] or values["WEBSITE_URL"]
    for name in ("WEBSITE_URL", "PRIVACY_URL", "TERMS_URL"):
        if not values[name].startswith("https://"):
            raise ValueError(f"{_DEFAULTS[name][0]}={values[name]!r} must be an https URL (Teams rejects others)")
    return values
