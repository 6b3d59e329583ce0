import json, itertools, sys
from knowledge.config import KnowledgeSettings
from knowledge import engine as E, ranking as R
from knowledge.eval import score
e=E.Engine.open(KnowledgeSettings.from_env())
qs=[json.loads(l) for l in open('../shared/eval/dev.jsonl')]
items=[(fid,p) for fid,row in e.kb.faq.items() for p in row['paraphrases'][:2]]
def loo():
    h=h3=0
    for fid,p in items:
        r=[c.ref for c in e.rank(p, exclude=p)]; h+= fid in r[:1]; h3+=fid in r[:3]
    return round(h/len(items),3), round(h3/len(items),3)
for w in [(0.45,0.2,0.15,0.2),(0.3,0.4,0.1,0.2),(0.2,0.6,0.0,0.2),(0.3,0.3,0.3,0.1),(0.4,0.4,0.2,0.0),(0.2,0.4,0.2,0.2),(0.5,0.3,0,0.2)]:
  for share in [0.3]:
    R.PHRASING_WEIGHTS=w; R.ENTRY_SHARE=share
    t=score(qs,[e.answer(q['q']).as_json() for q in qs])
    print(w, share, t['article@1'], t['article@3'], t.get('fact'), loo(), flush=True)
