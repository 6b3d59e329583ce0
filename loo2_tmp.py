import sys
from knowledge.config import KnowledgeSettings
from knowledge import engine as E
e=E.Engine.open(KnowledgeSettings.from_env())
items=[(fid,p) for fid,row in e.kb.faq.items() for p in row['paraphrases'][:3]]
h1=h3=ans=0
for fid,p in items:
    gold={(s['law'],s['article']) for s in e.kb.faq[fid]['sources'][:2]}
    a=e._search(p, p, exclude=p)
    srcs=[{(s['law'],s['article']) for s in m.sources} for m in a.matches]
    ok1 = a.answered and srcs and bool(srcs[0]&gold)
    ok3 = a.answered and any(s&gold for s in srcs[:3])
    h1+=bool(ok1); h3+=bool(ok3); ans+=a.answered
print(f"LOO article@1 {h1/len(items):.3f} @3 {h3/len(items):.3f} answered {ans/len(items):.3f}")
