import json, itertools, sys
from knowledge.config import KnowledgeSettings
from knowledge import engine as E, ranking as R
from knowledge.eval import score
e=E.Engine.open(KnowledgeSettings.from_env())
qs=[json.loads(l) for l in open('../shared/eval/dev.jsonl')]
items=[(fid,p) for fid,row in e.kb.faq.items() for p in row['paraphrases'][:3]]
def loo():
    h1=h3=0
    for fid,p in items:
        gold={(s['law'],s['article']) for s in e.kb.faq[fid]['sources'][:2]}
        a=e._search(p, p, exclude=p)
        srcs=[{(s['law'],s['article']) for s in m.sources} for m in a.matches]
        h1+=bool(a.answered and srcs and srcs[0]&gold); h3+=bool(a.answered and any(s&gold for s in srcs[:3]))
    return round(h1/len(items),3), round(h3/len(items),3)
def run(**kw):
    for k,v in kw.items():
        mod = R if hasattr(R,k) else E
        setattr(mod,k,v)
    t=score(qs,[e.answer(q['q']).as_json() for q in qs])
    print(kw, t['article@1'], t['article@3'], t.get('fact'), loo(), flush=True)
base=dict(ENTRY_SHARE=0.3, EXPANSION_WEIGHT=0.5, FAQ_PREFERENCE=0.25, FAQ_ACCEPT=0.45)
for change in [{"EXPANSION_WEIGHT":0.7,"ENTRY_SHARE":0.45}, {"EXPANSION_WEIGHT":0.85,"ENTRY_SHARE":0.45}, {"EXPANSION_WEIGHT":0.7,"ENTRY_SHARE":0.6}, {"EXPANSION_WEIGHT":0.6,"ENTRY_SHARE":0.5}]:
    run(**{**base, **change})
