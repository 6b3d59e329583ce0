"""Signs up users in a burst and prints each reference the moment the user is told it (test_crash kills it)."""
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

from chat.context import SHANGHAI
from chat.types import Event
from tests.chat_fixtures import make_assistant


def main(data_dir: str, kb_dir: str) -> None:
    from knowledge.engine import Engine
    from tests.conftest import make_settings

    engine = Engine.open(make_settings(Path(kb_dir)))
    bot = make_assistant(engine, Path(data_dir))
    now = datetime.now(SHANGHAI)
    session = bot.desk.lectures.create_session("family-education", "", now + timedelta(days=5),
                                               now + timedelta(days=5, hours=1), "浦东图书馆", "花木", "家长", 2000,
                                               now + timedelta(days=4), "tg:9", now=now)
    print("READY", flush=True)
    for n in range(100000):
        user = f"tg:{1000 + n}"
        for event in (Event(user=user, button=f"privacy:agree:lec:join:{session.id}"), Event(user=user, text="测试" + chr(0x4E00 + n // 1000) + chr(0x4E00 + n % 1000)),
                      Event(user=user, button="lec:pick:role:0"), Event(user=user, text=f"139{n:08d}"),
                      Event(user=user, text="1")):
            bot.handle(event)
        reply = bot.handle(Event(user=user, button="lec:ok"))[0].text
        ref = re.search(r"JZ-\d{4}-\d{4}", reply)
        if ref:
            print(ref.group(0), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
