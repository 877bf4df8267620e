"""The dashboard's tables as CSV, for the API (`?format=csv`) and the staff pages' "Download CSV" links."""

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse

from . import selectors

Table = tuple[list[str], list[list[Any]]]

# Cells that spreadsheets would run as formulas are written as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _users(data: dict[str, Any]) -> Table:
    header = ["period", "clients", "freelancers", "total", "active_users"]
    return header, [[row[key] for key in header] for row in data["series"]]


def _projects(data: dict[str, Any]) -> Table:
    header = ["period", "projects_posted", "proposals_submitted"]
    return header, [[row[key] for key in header] for row in data["series"]]


def _revenue(data: dict[str, Any]) -> Table:
    header = ["period", "fundings", "fees", "refunds", "transaction_count", "currency"]
    return header, [[*(row[key] for key in header[:-1]), data["currency"]] for row in data["series"]]


def _top_freelancers(data: dict[str, Any]) -> Table:
    header = ["rank", "id", "name", "email", "country", "earnings", "currency", "completed_contracts",
              "average_rating", "review_count", "success_rate"]
    return header, [[row[key] for key in header] for row in data["results"]]


def _top_clients(data: dict[str, Any]) -> Table:
    header = ["rank", "id", "name", "email", "company", "country", "total_spent", "currency", "projects_posted",
              "contracts_created"]
    return header, [[row[key] for key in header] for row in data["results"]]


# name -> (the selector's answer -> header and rows)
TABLES: dict[str, Callable[[dict[str, Any]], Table]] = {
    "users": _users,
    "projects": _projects,
    "revenue": _revenue,
    "top-freelancers": _top_freelancers,
    "top-clients": _top_clients,
}


def table_data(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The selector's answer behind the table `name`, for validated `params` (days, interval, by)."""
    days, interval = params.get("days", selectors.DEFAULT_DAYS), params.get("interval", "day")
    if name == "users":
        return selectors.user_analytics(days=days, interval=interval)
    if name == "projects":
        return selectors.project_analytics(days=days, interval=interval)
    if name == "revenue":
        return selectors.revenue_analytics(days=days, interval=interval)
    if name == "top-freelancers":
        return selectors.top_freelancers(days=days, by=params.get("by") or "earnings")
    if name == "top-clients":
        return selectors.top_clients(days=days, by=params.get("by") or "spend")
    raise KeyError(name)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return f"'{value}"
    return value


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def filename(name: str, data: dict[str, Any]) -> str:
    return f"megilance-{name}-last-{data['period_days']}-days.csv"


def csv_response(name: str, data: dict[str, Any]) -> HttpResponse:
    header, rows = TABLES[name](data)
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(name, data)}"'
    return response
