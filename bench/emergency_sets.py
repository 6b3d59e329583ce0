"""Emergency precision on the blind sets in tests/data: python -m bench.emergency_sets [-v]."""
import sys
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
e=Engine.open(KnowledgeSettings.from_env())
now=[l.strip() for l in open('tests/data/emergency_now.txt') if l.strip()]
legal=[l.strip() for l in open('tests/data/legal_not_emergency.txt') if l.strip()]
miss=[q for q in now if not e.answer(q).emergency]
fa=[q for q in legal if e.answer(q).emergency]
print(f"now: {len(now)-len(miss)}/{len(now)} alarm; legal: {len(fa)}/{len(legal)} false alarms")
if '-v' in sys.argv:
    print("MISSED:"); [print("  ",q) for q in miss]
    print("FALSE:"); [print("  ",q) for q in fa]
