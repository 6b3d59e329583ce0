import json, random
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
e=Engine.open(KnowledgeSettings.from_env())
random.seed(1)
miss=[]
for fid,row in e.kb.faq.items():
    for p in row['paraphrases'][:2]:
        r=e.rank(p, exclude=p)
        if r[0].ref!=fid: miss.append((p,fid,r[0].kind,r[0].ref,round(r[0].score,2), [c.ref for c in r[:5]].index(fid) if fid in [c.ref for c in r[:5]] else -1))
print(len(miss))
for m in random.sample(miss,30): print(m)
