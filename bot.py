"""普法助手: entry point and command line.

  python bot.py                  Telegram bot when TELEGRAM_BOT_TOKEN is set, otherwise a chat in this terminal
  python bot.py ask [--json] Q   answer one question ("-" reads one question per line from stdin)
  python bot.py kb build|check   compile the knowledge base / prove the curated content right
  python bot.py kb export-changes [--out DIR]   write the desk's published changes as content files
  python bot.py kb eval SET      answer quality in sample and out of fold (--folds K, --heldout)
  python bot.py admin ACTION     staff operations (pending, approve, sessions, export, backup …)
  python bot.py web              the same assistant as a mobile web page (WEB_HOST, WEB_PORT); with WECHAT_TOKEN
                                 also the WeChat Official Account at /wechat
  python bot.py wechat menu      publish the WeChat account's custom menu (content/wechat_menu.yaml)
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from knowledge.config import KnowledgeSettings
from runtime.settings import REPO

logger = logging.getLogger("bot")


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer questions from the command line, as text or as JSON lines."""
    from knowledge.engine import Engine

    settings = KnowledgeSettings.from_env()
    say_if_building(settings)
    engine = Engine.open(settings)
    questions = (line.rstrip("\n") for line in sys.stdin) if args.question == "-" else [args.question]
    try:
        for question in questions:
            answer = engine.answer(question)
            if args.json:
                print(json.dumps(answer.as_json(), ensure_ascii=False), flush=True)
            else:
                print(answer.answer + "\n", flush=True)
    except BrokenPipeError:  # the reader (e.g. `| head`) stopped reading: nothing more to say
        sys.stdout = None
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    """Build or check the knowledge base; errors name file, entry and what is wrong."""
    from knowledge.build import BuildError, build
    from knowledge.check import run_check
    from runtime.yamlfile import ContentError

    settings = KnowledgeSettings.from_env()
    try:
        if args.action == "eval":
            return _kb_eval(settings, args)
        if args.action == "build":
            manifest = build(settings)
            print(f"知识库已生成：{settings.kb_path}（{manifest['seconds']} 秒）")
            for law, meta in manifest["sources"].items():
                print(f"  《{law}》{meta['articles']} 条，{meta['version_date']}，来源 {meta['origin']}")
            print("  " + "，".join(f"{k} {v}" for k, v in manifest["counts"].items()))
            return 0
        if args.action == "export-changes":
            return export_changes(settings, Path(args.out) if args.out else settings.data_dir / "exports" / "content")
        problems, report = run_check(settings, REPO.parent / "shared" / "seed")
    except (ContentError, BuildError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print("\n".join(report))
    if problems:
        print(f"\n发现 {len(problems)} 个问题：", file=sys.stderr)
        print("\n".join(f"  - {p}" for p in problems), file=sys.stderr)
        return 1
    print("\n内容检查通过。")
    return 0


def export_changes(settings: KnowledgeSettings, out: Path) -> int:
    """Write the desk's published changes as content files, for review and a commit upstream."""
    from knowledge.overlay import export_changes as write, load_overlay

    written = write(settings.content_dir, load_overlay(settings.overlay_dir), out)
    if not written:
        print("工作台没有已发布的修改。")
        return 0
    print(f"已写出 {len(written)} 个内容文件（与 content/ 同样的格式和位置）：")
    print("\n".join(f"  {path}" for path in written))
    print(f"审阅后复制到 content/ 即可：cp -r {out}/* {settings.content_dir}/ && python bot.py kb check")
    return 0


def _kb_eval(settings: KnowledgeSettings, args: argparse.Namespace) -> int:
    """Print every metric of score.py in sample and out of fold."""
    from knowledge.engine import Engine
    from knowledge.eval import report

    if args.questions is None and not args.heldout:
        print("错误：请给出问题集（如 ../shared/eval/real-dev.jsonl），或加 --heldout", file=sys.stderr)
        return 2
    if args.questions is not None and not args.questions.is_file():
        print(f"错误：找不到问题集 {args.questions}", file=sys.stderr)
        return 2
    if args.folds < 2:
        print("错误：--folds 至少为 2", file=sys.stderr)
        return 2
    try:
        lines = report(Engine.open(settings), settings, args.questions, args.folds, args.heldout)
    except (ValueError, KeyError) as exc:  # a line that is not JSON, or a question without q / kind / gold
        print(f"错误：问题集格式不对（每行一个 JSON 对象，含 id、q、kind 等字段）：{exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the Telegram bot when a token is configured, else the terminal chat."""
    from chat import console
    from handlers.settings import TelegramSettings
    from runtime.settings import SettingsError

    settings = KnowledgeSettings.from_env()
    if not os.environ.get("TELEGRAM_BOT_TOKEN", "").strip():
        assistant = open_assistant(settings, admins=("cli:local",))
        try:
            return console.run(assistant)
        except KeyboardInterrupt:
            return 0
        finally:
            assistant.close()
    try:
        telegram = TelegramSettings.from_env()
    except SettingsError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    from handlers.app import build_application, run

    logging.getLogger().setLevel(logging.INFO)
    assistant = open_assistant(settings, admins=telegram.admin_keys)
    assistant.ctx.mail = mail_configured()  # e-mails are queued here and sent by `python bot.py web`
    run(build_application(telegram, assistant), telegram)
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    """Serve the same assistant as a mobile web page (works in WeChat's built-in browser)."""
    from handlers.settings import admin_keys_from_env
    from mail import MailSender, MailSettings
    from runtime.settings import SettingsError
    from web.app import WebSettings, run_web
    from wechat.settings import WeChatSettings

    try:
        web_settings = WebSettings.from_env()
        admins = admin_keys_from_env()
        wechat = WeChatSettings.from_env()  # None unless WECHAT_TOKEN is set
        mail = MailSettings.from_env()      # None unless SMTP_HOST is set
    except SettingsError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    logging.getLogger().setLevel(logging.INFO)  # access lines: method, path, status, duration only
    if not admins and os.environ.get("TELEGRAM_ADMIN_IDS", "").strip():
        logger.warning("TELEGRAM_ADMIN_IDS is set but TELEGRAM_BOT_TOKEN is not: Telegram staff get no alerts of "
                       "new bookings (staff see them on the desk, by e-mail, or with `python bot.py admin pending`)")
    assistant = open_assistant(KnowledgeSettings.from_env(), admins=admins)
    assistant.ctx.mail = mail is not None
    sender = MailSender(assistant, mail) if mail is not None else None
    if sender is not None:
        logger.info("e-mail through %s:%s (%s)", mail.host, mail.port, mail.tls)
    mount = None
    if wechat is not None:  # the WeChat Official Account answers at /wechat on the same server
        from wechat.channel import WeChatChannel

        mount = WeChatChannel(assistant, wechat).mount
        logger.info("WeChat account %s on /wechat (%s)", wechat.app_id, "安全模式" if wechat.safe_mode else "明文模式")
    run_web(assistant, web_settings, mount, background=(sender.run,) if sender else (),
            mail_on=lambda: sender is not None, mail_problems=sender.problems if sender else lambda: [])
    return 0


def cmd_wechat(args: argparse.Namespace) -> int:
    """Publish the WeChat account's custom menu (content/wechat_menu.yaml) through WeChat's API."""
    import asyncio

    import aiohttp

    from runtime.settings import SettingsError
    from wechat.menu import load_menu
    from wechat.settings import WeChatSettings

    try:
        wechat = WeChatSettings.from_env()
    except SettingsError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    if wechat is None:
        print("配置错误：没有设置 WECHAT_TOKEN 等公众号配置，见 README「微信公众号」。", file=sys.stderr)
        return 2
    menu = load_menu(KnowledgeSettings.from_env().content_dir, wechat.public_url)
    if args.dry_run:
        print(json.dumps(menu, ensure_ascii=False, indent=2))
        return 0
    from wechat.api import WeChatApi, WeChatApiError

    async def publish() -> None:
        api = WeChatApi(wechat.api_base_url, wechat.app_id, wechat.app_secret)
        try:
            await api.create_menu(menu)
        finally:
            await api.close()

    try:
        asyncio.run(publish())
    except WeChatApiError as exc:
        print(f"发布失败：{exc}", file=sys.stderr)
        return 1
    except (OSError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
        print(f"发布失败：连不上微信接口（{type(exc).__name__}）。", file=sys.stderr)
        return 1
    print(f"公众号菜单已发布：{len(menu['button'])} 个一级菜单，"
          f"{sum(len(b['sub_button']) for b in menu['button'])} 个子菜单。用户重新进入公众号后（约 5 分钟内）可见。")
    return 0


def signup_limits():
    """SIGNUP_*: caps against seat hoarding (booking.limits)."""
    from booking import SignupLimits
    from runtime.settings import SettingsError

    try:
        return SignupLimits.from_env()
    except SettingsError as exc:
        raise SystemExit(f"配置错误：{exc}") from exc


def mail_configured() -> bool:
    """SMTP_HOST is set (and the mail settings are right): messages are also queued as e-mails."""
    from mail import MailSettings
    from runtime.settings import SettingsError

    try:
        return MailSettings.from_env() is not None
    except SettingsError as exc:
        raise SystemExit(f"配置错误：{exc}") from exc


def say_if_building(settings: KnowledgeSettings) -> None:
    """A first run (or changed content) builds the knowledge base for 15-30 s: say so instead of staying silent."""
    from knowledge.content import load_messages
    from knowledge.manifest import read_manifest, source_fingerprint

    manifest = read_manifest(settings.kb_path)
    if not manifest or manifest.get("fingerprint") != source_fingerprint(settings):
        print(load_messages(settings.content_dir)["first_run_building"].strip(), file=sys.stderr, flush=True)


def open_assistant(settings: KnowledgeSettings, admins: tuple[str, ...] = ()):
    """The Assistant over the data folder, with DATA_RETENTION_DAYS, QUESTION_RETENTION_DAYS and SIGNUP_*."""
    from chat.assistant import Assistant
    from runtime.settings import (SettingsError, environment, question_retention_days, retention_days,
                                  web_public_url)

    say_if_building(settings)
    try:
        days, question_days = retention_days(), question_retention_days()
        public = environment().get("WEB_PUBLIC_URL") and web_public_url()
    except SettingsError as exc:
        raise SystemExit(f"配置错误：{exc}") from exc
    assistant = Assistant.open(settings, admins=admins, retention_days=days, question_days=question_days,
                               limits=signup_limits())
    assistant.engine.follow()  # take up what the web desk publishes, in whichever process this is
    if public:  # whatever channel runs, a guardian can consent on the web page
        assistant.offer_link("网页", public + "/?start={payload}")
    assistant.ctx.wechat_name = environment().get("WECHAT_ACCOUNT_NAME", "")
    return assistant


def cmd_admin(args: argparse.Namespace) -> int:
    """Staff operations from the command line, through the same flows as in Telegram."""
    from chat.admin_cli import run_admin

    settings = KnowledgeSettings.from_env()
    assistant = open_assistant(settings)
    assistant.ctx.mail = mail_configured()  # decisions made here are mailed by the running web server
    try:
        return run_admin(assistant, args, settings.data_dir)
    finally:
        assistant.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bot.py", description="浦东新区未成年人保护普法助手")
    sub = parser.add_subparsers(dest="command")
    ask = sub.add_parser("ask", help="回答一个问题")
    ask.add_argument("--json", action="store_true", help="输出 JSON")
    ask.add_argument("question", help="问题；- 表示从标准输入逐行读取")
    ask.set_defaults(func=cmd_ask)
    kb = sub.add_parser("kb", help="知识库：build 生成，check 核对内容，eval 样本内与交叉验证（out-of-fold）的答题质量，export-changes 导出工作台的修改")
    kb.add_argument("action", choices=["build", "check", "eval", "export-changes"])
    kb.add_argument("questions", nargs="?", type=Path, help="eval：问题集（JSON Lines，如 ../shared/eval/real-dev.jsonl）")
    kb.add_argument("--folds", type=int, default=5, help="eval：交叉验证的折数（默认 5）")
    kb.add_argument("--heldout", action="store_true", help="eval：另测留出的改写问法（每次留出的问法不参与训练）")
    kb.add_argument("--out", help="export-changes 写到哪个文件夹（默认 data/exports/content）")
    kb.set_defaults(func=cmd_kb)

    web = sub.add_parser("web", help="网页版聊天（可在微信内置浏览器中使用）")
    web.set_defaults(func=cmd_web)
    wechat = sub.add_parser("wechat", help="微信公众号：menu 发布自定义菜单（content/wechat_menu.yaml）")
    wechat.add_argument("action", choices=["menu"])
    wechat.add_argument("--dry-run", action="store_true", help="只显示菜单 JSON，不发布")
    wechat.set_defaults(func=cmd_wechat)
    admin = sub.add_parser("admin", help="工作人员操作：审核预约、管理讲座、统计、导出、备份")
    if "admin" in (sys.argv[1:] if argv is None else argv):  # its options import booking: not on every start
        from chat.admin_cli import add_arguments

        add_arguments(admin)
    admin.set_defaults(func=cmd_admin)
    args = parser.parse_args(argv)
    os.umask(0o077)  # every file and folder the service creates (databases, logs, exports, backups) is private
    from runtime.logs import configure_logging

    configure_logging(logging.WARNING)
    from knowledge.manifest import BuildError
    from runtime.yamlfile import ContentError

    try:
        return (getattr(args, "func", None) or cmd_run)(args)
    except (ContentError, BuildError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
