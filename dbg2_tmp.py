import json
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
e=Engine.open(KnowledgeSettings.from_env())
qs=[json.loads(l) for l in open('../shared/eval/dev.jsonl')]
off=["推荐一部好看的电影","怎么申请信用卡","明天上海天气怎么样","帮我做一下这道数学题","股票怎么买","周末去哪里玩比较好","红烧肉怎么做","iPhone和华为哪个好","怎么减肥最快","今天星期几","讲个笑话","英语作文怎么写","基金定投靠谱吗","北京到上海的高铁多少钱","你好","谢谢","电脑开不了机怎么办","最近有什么好看的电视剧","怎么学好数学","房贷利率是多少"]
rows=[]
for q in qs:
    if q['kind'] in('article','fact','policy'):
        a=e.answer(q['q']); 
        ok = q['kind']!='article' or (a.matches and {(s['law'],s['article']) for s in a.matches[0].sources} & {(g['law'],g['article']) for g in q['gold']})
        rows.append((round(a.confidence,3),'ON ' + ('ok ' if ok else 'bad'),q['q']))
for q in off:
    r=e.rank(q); rows.append((round(r[0].score,3) if r else 0,'OFF',q))
for r in sorted(rows): print(*r)
