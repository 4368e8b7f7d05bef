"""`kasuhara incidents list|export` with filters and formats, as an auditor runs them."""
from __future__ import annotations

import json
import sqlite3

import pytest

from bot.cli_incidents import _table, _width
from flows.i18n import Translator
from tests.bot.test_cli import run
from tests.reports.test_cli_report import workdir_with


def cases_of(stdout: str) -> list[str]:
    return [row["case_no"] for row in json.loads(stdout)]


def test_filters_choose_by_period_unit_level_and_status(tmp_path, november_copy):
    database, cases = november_copy
    env = workdir_with(tmp_path, database)
    november = run(["incidents", "list", "--from", "2026-11-01", "--to", "2026-11-30", "--json"], tmp_path, **env)
    assert november.returncode == 0, november.stderr
    assert cases_of(november.stdout) == [cases[k].case_no for k in ("k1", "k2", "k3", "k4")]
    chuo = run(["incidents", "list", "--unit", "chuo", "--format", "json"], tmp_path, **env)
    assert cases_of(chuo.stdout) == [cases[k].case_no for k in ("october", "k1", "k3")]
    serious = run(["incidents", "export", "--level", "L3,L4", "--format", "json"], tmp_path, **env)
    assert cases_of(serious.stdout) == [cases["k2"].case_no, cases["k4"].case_no]
    closed = run(["incidents", "list", "--status", "closed", "--json"], tmp_path, **env)
    assert cases_of(closed.stdout) == [cases["k1"].case_no]  # its 2-week review closed it
    first_day = run(["incidents", "list", "--from", "2026-11-03 09:00", "--to", "2026-11-03 10:00", "--json"],
                    tmp_path, **env)
    assert cases_of(first_day.stdout) == [cases["k1"].case_no]  # 01:00 UTC = 10:00 JST, --to includes that minute


def test_times_are_in_the_policys_time_zone_and_names_are_shown(tmp_path, november_copy):
    database, cases = november_copy
    env = workdir_with(tmp_path, database)
    [row] = json.loads(run(["incidents", "export", "--level", "L1", "--json"], tmp_path, **env).stdout)
    assert row["case_no"] == cases["k3"].case_no
    assert row["created"] == "2026-11-10T12:00:00+09:00" and row["acknowledged"] == "2026-11-10T12:30:00+09:00"
    assert row["reporter_name"] == "山田" and row["unit_name"] == "中央区役所"
    assert all(h["at"].endswith("+09:00") for h in row["history"])


def test_csv_export_has_a_bom_and_every_report_form_field_in_japanese(tmp_path, november_copy):
    database, cases = november_copy
    env = workdir_with(tmp_path, database)
    result = run(["incidents", "export", "--from", "2026-11-01", "--format", "csv"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    raw = result.stdout.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = result.stdout.lstrip("\ufeff").strip().split("\r\n") if "\r\n" in result.stdout \
        else result.stdout.lstrip("\ufeff").strip().split("\n")
    assert header.startswith("事案番号,受付日時,発生日時,所属,発生場所,対応チャネル,危険度")
    assert [r.split(",")[0] for r in rows] == [cases[k].case_no for k in ("k1", "k2", "k3", "k4")]


def test_the_default_output_off_a_terminal_is_a_tab_separated_table_with_japanese_headers(tmp_path, november_copy):
    database, cases = november_copy
    env = workdir_with(tmp_path, database)
    result = run(["incidents", "list", "--level", "L4"], tmp_path, **env)
    header, row = result.stdout.strip().split("\n")
    assert header.split("\t")[:4] == ["事案番号", "受付日時", "所属", "危険度"]
    assert row.split("\t")[:4] == [cases["k4"].case_no, "2026-11-12 14:00", "本社", "L4"]


def test_a_terminal_table_lines_up_japanese_columns():
    rows = [{"case_no": "K-2026-00001", "created": "2026-11-03T10:00:00+09:00", "unit_name": "中央区役所",
             "level": "L2", "status": "acknowledged", "acknowledged": None, "acknowledged_by": None, "sos": False},
            {"case_no": "K-2026-00002", "created": "2026-11-05T11:00:00+09:00", "unit_name": "本社",
             "level": "L3", "status": "open", "acknowledged": None, "acknowledged_by": None, "sos": True}]
    lines = _table(rows, Translator("ja"), aligned=True).split("\n")
    level_at = [_width(line[:line.index("危険度" if n == 0 else " L") + (0 if n == 0 else 1)])
                for n, line in enumerate(lines)]
    assert "中央区役所  L2" in lines[1] and "本社        L3" in lines[2]
    assert len(set(level_at)) == 1  # the level column starts at the same display column on every line
    assert "条件に合う事案はありません。" in _table([], Translator("ja"), aligned=True)


@pytest.mark.parametrize("args, says", [
    (["--from", "2026-13-01"], "YYYY-MM-DD"),
    (["--from", "2026-11-30", "--to", "2026-11-01"], "--from 2026-11-30"),
    (["--level", "L5"], "L1, L2, L3 or L4"),
    (["--status", "done"], "open, acknowledged, closed"),
    (["--unit", "kita"], "honsha, chuo"),
    (["--format", "xml"], "json, csv or table"),
])
def test_bad_filters_get_a_clear_answer(tmp_path, november_copy, args, says):
    database, _ = november_copy
    result = run(["incidents", "list", *args], tmp_path, **workdir_with(tmp_path, database))
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr


def test_every_list_and_export_is_audited_with_its_filter(tmp_path, november_copy):
    database, _ = november_copy
    env = workdir_with(tmp_path, database)
    run(["incidents", "list", "--unit", "chuo", "--json"], tmp_path, **env)
    run(["incidents", "export", "--level", "L3", "--format", "csv"], tmp_path, **env)
    rows = sqlite3.connect(database).execute(
        "select actor, detail from audit_events where action = 'incidents_exported' order by id").fetchall()
    assert [d for _, d in rows] == ["list unit=chuo rows=3", "export format=csv sensitive=no level=L3 rows=1"]
    assert all(a.startswith("cli:") for a, _ in rows)
