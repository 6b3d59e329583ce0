"""The command-line contract that evaluation relies on."""
import json
import os
import subprocess
import sys

from runtime.settings import REPO


def run(args, stdin="", data_dir=None):
    env = {**os.environ, "KB_DATA_DIR": str(data_dir)} if data_dir else dict(os.environ)
    return subprocess.run([sys.executable, "bot.py", *args], input=stdin, capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=120)


def test_ask_json_stdin_keeps_order_in_one_process(kb_settings):
    questions = ["未保法第75条", "推荐一部好看的电影", "", "学校可以开除初中生吗"]
    result = run(["ask", "--json", "-"], "\n".join(questions) + "\n", kb_settings.data_dir)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions
    assert lines[0]["answered"] and not lines[1]["answered"]


def test_ask_plain_text(kb_settings):
    result = run(["ask", "未保法第75条"], data_dir=kb_settings.data_dir)
    assert result.returncode == 0 and "第七十五条" in result.stdout


def test_terminal_chat_without_token(kb_settings):
    env_input = "孩子在学校被欺负怎么办\n/hotline\nexit\n"
    result = run([], env_input, kb_settings.data_dir)
    assert result.returncode == 0, result.stderr
    assert "普法助手" in result.stdout and "12355" in result.stdout


def test_kb_check_exit_code_reports_problems(tmp_path, tmp_content):
    (tmp_content / "faq" / "broken.yaml").write_text("version: 1\ntopic: x\nentries: [{id: Bad Id}]\n", encoding="utf-8")
    env = {**os.environ, "KB_CONTENT_DIR": str(tmp_content), "KB_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "bot.py", "kb", "check"], capture_output=True, text=True, cwd=REPO,
                            env=env, timeout=120)
    assert result.returncode == 1
    assert "broken.yaml" in result.stderr and "id" in result.stderr


def test_a_first_run_says_it_is_building_and_a_second_is_quiet(tmp_path):
    first = run(["ask", "未保法第75条"], data_dir=tmp_path)
    assert first.returncode == 0 and "正在生成知识库" in first.stderr and "第七十五条" in first.stdout
    second = run(["ask", "未保法第75条"], data_dir=tmp_path)
    assert second.returncode == 0 and "正在生成知识库" not in second.stderr
