"""Recognise article references typed any common way: 未保法第75条, 《上海条例》七十三条, 预防法 59."""
from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.numerals import CN_NUMBER, cn_to_int

DEFAULT_LAW = "中华人民共和国未成年人保护法"


@dataclass(frozen=True)
class ArticleRef:
    law: str
    article: int
    suffix: str = ""


class ReferenceParser:
    """Finds (law, article) pairs in a normalised question."""

    def __init__(self, aliases: dict[str, str]):
        names = sorted(aliases, key=len, reverse=True)
        self._aliases = aliases
        number = rf"({CN_NUMBER}|\d+)"
        self._with_law = re.compile(
            rf"《?({'|'.join(map(re.escape, names))})》?\s*(?:的)?\s*(第)?\s*{number}\s*(条)?(之[一二三四五六七八九十])?")
        self._names = re.compile("|".join(map(re.escape, names)))
        self._bare = re.compile(rf"^\s*第\s*{number}\s*条(之[一二三四五六七八九十])?\s*(?:是什么|讲什么|说了什么|内容)?\s*[?？]?$")

    def laws_in(self, text: str) -> set[str]:
        """Laws named in the text without an article number (「未成年人保护法从哪天施行」)."""
        return {self._aliases[m.group(0)] for m in self._names.finditer(text)}

    def find(self, text: str) -> list[ArticleRef]:
        """All references in the text; a bare 「第75条」 means the Minors Protection Law."""
        refs = []
        for match in self._with_law.finditer(text):
            alias, di, raw, tiao, suffix = match.groups()
            if not (di or tiao):  # 「预防法 59」: a number straight after the law's name still counts
                tail = text[match.end():match.end() + 1]
                if tail and tail not in " ？?。，,":
                    continue
            value = cn_to_int(raw)
            if value:
                refs.append(ArticleRef(self._aliases[alias], value, suffix or ""))
        if not refs and (bare := self._bare.match(text)):
            value = cn_to_int(bare.group(1))
            if value:
                refs.append(ArticleRef(DEFAULT_LAW, value, bare.group(2) or ""))
        return list(dict.fromkeys(refs))
