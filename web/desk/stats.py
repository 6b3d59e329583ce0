"""Statistics: charts drawn on the server, each table also as CSV (the questions to improve: improve.py)."""
from __future__ import annotations

from aiohttp import web

from web.desk.base import DESK, csv_response, staff_only
from web.desk.charts import bar_chart
from web.desk.templates import render


@staff_only
def stats_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    tables = [(t, None if t.empty else bar_chart(t.title, t.categories, t.series, t.stacked))
              for t in desk.assistant.office.tables()]
    return render(request, "stats.html", tables=tables)


@staff_only
def stats_csv(request: web.Request) -> web.Response:
    found = request.app[DESK].assistant.office.table(request.match_info["key"])
    if found is None:
        raise web.HTTPNotFound()
    return csv_response(found.csv(), f"{found.key}.csv")
