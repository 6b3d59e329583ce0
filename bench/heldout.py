"""Held-out paraphrase probe in sample (python -m bench.heldout): see knowledge.eval.held_out; `python bot.py kb eval --heldout` is the out-of-fold one."""
from knowledge.config import KnowledgeSettings
from knowledge.engine import Engine
from knowledge.eval import held_out

if __name__ == "__main__":
    one, three, n = held_out(Engine.open(KnowledgeSettings.from_env()))
    print(f"held-out paraphrases: @1 {one}/{n} = {100 * one / n:.1f}%, @3 {three}/{n} = {100 * three / n:.1f}%")
