"""import-items: load items from a one-stop-shop export (CSV or XLSX)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from flask.cli import with_appcontext

from backend.auth.scope import office_of_new
from backend.domain.rules import DomainError
from backend.services.item_import import DEFAULT_SERVICE_FEE, import_items, parse_items_file


@click.command("import-items")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows even if some rows are bad.")
@click.option(
    "--agency-code",
    default=None,
    help="The agency that handed the items over (for rows without a 'Mã cơ quan' column).",
)
@click.option("--office", default=None, help="The post office's code (required when there are several).")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option(
    "--encoding",
    default=None,
    help="Read a CSV in this encoding (e.g. cp1258) instead of UTF-8. Only if you are sure.",
)
@click.option(
    "--service-fee",
    type=click.IntRange(min=0),
    default=DEFAULT_SERVICE_FEE,
    show_default=True,
    help="Service fee in VND for rows that have none.",
)
def import_items_command(
    file: Path,
    skip_bad: bool,
    agency_code: str | None,
    office: str | None,
    dry_run: bool,
    encoding: str | None,
    service_fee: int,
):
    """Import items from a CSV or XLSX export (see docs/import-format.md).

    Every row is checked first; if any row is bad nothing is imported (unless --skip-bad),
    and each problem is reported with its spreadsheet line. Exit status 1 when nothing was imported
    because of problems.
    """
    result = parse_items_file(
        file.name,
        file.read_bytes(),
        agency_code=agency_code,
        default_service_fee=service_fee,
        encoding=encoding,
    )
    if result.description:
        click.echo(f"{file.name}: {result.description}, {result.rows_total} row(s).")
    if result.ignored_columns:
        click.echo("Ignored columns: " + ", ".join(result.ignored_columns))
    for warning, warning_vi in zip(result.warnings, result.warnings_vi, strict=True):
        _both(f"Cảnh báo: {warning_vi}", f"Warning: {warning}")
    for error in result.errors:  # each problem in Vietnamese, then in English
        _both(error.text_vi, str(error))

    good = len(result.rows_ok)
    if result.file_error:
        _fail("Chưa nhập gì.", "Nothing imported.")
    if result.errors:
        bad = len(result.bad_lines)
        summary_vi = f"{result.rows_total} dòng: {good} hợp lệ, {bad} có lỗi."
        summary = f"{result.rows_total} row(s): {good} good, {bad} with problems."
        if not skip_bad:
            _fail(
                f"{summary_vi} Chưa nhập gì: hãy sửa các dòng trên, "
                f"hoặc dùng --skip-bad để nhập {good} dòng hợp lệ.",
                f"{summary} Nothing imported: fix the lines above, "
                f"or use --skip-bad to import the {good} good row(s).",
            )
        if not good:
            _fail(f"{summary_vi} Không có gì để nhập.", f"{summary} Nothing to import.")
        skipped = ", ".join(map(str, result.bad_lines))
        _both(f"{summary_vi} Bỏ qua dòng {skipped}.", f"{summary} Skipping lines {skipped}.")
    if dry_run:
        click.echo(f"Dry run: {good} row(s) would be imported; nothing was written.")
        return
    source = {**result.source, "skipped_lines": result.bad_lines}
    try:
        items = import_items(result.rows_ok, office_id=office_of_new(None, office), source=source)
    except DomainError as exc:
        _fail(_DOMAIN_ERRORS_VI.get(exc.kind, exc.detail), exc.detail)
    directions = Counter(item.direction for item in items)
    click.echo(
        f"Imported {len(items)} item(s): {directions['return']} to return (at the post office), "
        f"{directions['collect']} to collect (registered)."
    )


_DOMAIN_ERRORS_VI = {
    "office-required": "Có nhiều bưu cục: hãy chọn một bằng --office MÃ. Chưa nhập gì.",
    "unknown-office": "Không có bưu cục với mã này. Chưa nhập gì.",
    "duplicate-item-code": "Một lần nhập khác hoặc người dùng khác vừa thêm một trong các mã bưu gửi này; "
    "chưa nhập gì. Hãy kiểm tra lại tệp.",
}


def _both(vietnamese: str, english: str) -> None:
    """A problem on standard error: the Vietnamese line, then the English one."""
    click.echo(vietnamese, err=True)
    click.echo(f"  {english}", err=True)


def _fail(vietnamese: str, english: str):
    _both(vietnamese, english)
    raise click.exceptions.Exit(1)
