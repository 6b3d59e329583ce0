import json
from knowledge.config import KnowledgeSettings
from knowledge import engine as E, ranking as R
e=E.Engine.open(KnowledgeSettings.from_env())
items=[(fid,p) for fid,row in e.kb.faq.items() for p in row['paraphrases'][:2]]
h=h3=art=0
for fid,p in items:
    r=e.rank(p, exclude=p); f=[c.ref for c in r if c.kind=='faq']
    h+= fid in f[:1]; h3+=fid in f[:3]; art += r[0].kind!='faq'
print(h/len(items), h3/len(items), art/len(items))
