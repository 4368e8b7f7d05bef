"""`kasuhara report monthly` as an operator runs it: files, bad input, the audit trail."""
from __future__ import annotations

import io
import shutil
import sqlite3

from openpyxl import load_workbook

from tests.bot.test_cli import env_ok, run
from tests.reports.conftest import ROOT


def workdir_with(tmp_path, database):
    shutil.copy(ROOT / "kasuhara.example.yaml", tmp_path / "kasuhara.yaml")
    return env_ok(DATABASE_URL=f"sqlite:///{database}")


def test_report_monthly_writes_the_workbook_and_audits_the_export(tmp_path, november_copy):
    database, cases = november_copy
    env = workdir_with(tmp_path, database)
    result = run(["report", "monthly", "--month", "2026-11"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "kasuhara-monthly-2026-11.xlsx" in result.stdout and "報告 4件" in result.stdout
    book = load_workbook(io.BytesIO((tmp_path / "kasuhara-monthly-2026-11.xlsx").read_bytes()))
    assert cases["k2"].case_no in str(list(book["事案一覧"].values))
    rows = sqlite3.connect(database).execute(
        "select actor, detail from audit_events where action = 'report_exported'").fetchall()
    assert len(rows) == 1 and rows[0][0].startswith("cli:")
    assert "monthly 2026-11 unit=all format=xlsx sensitive=no -> kasuhara-monthly-2026-11.xlsx" == rows[0][1]
    assert run(["audit", "anchor"], tmp_path, **env).returncode == 0
    verify = run(["audit", "verify"], tmp_path, **env)
    assert verify.returncode == 0, verify.stderr  # the export's own audit row keeps the chain intact


def test_pdf_and_csv_by_format_or_file_name(tmp_path, november_copy):
    database, _ = november_copy
    env = workdir_with(tmp_path, database)
    pdf = run(["report", "monthly", "--month", "2026-11", "--unit", "chuo", "--format", "pdf"], tmp_path, **env)
    assert pdf.returncode == 0, pdf.stderr
    assert (tmp_path / "kasuhara-monthly-2026-11-chuo.pdf").read_bytes().startswith(b"%PDF")
    csv = run(["report", "monthly", "--month", "2026-11", "--out", str(tmp_path / "list.csv")], tmp_path, **env)
    assert csv.returncode == 0, csv.stderr
    assert (tmp_path / "list.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_bad_months_units_and_formats_get_a_clear_answer_and_no_file(tmp_path, november_copy):
    database, _ = november_copy
    env = workdir_with(tmp_path, database)
    malformed = run(["report", "monthly", "--month", "2026/11"], tmp_path, **env)
    assert malformed.returncode == 2 and "YYYY-MM" in malformed.stderr and "Traceback" not in malformed.stderr
    future = run(["report", "monthly", "--month", "2099-01"], tmp_path, **env)
    assert future.returncode == 2 and "まだ始まっていません" in future.stderr and "has not started" in future.stderr
    unit = run(["report", "monthly", "--month", "2026-11", "--unit", "kita"], tmp_path, **env)
    assert unit.returncode == 2 and "honsha, chuo" in unit.stderr
    fmt = run(["report", "monthly", "--month", "2026-11", "--format", "docx"], tmp_path, **env)
    assert fmt.returncode == 2 and "xlsx, pdf or csv" in fmt.stderr
    assert not list(tmp_path.glob("kasuhara-monthly-*"))


def test_sensitive_export_without_the_secret_key_is_refused_naming_the_variable(tmp_path, november_copy):
    database, _ = november_copy
    env = workdir_with(tmp_path, database)
    env["KASUHARA_SECRET_KEY"] = ""
    result = run(["report", "monthly", "--month", "2026-11", "--include-sensitive"], tmp_path, **env)
    assert result.returncode == 2 and "KASUHARA_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_an_empty_database_gives_a_report_that_says_so(tmp_path):
    env = workdir_with(tmp_path, tmp_path / "empty.db")
    result = run(["report", "monthly", "--month", "2026-11", "--format", "csv"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "この月の報告はありませんでした。" in (tmp_path / "kasuhara-monthly-2026-11.csv").read_text("utf-8-sig")


def test_hr_records_a_measure_against_a_customer_from_the_command_line(tmp_path, november_copy):
    database, cases = november_copy
    env = workdir_with(tmp_path, database)
    refused = run(["customers", "measure", "--case", cases["k1"].case_no, "--kind", "ban"], tmp_path, **env)
    assert refused.returncode == 1 and "顧客を識別する情報がありません" in refused.stderr  # K1 named no customer
    unknown = run(["customers", "measure", "--case", "K-1999-00001", "--kind", "ban"], tmp_path, **env)
    assert unknown.returncode == 2 and "K-2026-00012" in unknown.stderr
    kind = run(["customers", "measure", "--case", cases["k1"].case_no, "--kind", "fine"], tmp_path, **env)
    assert kind.returncode == 2 and "warning_letter, ban, police_report, other" in kind.stderr
