import json
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
e=Engine.open(KnowledgeSettings.from_env())
qs=[json.loads(l) for l in open('../shared/eval/dev.jsonl')]
on=[]
for q in qs:
    if q['kind']=='article':
        a=e.answer(q['q']); ok=a.matches and {(s['law'],s['article']) for s in a.matches[0].sources} & {(g['law'],g['article']) for g in q['gold']}
        on.append((round(a.confidence,2),'ok' if ok else 'BAD',q['q'][:30]))
print(sorted(on)[:15])
real=[l.strip() for l in open('../shared/eval/real-questions-unlabelled.txt') if l.strip()]
for q in real[:60]:
    a=e.answer(q); m=a.matches[0] if a.matches else None
    print(round(a.confidence,2), a.status[:4], q[:34], '=>', m.title[:28] if m else '')
