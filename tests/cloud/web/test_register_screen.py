"""The admin's register page in Chromium: import a sheet with a bad row, edit an entry."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from cloud.register.entries import COLUMNS
from simulators.register_sheet import register_rows
from tests.cloud.web.test_screens import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    Site,
    browser,
    shot,
    sign_in,
    site,
)

pytestmark = pytest.mark.integration


def test_the_admin_imports_a_register_and_edits_an_entry(
    site: Site,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    rows = register_rows(12, seed=2)
    rows[4]["install_date"] = "2020-13-01"  # row 6 of the sheet
    rows[9]["class"] = "steam_turbine"  # row 11
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    sheet = tmp_path / "register.csv"
    sheet.write_text(buf.getvalue())

    ada = browser.new_context(**DESKTOP).new_page()
    sign_in(ada, site.url, "ada")
    ada.get_by_role("link", name="Register").click()
    expect(ada.get_by_role("heading", name="Equipment register")).to_be_visible()
    ada.get_by_label("Sheet (CSV or XLSX, one header row)").set_input_files(str(sheet))
    ada.get_by_role("button", name="Import").click()
    report = ada.get_by_test_id("import-report")
    expect(report.get_by_role("status")).to_contain_text("Created 10")
    expect(report.get_by_role("status")).to_contain_text("Refused rows 2")
    expect(report.locator("tr[data-row='6']")).to_contain_text("install_date")
    expect(report.locator("tr[data-row='11']")).to_contain_text("unknown asset class")
    shot(ada, "register-import")
    # the same sheet again changes nothing
    ada.get_by_label("Sheet (CSV or XLSX, one header row)").set_input_files(str(sheet))
    ada.get_by_role("button", name="Import").click()
    expect(report.get_by_role("status")).to_contain_text("Created 0 · Updated 0 · Unchanged 10")

    # edit one entry: its purchase value and label
    first = rows[0]["id"]
    ada.goto(f"{site.url}/app/admin/assets?edit={first}")
    expect(ada.get_by_label("Asset id")).to_have_value(str(first))
    ada.get_by_label("Purchase value").fill("77000")
    ada.get_by_label("Label code").fill("PW-EDITED-1")
    ada.get_by_role("button", name="Save").click()
    row = ada.locator(f"tr[data-asset='{first}']")
    expect(row).to_contain_text("77,000")
    expect(row).to_contain_text("PW-EDITED-1")
    # a label another asset carries is refused, with the reason
    ada.goto(f"{site.url}/app/admin/assets?edit={rows[1]['id']}")
    ada.get_by_label("Label code").fill("PW-EDITED-1")
    ada.get_by_role("button", name="Save").click()
    expect(ada.get_by_role("alert")).to_contain_text(f"already the label of {first}")

    # the download is the sheet the import reads
    with ada.expect_download() as got:
        ada.get_by_role("link", name="Download CSV").click()
    text = Path(got.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert "PW-EDITED-1" in text

    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, site.url, "ada")
    phone.goto(f"{site.url}/app/admin/assets?q={first}")
    expect(phone.locator(f"tr[data-asset='{first}']")).to_be_visible()
    shot(phone, "register")
