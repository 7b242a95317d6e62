"""Spreadsheets in and out: CSV and XLSX (openpyxl), one header row, one asset per row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal

from openpyxl import Workbook, load_workbook

from cloud.errors import Invalid

Format = Literal["csv", "xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 100_000


def _cell(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def read_sheet(data: bytes, fmt: Format) -> list[tuple[int, dict[str, Any]]]:
    """Rows as (sheet row number, cells by header); the header is row 1."""
    if fmt == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Invalid(f"the CSV file is not UTF-8: {exc}", "bad_sheet") from exc
        reader = csv.reader(io.StringIO(text))
        table: Iterable[list[Any]] = reader
    else:
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
            raise Invalid(f"not an XLSX workbook: {exc}", "bad_sheet") from exc
        sheet = book.worksheets[0]
        table = ([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True))
    rows = iter(table)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    if not any(header):
        raise Invalid("the sheet has no header row", "bad_sheet")
    out = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS:
            raise Invalid(f"more than {MAX_ROWS} rows", "bad_sheet")
        if not any(v not in (None, "") for v in values):
            continue
        cells = {h: v for h, v in zip(header, values, strict=False) if h}
        extra = values[len(header) :]
        if any(v not in (None, "") for v in extra):
            cells["(beyond the header)"] = extra
        out.append((number, cells))
    return out


def write_sheet(columns: tuple[str, ...], rows: list[dict[str, Any]], fmt: Format) -> bytes:
    """The rows as a CSV (UTF-8 with BOM, which spreadsheet programs recognise) or XLSX file."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r[c] is None else _cell(r[c]) for c in columns])
        return ("\ufeff" + buf.getvalue()).encode()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("register")
    sheet.append(list(columns))
    for r in rows:
        sheet.append([_cell(r[c]) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
