"""Calendar months as integers (year * 12 + month - 1), the model's clock."""

from __future__ import annotations

import datetime as _dt
import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def parse_month(value) -> int:
    """'2017-09', '2017-09-03' or a date -> month index. Raises ValueError."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.year * 12 + value.month - 1
    if not isinstance(value, str):
        raise ValueError(f"expected a month as YYYY-MM, got {value!r}")
    m = _MONTH.match(value.strip())
    if not m:
        raise ValueError(f"expected a month as YYYY-MM (or a date YYYY-MM-DD), got {value!r}")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} in {value!r} is not 01..12")
    if m.group(3):
        try:
            _dt.date(year, month, int(m.group(3)))
        except ValueError as err:
            raise ValueError(f"{value!r} is not a valid date ({err})") from None
    if not 1900 <= year <= 2100:
        raise ValueError(f"year {year} in {value!r} is outside 1900..2100")
    return year * 12 + month - 1


def month_str(index: int) -> str:
    """Month index -> 'YYYY-MM'."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_year(index: int) -> int:
    return index // 12
