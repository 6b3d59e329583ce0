"""Crisis-reply recall and false alarms on the emergency sets: python -m bench.emergency_sets [-v].

content/danger holds the set the tests enforce (the learned model trains on it); bench/data holds sets written blind to
the rules by other people. The rules were tuned with content/danger and set b; set c (when present) is only measured:
read its numbers, never its misses. Each line shows the rules with the learned model, and the rules alone."""
import sys
from pathlib import Path

from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
SETS = {"content/danger (tuned, and the model trains on it)": ("content/danger/now.txt", "content/danger/not_now.txt"),
        "bench/data set b (seen while tuning)": ("bench/data/emergency_now_b.txt", "bench/data/legal_not_emergency_b.txt"),
        "bench/data set c (blind)": ("bench/data/emergency_now_c.txt", "bench/data/legal_not_emergency_c.txt")}


def lines(path: str) -> list[str]:
    return [line.strip() for line in (ROOT / path).read_text(encoding="utf-8").splitlines() if line.strip()]


def main(verbose: bool) -> None:
    engine = Engine.open(KnowledgeSettings.from_env())
    model = engine.danger.model
    if model is not None:
        print("learned model, out of fold on its training data:", model.report["out_of_fold"])
    for name, (now_file, legal_file) in SETS.items():
        now, legal = lines(now_file), lines(legal_file)
        engine.danger.model = None
        rules = (sum(engine.answer(q).emergency for q in now), sum(engine.answer(q).emergency for q in legal))
        engine.danger.model = model
        missed = [q for q in now if not engine.answer(q).emergency]
        alarmed = [q for q in legal if engine.answer(q).emergency]
        print(f"{name}: danger now {len(now) - len(missed)}/{len(now)} get crisis help; "
              f"legal questions {len(alarmed)}/{len(legal)} alarmed (rules alone: {rules[0]}/{len(now)}, "
              f"{rules[1]}/{len(legal)})")
        if verbose and "blind" not in name:
            print("  missed:", *missed, sep="\n    ")
            print("  false alarms:", *alarmed, sep="\n    ")


if __name__ == "__main__":
    main("-v" in sys.argv)
