"""Statistics (charts drawn on the server, each table also as CSV) and the questions to improve."""
from __future__ import annotations

from aiohttp import web

from chat.types import Reply, small_number
from web.desk.base import DESK, FORM, PATH, STAFF, csv_response, staff_only, tell
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


@staff_only
def improve_page(request: web.Request) -> web.Response:
    return render(request, "improve.html", items=request.app[DESK].assistant.office.to_improve())


@staff_only
def improve_csv(request: web.Request) -> web.Response:
    return csv_response(request.app[DESK].assistant.office.improve_csv(), "questions-to-improve.csv")


@staff_only
def improve_handled(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    ids = [n for v in request[FORM].getall("id", []) if (n := small_number(str(v))) is not None]
    count = desk.assistant.office.mark_handled(request[STAFF].actor, ids) if ids else 0
    return tell(request, [Reply(desk.t("desk_handled", count=count))], PATH + "/improve")
