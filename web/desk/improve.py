"""待改进 on the desk: a real question becomes a phrasing or a new entry, previewed, published, undone.

Thin views over chat.improve.Improvement (every rule and check lives there); this module reads forms and picks
templates. Previews and rebuilds run in the background: their pages refresh themselves until done.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from chat.context import SHANGHAI
from chat.improve import ImproveError
from chat.types import Reply, small_number
from web.desk.base import DESK, FORM, PATH, STAFF, csv_response, number_in_path, redirect, staff_only, tell
from web.desk.templates import render

HERE = PATH + "/improve"


def routes(r: web.UrlDispatcher) -> None:
    r.add_get(HERE, improve_page)
    r.add_get(HERE + ".csv", improve_csv)
    r.add_post(HERE, dismiss)
    r.add_get(HERE + "/q/{id}", question_page)
    r.add_post(HERE + "/q/{id}/{action}", question_action)
    r.add_get(HERE + "/change/{id}", change_page)
    r.add_post(HERE + "/change/{id}/{action}", change_action)


def when(timestamp: float | None) -> str:
    """A change's time as staff read it (Shanghai)."""
    return datetime.fromtimestamp(timestamp, SHANGHAI).strftime("%Y-%m-%d %H:%M") if timestamp else ""


def _failed(request: web.Request, exc: ImproveError, back: str) -> web.StreamResponse:
    return tell(request, [Reply(str(exc), error=True)], back)


@staff_only
def improve_page(request: web.Request) -> web.Response:
    assistant = request.app[DESK].assistant
    improve = assistant.improve
    return render(request, "improve.html", items=assistant.office.to_improve(), drafts=improve.drafts(),
                  log=improve.log()[:30], rebuild=improve.engine.status, when=when)


@staff_only
def improve_csv(request: web.Request) -> web.Response:
    return csv_response(request.app[DESK].assistant.office.improve_csv(), "questions-to-improve.csv")


@staff_only
def dismiss(request: web.Request) -> web.StreamResponse:
    """「不用处理」 for the ticked questions, with the reason."""
    desk = request.app[DESK]
    ids = [n for v in request[FORM].getall("id", []) if (n := small_number(str(v))) is not None]
    try:
        count = desk.assistant.improve.dismiss(request[STAFF].actor, ids, str(request[FORM].get("reason", "")))
    except ImproveError as exc:
        return _failed(request, exc, HERE)
    return tell(request, [Reply(desk.t("desk_handled", count=count))], HERE)


@staff_only
def question_page(request: web.Request) -> web.Response:
    assistant = request.app[DESK].assistant
    question = assistant.state.question(number_in_path(request))
    if question is None:
        raise web.HTTPNotFound()
    query = request.query.get("q", "").strip()[:200] or question["text"]
    return render(request, "improve_question.html", question=question, query=query,
                  entries=assistant.improve.search_entries(query))


@staff_only
def question_action(request: web.Request) -> web.StreamResponse:
    """attach (to the entry chosen), new (a draft entry), dismiss (with a reason)."""
    improve, actor = request.app[DESK].assistant.improve, request[STAFF].actor
    question_id, action = number_in_path(request), request.match_info["action"]
    back = f"{HERE}/q/{question_id}"
    try:
        if action == "attach":
            change_id = improve.attach(actor, question_id, str(request[FORM].get("entry", "")))
        elif action == "new":
            change_id = improve.new_entry(actor, question_id)
        elif action == "dismiss":
            improve.dismiss(actor, [question_id], str(request[FORM].get("reason", "")))
            return redirect(HERE)
        else:
            raise web.HTTPNotFound()
    except ImproveError as exc:
        return _failed(request, exc, back)
    return redirect(f"{HERE}/change/{change_id}")


@staff_only
def change_page(request: web.Request) -> web.Response:
    improve = request.app[DESK].assistant.improve
    try:
        change = improve.change(number_in_path(request))
    except ImproveError:
        raise web.HTTPNotFound() from None
    preview = improve.previews.get(change.id)
    if preview and preview.payload != change.payload:
        preview = None  # made before the last edit
    search = request.query.get("articles", "").strip()[:100]
    chosen = [f"{s['law']}#{s['article']}" for s in change.payload.get("sources", [])]
    state_label = request.app[DESK].t(f"desk_status_{change.status}")
    return render(request, "improve_change.html", change=change, state_label=state_label, when=when, preview=preview,
                  topics=improve.topics(),
                  audiences=improve.audiences, search=search, chosen=[(k, improve.article_label(k)) for k in chosen],
                  found=[(k, label) for k, label in (improve.search_articles(search) if search else [])
                         if k not in chosen], entry=improve.engine.kb.faq.get(change.entry_id),
                  refresh=bool(preview and preview.running))


@staff_only
def change_action(request: web.Request) -> web.StreamResponse:
    """save (a draft entry's fields), preview, publish, discard, undo."""
    desk = request.app[DESK]
    improve, actor, data = desk.assistant.improve, request[STAFF].actor, request[FORM]
    change_id, action = number_in_path(request), request.match_info["action"]
    back = f"{HERE}/change/{change_id}"
    try:
        if action == "save":
            improve.edit_entry(change_id, {
                "topic": data.get("topic", ""), "audience": data.getall("audience", []),
                "question": data.get("question", ""), "answer": data.get("answer", ""),
                "paraphrases": str(data.get("paraphrases", "")).splitlines(), "sources": data.getall("source", [])})
            if search := str(data.get("articles", "")).strip():
                return redirect(f"{back}?articles={quote(search)}")
            return tell(request, [Reply(desk.t("desk_change_saved"))], back)
        if action == "preview":
            improve.preview(actor, change_id)
            return redirect(back)
        if action == "publish":
            improve.publish(actor, change_id)
            return tell(request, [Reply(desk.t("desk_change_published"))], HERE)
        if action == "discard":
            improve.discard(actor, change_id)
            return tell(request, [Reply(desk.t("desk_change_discarded"))], HERE)
        if action == "undo":
            improve.undo(actor, change_id)
            return tell(request, [Reply(desk.t("desk_change_undone"))], HERE)
    except ImproveError as exc:
        return _failed(request, exc, back)
    raise web.HTTPNotFound()
