"""One table of settings (runtime.settings.SETTINGS) is the source of README's configuration and .env.example."""
import re

from runtime.settings import REPO, SETTINGS, env_example, readme_table

NAME = re.compile(r"""["']((?:TELEGRAM|WEB|KB|RATE|DATA|WECHAT|SMTP|SIGNUP|QUESTION)_[A-Z_]+)["']""")


def code_files():
    for folder in ("runtime", "knowledge", "booking", "chat", "handlers", "web", "wechat", "mail"):
        yield from (REPO / folder).rglob("*.py")
    yield REPO / "bot.py"


def test_readme_shows_the_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme, "README's configuration table differs: python -m runtime.settings readme"


def test_env_example_lists_every_setting():
    assert (REPO / ".env.example").read_text(encoding="utf-8") == env_example(), \
        "regenerate: python -m runtime.settings env > .env.example"


def test_the_table_holds_exactly_the_variables_the_code_reads():
    read = {name for path in code_files() for name in NAME.findall(path.read_text(encoding="utf-8"))}
    listed = {s.name for s in SETTINGS}
    assert len(listed) == len(SETTINGS)
    assert read == listed, f"read but not documented: {read - listed}; documented but never read: {listed - read}"
