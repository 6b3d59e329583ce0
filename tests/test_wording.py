"""`kb check` proves every message the code says exists in messages.yaml with the placeholders the code fills."""
import re

from knowledge.wording import message_problems
from runtime.settings import REPO


def rewrite(content_dir, key, new_line):
    path = content_dir / "messages.yaml"
    text = path.read_text(encoding="utf-8")
    text, count = re.subn(rf"^{key}:.*$", new_line, text, count=1, flags=re.M)
    assert count == 1
    path.write_text(text, encoding="utf-8")


def test_the_code_and_the_wording_agree():
    assert message_problems(REPO / "content", REPO) == []
    bot_wording = (REPO / "content" / "messages.yaml").read_text(encoding="utf-8")
    assert "\nforbidden:" not in bot_wording  # the web page's own message, from web/messages.yaml


def test_a_missing_message_is_named_with_where_the_code_uses_it(tmp_content):
    rewrite(tmp_content, "session_gone", "")
    problems = message_problems(tmp_content, REPO)
    assert problems and all("缺少 session_gone" in p and "chat/lectures.py:" in p for p in problems)


def test_a_placeholder_the_code_does_not_fill_is_caught(tmp_content):
    rewrite(tmp_content, "dropped", 'dropped: "已取消报名 {ref}，座位 {seat} 已释放。"')
    [problem] = message_problems(tmp_content, REPO)
    assert "dropped" in problem and "{seat}" in problem


def test_a_value_the_message_no_longer_shows_is_caught(tmp_content):
    rewrite(tmp_content, "decided", 'decided: "已处理：{status}"')
    problems = message_problems(tmp_content, REPO)
    assert problems and all("decided" in p and "{ref}" in p for p in problems)
