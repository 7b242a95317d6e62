"""`plantwatch cloud register` and `plantwatch cloud classes`: the register from the shell."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from cloud.cli import _fail, _print_json, _session, console
from cloud.errors import Invalid
from cloud.register import records
from cloud.register.classes import class_rows
from cloud.register.sheets import read_sheet, write_sheet

register_app = typer.Typer(help="The equipment register: import and export.", no_args_is_help=True)


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        _fail(f"{path}: a .csv or .xlsx file, please", 2)
    return suffix[1:]


@register_app.command("import")
def register_import(
    sheet: Path = typer.Argument(..., help="CSV or XLSX with one header row"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check only, store nothing"),
) -> None:
    """Import a register; rows equal to what is stored change nothing. Exit 1 when a row
    was refused (each is listed with its row and column)."""
    fmt = _format(sheet)
    if not sheet.exists():
        _fail(f"{sheet}: no such file", 2)
    _, session = _session()
    with session:
        try:
            rows = read_sheet(sheet.read_bytes(), "xlsx" if fmt == "xlsx" else "csv")
            report = records.import_sheet(session, rows, dry_run=dry_run)
        except Invalid as exc:
            _fail(f"{sheet}: {exc.detail}", 2)
    for p in report.refused:
        console.print(f"{sheet}: row {p.row}: {p.column}: {p.reason}", highlight=False)
    verb = "would create" if dry_run else "created"
    console.print(
        f"{verb} {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"refused rows {report.refused_rows}"
    )
    if report.refused:
        raise typer.Exit(1)


@register_app.command("export")
def register_export(out: Path = typer.Argument(..., help="A .csv or .xlsx file to write")) -> None:
    """Write the register as the import reads it."""
    fmt = _format(out)
    _, session = _session()
    with session:
        columns, rows = records.export_rows(session)
    out.write_bytes(write_sheet(columns, rows, "xlsx" if fmt == "xlsx" else "csv"))
    console.print(f"wrote {len(rows)} assets to {out}")


def classes(as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """The asset classes the registry knows (from the catalogue)."""
    _, session = _session()
    with session:
        rows = class_rows(session)
        data = [
            {
                "name": r.name,
                "en": r.name_en,
                "zh": r.name_zh,
                "team": r.default_team,
                "signals": len(r.definition["signals"]),
                "failure_modes": len(r.definition["failure_modes"]),
                "source": r.source,
            }
            for r in rows
        ]
    if as_json:
        _print_json(data)
        return
    table = Table("class", "name", "名称", "team", "signals", "failure modes", "file")
    for d in data:
        table.add_row(*(str(d[k]) for k in d))
    console.print(table)
