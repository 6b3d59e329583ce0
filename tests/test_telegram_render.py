"""Reply -> Telegram calls, in process: HTML escaping, keyboards, splitting at 4096 and attachments."""
from __future__ import annotations

import pytest

from chat.types import Attachment, Button, Reply
from handlers.render import MAX_TEXT, render, split_text, units


def test_short_text_is_one_escaped_message():
    [call] = render(Reply("<未成年人> & 家长"))
    assert call.kind == "text" and call.kwargs == {"text": "&lt;未成年人&gt; &amp; 家长"}


def test_buttons_become_an_inline_keyboard_with_the_same_rows():
    [call] = render(Reply("选择：", [[Button("甲", "a:1"), Button("乙", "a:2")], [], [Button("丙", "a:3")]]))
    rows = call.kwargs["reply_markup"].inline_keyboard
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [[("甲", "a:1"), ("乙", "a:2")], [("丙", "a:3")]]


def test_long_text_splits_at_blank_lines_first():
    paragraphs = ["甲" * 3000, "乙" * 3000, "丙" * 1000]
    parts = split_text("\n\n".join(paragraphs))
    assert parts == ["甲" * 3000, "乙" * 3000 + "\n\n" + "丙" * 1000]


def test_a_paragraph_too_long_for_one_message_splits_at_line_ends():
    lines = [f"{i:02d}" + "条" * 498 for i in range(20)]  # 20 lines of 500 characters, no blank line
    parts = split_text("\n".join(lines))
    assert all(units(p) <= MAX_TEXT for p in parts) and len(parts) == 3
    assert "\n".join(parts) == "\n".join(lines)
    assert all(p.split("\n")[0][:2].isdigit() for p in parts)  # every part starts at the beginning of a line


def test_a_single_huge_line_is_cut_hard_without_breaking_emoji():
    text = "😀" * 5000  # each emoji is 2 UTF-16 units, as Telegram counts
    parts = split_text(text)
    assert "".join(parts) == text and all(units(p) <= MAX_TEXT for p in parts) and len(parts) == 3


@pytest.mark.parametrize("size", [MAX_TEXT - 1, MAX_TEXT])
def test_text_at_the_limit_stays_whole(size):
    assert split_text("字" * size) == ["字" * size]


def test_buttons_only_on_the_last_part():
    calls = render(Reply("\n\n".join(["段" * 4000] * 3), [[Button("下一页", "law:0:c0:p2")]]))
    assert [("reply_markup" in c.kwargs) for c in calls] == [False, False, True]


def test_escaping_does_not_count_against_the_limit():
    # Telegram counts the text after entity parsing: 4096 '<' are fine in one message
    [call] = render(Reply("<" * MAX_TEXT))
    assert call.kwargs["text"] == "&lt;" * MAX_TEXT


def test_blank_text_sends_nothing_but_an_attachment_still_goes():
    assert render(Reply("  \n")) == []
    [doc] = render(Reply("", [[Button("好", "x:1")]], attachment=Attachment("a.csv", b"1,2\n", "text/csv")))
    assert doc.kind == "document" and doc.kwargs["document"].filename == "a.csv"
    assert doc.kwargs["reply_markup"].inline_keyboard[0][0].callback_data == "x:1"


def test_attachment_follows_the_text_and_buttons_go_on_the_document():
    calls = render(Reply("导出完成", [[Button("好", "x:1")]], attachment=Attachment("a.csv", b"1,2\n")))
    assert [c.kind for c in calls] == ["text", "document"]
    assert "reply_markup" not in calls[0].kwargs and "reply_markup" in calls[1].kwargs
