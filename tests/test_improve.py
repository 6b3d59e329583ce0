"""The desk's improve loop in the domain: the overlay, the same proofs as content, preview, publish, swap, undo."""
from __future__ import annotations

import shutil
import threading

import pytest

from chat.improve import ImproveError
from chat.types import Event
from knowledge.build import _article_rows, _docs, gather
from knowledge.check import change_problems
from knowledge.content import load_content
from knowledge.engine import Engine
from knowledge.live import LiveEngine
from knowledge.overlay import Overlay, export_changes, load_overlay, save_overlay
from tests.chat_fixtures import make_assistant
from tests.conftest import make_settings

QUESTION = "同桌用圆规扎我手臂"
ENTRY = "school-bullying-definition"
ANSWER = ("《未成年人保护法》第二十条规定，未成年人的父母或者其他监护人发现未成年人身心健康受到侵害、疑似受到侵害或者"
          "其他危害情形的，应当及时了解情况并采取保护措施；情况严重的，应当立即向公安、民政、教育等部门报告。"
          "家长发现孩子在学校被同学伤害，应当先问清情况、保留伤情照片和就诊记录，再与学校沟通。")
NEW_ENTRY = {"id": "desk-test", "topic": "学校保护", "audience": ["家长"], "question": "同学用圆规扎伤了孩子怎么办",
             "paraphrases": ["同桌拿圆规扎我家孩子", "孩子被同学用文具弄伤了", "同学用笔尖扎伤孩子家长该做什么"],
             "answer": ANSWER, "sources": [{"law": "中华人民共和国未成年人保护法", "article": 20}]}


@pytest.fixture
def settings(engine, kb_settings, tmp_path):
    """A private data folder that starts from the session's built knowledge base (no rebuild to open it)."""
    data = tmp_path / "kb"
    shutil.copytree(kb_settings.data_dir, data, ignore=shutil.ignore_patterns("desk-content"))
    return make_settings(data)


@pytest.fixture
def office(settings, tmp_path):
    assistant = make_assistant(LiveEngine(Engine.open(settings)), tmp_path / "chat")
    yield assistant
    assistant.close()


def asked(assistant, text: str) -> int:
    assistant.handle(Event(user="tg:5", text=text))
    return assistant.state.to_improve(1)[0]["id"]


def test_the_overlay_merges_in_id_order_and_exports_as_content(settings, tmp_content, tmp_path):
    overlay = Overlay({NEW_ENTRY["id"]: NEW_ENTRY}, {ENTRY: [QUESTION]})
    shuffled = Overlay({NEW_ENTRY["id"]: dict(reversed(list(NEW_ENTRY.items())))}, {ENTRY: [QUESTION]})
    save_overlay(settings.overlay_dir, shuffled)
    assert load_overlay(settings.overlay_dir).as_yaml() == overlay.as_yaml()  # the same changes, the same bytes
    merged = gather(settings).content
    faq = {e.id: e for e in merged.faq}
    assert QUESTION in faq[ENTRY].paraphrases and faq["desk-test"].answer == ANSWER
    first = _docs(gather(settings), _article_rows(gather(settings)))
    assert first == _docs(gather(settings), _article_rows(gather(settings)))  # the same documents, in order

    written = export_changes(settings.content_dir, load_overlay(settings.overlay_dir), tmp_path / "out")
    assert sorted(p.name for p in written) == ["school.yaml"]
    for path in written:
        shutil.copy(path, tmp_content / "faq" / path.name)
    upstream = {e.id: e for e in load_content(tmp_content).faq}
    for entry_id in (ENTRY, "desk-test"):
        ours, theirs = faq[entry_id], upstream[entry_id]
        assert (ours.question, ours.paraphrases, ours.answer, ours.sources, ours.audience, ours.topic) == \
            (theirs.question, theirs.paraphrases, theirs.answer, theirs.sources, theirs.audience, theirs.topic)
    # once committed upstream, the overlay adds nothing twice
    again = {e.id: e for e in gather(make_settings(settings.data_dir, tmp_content)).content.faq}
    assert again[ENTRY].paraphrases == upstream[ENTRY].paraphrases


def test_a_desk_change_meets_the_same_proofs_as_content(settings):
    assert change_problems(settings, Overlay({"desk-test": NEW_ENTRY})) == []
    missing = {**NEW_ENTRY, "sources": [{"law": "中华人民共和国未成年人保护法", "article": 999}]}
    [problem] = change_problems(settings, Overlay({"desk-test": missing}))
    assert "第九百九十九条" in problem and "不存在" in problem
    softened = {**NEW_ENTRY, "answer": ANSWER.replace("应当及时了解情况", "可以了解情况")}
    assert any("不能写成可以" in p for p in change_problems(settings, Overlay({"desk-test": softened})))
    number = {**NEW_ENTRY, "answer": ANSWER + "三日内必须报告。"}
    assert any("数字" in p and "3" in p for p in change_problems(settings, Overlay({"desk-test": number})))
    short = {**NEW_ENTRY, "answer": "太短了。"}
    assert any("回答长度" in p for p in change_problems(settings, Overlay({"desk-test": short})))
    taken = Overlay({}, {"school-bullying-school-duty": ["打闹和欺凌到底怎么区分"]})  # another entry's phrasing
    assert any("重复" in p for p in change_problems(settings, taken))


def test_attach_preview_publish_swap_and_undo(office, settings):
    improve = office.improve
    before = office.engine.answer(QUESTION)
    assert not before.answered
    question_id = asked(office, QUESTION)
    change_id = improve.attach("staff:王丽", question_id, ENTRY)
    with pytest.raises(ImproveError, match="预览"):
        improve.publish("staff:王丽", change_id)       # its own author, before a preview
    preview = improve.preview("staff:王丽", change_id)
    for _ in range(600):
        if not preview.running:
            break
        threading.Event().wait(0.2)
    assert not preview.error and not preview.problems
    first = preview.lines[0]
    assert first.question == QUESTION and first.changed and ENTRY in first.after and ENTRY not in first.before
    assert len(preview.lines) >= 4
    assert not office.engine.answer(QUESTION).answered      # previewing changes nothing live

    old = office.engine.current
    answers, stop = [], threading.Event()

    def keep_asking():
        while not stop.is_set():
            answers.append(office.engine.answer(QUESTION))
    asker = threading.Thread(target=keep_asking)
    asker.start()
    improve.publish("staff:王丽", change_id)
    assert office.engine.wait(300) and not office.engine.status.error
    stop.set()
    asker.join()
    assert office.engine.current is not old
    now = office.engine.answer(QUESTION)
    assert now.answered and now.matches[0].id == ENTRY
    assert answers and all(a.answer for a in answers)          # every question during the swap got a reply
    [logged] = improve.log()
    assert logged.published_by == "staff:王丽" and logged.before and QUESTION in logged.after["paraphrases"]
    assert QUESTION not in logged.before["paraphrases"]
    with pytest.raises(ImproveError):
        improve.publish("staff:李明", change_id)             # published once

    improve.undo("staff:李明", change_id)
    assert office.engine.wait(300) and not office.engine.status.error
    assert not office.engine.answer(QUESTION).answered
    assert improve.log()[0].undone_by == "staff:李明"
    assert not load_overlay(settings.overlay_dir).phrasings.get(ENTRY)


def test_a_draft_citing_a_missing_article_cannot_be_published(office):
    improve = office.improve
    change_id = improve.new_entry("staff:王丽", asked(office, QUESTION))
    draft = improve.change(change_id)
    assert draft.payload["question"] == QUESTION and draft.entry_id.startswith("desk-")
    improve.edit_entry(change_id, {**NEW_ENTRY, "sources": ["中华人民共和国未成年人保护法#999"]})
    with pytest.raises(ImproveError, match="第九百九十九条"):
        improve.publish("staff:李明", change_id)
    assert improve.change(change_id).status == "draft"
    assert not office.engine.status.running
    improve.edit_entry(change_id, {**NEW_ENTRY, "answer": "", "sources": []})
    with pytest.raises(ImproveError, match="缺少字段 回答"):
        improve.publish("staff:李明", change_id)


def test_not_handled_needs_a_reason_and_declined_questions_are_listed(office):
    question_id = asked(office, "明天浦东下雨吗")
    assert [i.id for i in office.office.to_improve()] == [question_id]
    assert office.office.to_improve()[0].why == office.texts("improve_declined")
    with pytest.raises(ImproveError, match="原因"):
        office.improve.dismiss("staff:王丽", [question_id], "  ")
    assert office.improve.dismiss("staff:王丽", [question_id], "与未成年人保护无关") == 1
    assert office.office.to_improve() == []


def test_search_finds_entries_and_articles(office):
    assert office.improve.search_entries("孩子被同学起外号")[0][0].startswith("school-bullying")
    key, label = office.improve.search_articles("未保法第20条")[0]
    assert key == "中华人民共和国未成年人保护法#20" and label.startswith("《未成年人保护法》第二十条")


def test_kb_export_changes_writes_content_files(settings, monkeypatch, tmp_path, capsys):
    import bot

    monkeypatch.setenv("KB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KB_STATUTES_DIR", str(settings.statutes_dir or ""))
    assert bot.main(["kb", "export-changes", "--out", str(tmp_path / "out")]) == 0
    assert "没有已发布的修改" in capsys.readouterr().out
    save_overlay(settings.overlay_dir, Overlay({}, {ENTRY: [QUESTION]}))
    assert bot.main(["kb", "export-changes", "--out", str(tmp_path / "out")]) == 0
    assert "school.yaml" in capsys.readouterr().out
    assert f"      - {QUESTION}" in (tmp_path / "out" / "faq" / "school.yaml").read_text(encoding="utf-8")


def test_another_process_takes_up_what_the_desk_published(settings):
    follower = LiveEngine(Engine.open(settings))
    assert not follower.built_elsewhere()
    save_overlay(settings.overlay_dir, Overlay({}, {ENTRY: [QUESTION]}))
    assert not follower.built_elsewhere()           # not built yet: nothing to take up (and no build here)
    publisher = LiveEngine(Engine.open(settings))   # the publishing process builds
    assert publisher.answer(QUESTION).matches[0].id == ENTRY
    assert follower.built_elsewhere()
    follower.follow(every=0.1)
    try:
        for _ in range(300):
            if not follower.built_elsewhere() and follower.answer(QUESTION).answered:
                break
            threading.Event().wait(0.1)
        assert follower.answer(QUESTION).matches[0].id == ENTRY
    finally:
        follower.stop()


def test_content_plus_desk_changes_builds_what_the_exported_content_builds(settings, tmp_content, tmp_path):
    import sqlite3

    from knowledge.build import build

    save_overlay(settings.overlay_dir, Overlay({NEW_ENTRY["id"]: NEW_ENTRY}, {ENTRY: [QUESTION]}))
    build(settings)
    for path in export_changes(settings.content_dir, load_overlay(settings.overlay_dir), tmp_path / "out"):
        shutil.copy(path, tmp_content / "faq" / path.name)
    upstream = make_settings(tmp_path / "upstream", tmp_content)
    build(upstream)

    def tables(path):
        with sqlite3.connect(path) as db:
            return [db.execute(f"select * from {name} order by 1").fetchall()
                    for name in ("faq", "docs", "articles", "search_index", "vocabulary")]
    assert tables(settings.kb_path) == tables(upstream.kb_path)
