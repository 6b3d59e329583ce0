"""What the engine returns: an answer with its matches, as JSON and as the text a user reads."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Match:
    kind: str  # faq | article | digest | policy
    id: str
    title: str
    text: str
    score: float
    sources: list[dict]  # statute articles only
    documents: list[dict] = field(default_factory=list)  # normative documents a FAQ entry cites (by name)


@dataclass
class Answer:
    question: str
    answered: bool
    emergency: bool
    answer: str
    matches: list[Match]
    status: str  # faq | article | lookup | policy | intent | unsure | offtopic | empty | emergency
    suggestions: list[Match] = field(default_factory=list)  # related questions or nearest topics to offer
    confidence: float = 0.0
    intent: str = ""        # a flow the reply offers instead of law: hotline | my | lectures | book | privacy
    calls: list[str] = field(default_factory=list)  # numbers to offer as tap-to-call, most urgent first

    def as_json(self) -> dict:
        """The stable command-line contract: question, answered, emergency, answer, matches."""
        return {"question": self.question, "answered": self.answered, "emergency": self.emergency,
                "answer": self.answer, "matches": [asdict(m) for m in self.matches]}

    @property
    def cited(self) -> list[dict]:
        """Every article this answer rests on, best match first, without repeats."""
        seen, result = set(), []
        for match in self.matches[:1] if self.status != "lookup" else self.matches:
            for source in match.sources:
                key = (source["law"], source["article"], source.get("suffix", ""))
                if key not in seen:
                    seen.add(key)
                    result.append(source)
        return result
