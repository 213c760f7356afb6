"""CSV answers (reports, safety-case exports): RFC 4180, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any


def to_csv(columns: Sequence[str], rows: list[dict[str, Any]]) -> str:
    """RFC 4180 CSV; a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is quoted with `'`,
    since verbatim texts come from the public (OWASP: CSV injection)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text and (text[0] in "=+-@\t\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
