import json, itertools, sys
from knowledge.config import KnowledgeSettings
from knowledge import engine as E, ranking as R
from knowledge.eval import score
e=E.Engine.open(KnowledgeSettings.from_env())
qs=[json.loads(l) for l in open('../shared/eval/dev.jsonl')]
def loo():
    h=h3=t=0
    for fid,row in e.kb.faq.items():
        for p in row['paraphrases'][:2]:
            r=[c.ref for c in e.rank(p, exclude=p)]; h+= fid in r[:1]; h3+=fid in r[:3]; t+=1
    return round(h/t,3), round(h3/t,3)
for share in [float(x) for x in sys.argv[1:]]:
    R.ENTRY_SHARE=share
    t=score(qs,[e.answer(q['q']).as_json() for q in qs])
    print(share, t['article@1'], t['article@3'], t.get('fact'), loo())
