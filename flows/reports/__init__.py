"""The `reports` capability: monthly report, KPIs, repeat customers (issue 11).

Pure functions over plain records: storage reads them (storage/reports.py), renderers turn
the `MonthlyReport` into XLSX/PDF/CSV/PNG (adapters/documents/), bot/ wires both.
"""
