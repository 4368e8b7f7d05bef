"""The monthly report of a played month: XLSX sheets, PDF text (pdftotext), CSV for Excel, charts."""
from __future__ import annotations

import io
import warnings
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from adapters.documents import render
from adapters.documents.charts import compact_summary_png, summary_png
from bot.policy_file import load_policy
from flows.reports.build import build_monthly_report
from flows.reports.period import Month, ReportInputError
from flows.reports.reading import read_records
from storage.keys import KeyProblem, generate
from tests.keys import TEST_KEY, sealer_for
from storage.db import Database
from storage.reports import SqlReports
from tests.reports.conftest import ROOT, pdftotext
from tests.reports.scenario import FEELINGS

NOW = datetime(2026, 12, 2, tzinfo=timezone.utc)
POLICY = load_policy(ROOT / "kasuhara.example.yaml")


async def build(path, month=Month(2026, 11), unit=None, sensitive=False, locale=None, secret=TEST_KEY):
    url = f"sqlite:///{path}"
    database = Database(url, sealer_for(url, secret))
    try:
        async with database.transaction() as tx:
            records = await read_records(SqlReports(tx.session, database.sealer), POLICY, month, unit,
                                         include_sensitive=sensitive)
    finally:
        await database.close()
    return build_monthly_report(POLICY, month, unit, records, NOW, locale=locale, include_sensitive=sensitive)


async def test_the_workbook_has_a_sheet_per_table_with_local_times_and_names(november_db):
    path, cases = november_db
    report = await build(path)
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert book.sheetnames == ["概要", "事案一覧", "エスカレーション経過", "事後フォロー", "KPI", "未クローズ事案",
                               "相談（件数のみ）", "リピート顧客", "監査ログ検証"]
    rows = list(book["事案一覧"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert [r[0] for r in body] == [cases[k].case_no for k in ("k1", "k2", "k3", "k4")]
    first = dict(zip(header, body[0]))
    assert first["受付日時"] == "2026-11-03 10:00"  # 01:00 UTC shown in Asia/Tokyo
    assert first["危険度"] == "L2 要管理" and first["所属"] == "中央区役所" and first["対応チャネル"] == "電話"
    assert first["類型"] == "暴言型、時間拘束型" and first["継続時間（分）"] == 45
    assert first["報告者"] == "山田" and first["確認者"] == "佐藤" and first["確認までの時間（分）"] == 4.0
    assert "対応者所感・必要支援（人事のみ）" not in header
    assert all(FEELINGS not in str(v) for row in rows for v in row)
    timeline = list(book["エスカレーション経過"].iter_rows(values_only=True))
    escalated = [r for r in timeline if r[1] == cases["k2"].case_no and r[2] == "再エスカレーション"]
    assert escalated and "本社/経営層" in escalated[0][4] and "C0EXEC" not in escalated[0][4]
    follow_ups = list(book["事後フォロー"].iter_rows(values_only=True))
    recorded = next(r for r in follow_ups if r[0] == cases["k1"].case_no and r[1].startswith("72時間"))
    assert recorded[5] == "鈴木" and recorded[7] == "はい" and "本人・店長" in recorded[8]
    assert "夜に眠れない" not in str(follow_ups)  # hearing notes: HR only
    kpis = {r[0]: r[1:] for r in book["KPI"].iter_rows(values_only=True)}
    assert kpis["指標"] == ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11")
    assert kpis["報告件数"][-2:] == (1, 4)
    assert kpis["受付から初回確認まで 中央値（分）"][-1] == 4.0
    assert kpis["長時間事案（30分超）"][-1] == 1 and kpis["再エスカレーションされた事案"][-1] == 1
    assert kpis["72時間フォロー（本人ヒアリング）：期限内に記録"][-1] == "1/3 (33%)"
    audit = dict(book["監査ログ検証"].iter_rows(values_only=True))
    assert audit["結果"] == "改ざんなし（ハッシュチェーン一致）" and audit["検証した記録件数"] > 10


async def test_hr_only_fields_appear_only_when_asked_for(november_db):
    path, cases = november_db
    report = await build(path, sensitive=True)
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    incidents = list(book["事案一覧"].iter_rows(values_only=True))
    assert incidents[0][-1] == "対応者所感・必要支援（人事のみ）" and incidents[1][-1] == FEELINGS
    assert "夜に眠れない" in str(list(book["事後フォロー"].iter_rows(values_only=True)))
    assert "人事のみ" in book["概要"]["A4"].value


async def test_a_report_with_the_wrong_key_is_refused_before_reading_anything(november_db):
    path, _ = november_db
    for sensitive in (False, True):  # the report checks the keyed audit chain either way
        with pytest.raises(KeyProblem, match="KASUHARA_SECRET_KEY is not the key"):
            await build(path, sensitive=sensitive, secret=generate())


async def test_the_pdf_text_holds_the_case_numbers_and_kpis_in_japanese(november_db, tmp_path):
    path, cases = november_db
    report = await build(path)
    text = pdftotext(render(report, "pdf"), tmp_path)
    for key in ("k1", "k2", "k3", "k4"):
        assert cases[key].case_no in text
    for phrase in ("カスハラ対応 月次レポート 2026年11月（全拠点）", "報告 4件（L1 1 / L2 1 / L3 1 / L4 1）前月比 +3",
                   "初回確認まで 中央値 4分", "受付から初回確認まで 中央値（分）", "長時間事案（30分超）",
                   "月別の報告件数（危険度別）", "受付から初回確認までの時間と確認期限", "監査ログ 検証", "改ざんなし"):
        assert phrase.replace(" ", "") in text.replace(" ", ""), phrase
    assert FEELINGS not in text


async def test_the_csv_is_utf8_with_a_bom_and_one_row_per_incident(november_db):
    path, cases = november_db
    data = render(await build(path), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("事案番号,受付日時,発生日時,所属")
    assert [line.split(",")[0] for line in lines[1:5]] == [cases[k].case_no for k in ("k1", "k2", "k3", "k4")]


async def test_a_unit_report_covers_the_unit_and_the_units_below(november_db):
    path, cases = november_db
    chuo = await build(path, unit="chuo")
    assert [r[0] for r in chuo.table("incidents").rows] == [cases["k1"].case_no, cases["k3"].case_no]
    honsha = await build(path, unit="honsha")  # the head office: chuo's parent
    assert honsha.kpis.incidents == 4 and "本社" in honsha.title


async def test_an_unknown_unit_is_refused_naming_the_known_ones(november_db):
    path, _ = november_db
    with pytest.raises(ReportInputError) as refused:
        await build(path, unit="kita")
    assert refused.value.fields == {"unit": "kita", "known": "honsha, chuo"}


async def test_an_empty_month_says_there_were_no_incidents_in_every_format(november_db, tmp_path):
    path, _ = november_db
    report = await build(path, month=Month(2026, 8))
    assert report.empty and report.summary[0] == "この月の報告はありませんでした。"
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert book["事案一覧"]["A2"].value == "この月の報告はありませんでした。"
    assert "この月の報告はありませんでした。" in pdftotext(render(report, "pdf"), tmp_path)
    assert "この月の報告はありませんでした。" in render(report, "csv").decode("utf-8-sig")


async def test_the_report_is_available_in_english(november_db):
    path, _ = november_db
    report = await build(path, locale="en")
    assert report.title.startswith("Customer-harassment monthly report 2026-11")
    assert report.table("kpis").rows[0][0] == "Incidents reported"


async def test_charts_render_japanese_glyphs_and_the_teams_image_fits_in_a_card(november_db):
    path, _ = november_db
    report = await build(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        full = summary_png(report)
        small = compact_summary_png(report)
    assert not [w for w in caught if "missing from" in str(w.message)], [str(w.message) for w in caught]
    assert full.startswith(b"\x89PNG") and small.startswith(b"\x89PNG")
    assert len(small) <= 20_000 < len(full) * 4
