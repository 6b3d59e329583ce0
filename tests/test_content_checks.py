"""Proofs added after the legal review: the law's force (可 never stands for 应当/不得/并处/责令), amendments made
after the stored statute text, normative documents as a source of their own kind, and chapter lines in local statutes."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from knowledge.answer import Match
from knowledge.check import run_check
from knowledge.config import REPO
from knowledge.model import LawSpec
from knowledge.statutes import parse_markdown
from knowledge.verify import amended_articles, modal_conflicts
from tests.conftest import CORPUS, make_settings


# ---- modal words --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("plain,article", [
    ("学校可以组织孩子参加公益活动", "学校、幼儿园应当组织未成年人参加公益活动，不得组织或者变相组织其参加商业性活动。"),
    ("情节严重的，可罚5000万元以下", "情节严重的，责令改正，没收违法所得，并处5000万元以下罚款。"),
    ("拒不改正的，可暂停业务", "拒不改正或者情节严重的，责令暂停相关业务、停产停业。"),
    ("法院可缓收诉讼费", "人民法院应当依法对家庭暴力受害人缓收、减收或者免收诉讼费用。"),
    ("有关部门可没收违法所得", "由有关部门责令改正，给予警告，没收违法所得。"),
])
def test_softened_duty_is_a_conflict(plain, article):
    assert modal_conflicts(plain, article)


@pytest.mark.parametrize("plain,article", [
    ("可以并处10万元以下罚款", "责令改正，可以并处10万元以下罚款；拒不改正的，责令暂停相关业务。"),
    ("情节严重的，还可责令停业整顿", "情节严重的，并处罚款，并可以责令暂停相关业务或者停业整顿。"),
    ("家长可以要求赔偿", "对难以判明是否是未成年人的，应当要求其出示身份证件。"),  # the reader's right, not the duty
    ("可以向网信部门投诉", "平台应当向网信部门报告。"),
    ("可以不同意", "不得因为未成年人或者其监护人不同意处理非必要个人信息，拒绝其使用基本功能服务。"),
    ("孩子可能会被罚款", "应当处罚款。"),  # 可能 is not a modal
    ("学校应当组织公益活动", "学校应当组织未成年人参加公益活动。"),
])
def test_faithful_wording_is_not_a_conflict(plain, article):
    assert modal_conflicts(plain, article) == []


def _tiny_content(tmp_path):
    """content/ cut down to a few entries a test can break: one FAQ file, two short digest files."""
    target = tmp_path / "content"
    shutil.copytree(REPO / "content", target)
    for path in (target / "faq").glob("*.yaml"):
        path.unlink()
    (target / "faq" / "family.yaml").write_text("""version: 1
topic: 家庭保护
entries:
  - id: family-dv-fees
    audience: [家长]
    question: 家暴受害人打官司的诉讼费能减免吗？
    paraphrases: [家暴打官司要交诉讼费吗, 被家暴起诉没钱交诉讼费, 家暴受害人能不能免诉讼费]
    answer: >-
      能申请。法院可缓收、减收或免收家庭暴力受害人的诉讼费用，法律援助机构应当依法为受害人提供法律援助。需要帮助可以拨打12348咨询，有危险先拨打110。
    sources:
      - {law: 中华人民共和国反家庭暴力法, article: 19}
  - id: family-game-hours
    audience: [家长]
    question: 未成年人什么时候可以玩网络游戏？
    paraphrases: [孩子几点能玩游戏, 未成年人游戏时间规定, 周末能玩多久游戏]
    answer: >-
      网络游戏服务提供者不得在每日22时至次日8时向未成年人提供网络游戏服务；国家新闻出版署的通知规定，只能在周五、周六、周日和法定节假日每日20时至21时提供1小时服务。
    sources:
      - {law: 中华人民共和国未成年人保护法, article: 75}
    documents: [game-time-notice-2021, no-such-document]
""", encoding="utf-8")
    return target


def _set_digest(content, file, number, digest):
    path = content / "digests" / file
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index(f"  - article: {number}")
    digest_at = next(i for i in range(at, len(lines)) if lines[i].strip() == "digest: >-")
    lines[digest_at + 1] = "      " + digest
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_kb_check_names_softened_faq_answers_and_unnamed_documents(tmp_path):
    problems, _ = run_check(make_settings(tmp_path / "data", _tiny_content(tmp_path), statutes=None), review=False)
    text = "\n".join(problems)
    assert "family.yaml" in text and "[family-dv-fees]" in text and "法院可缓收" in text
    assert "no-such-document" in text and "不存在" in text
    assert "《关于进一步严格管理 切实防止未成年人沉迷网络游戏的通知》" in text  # named only as 「国家新闻出版署的通知」


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_kb_check_catches_the_digests_the_legal_review_found(tmp_path):
    """The wording the review corrected (上海条例31, 网保条例54, 55) fails the check again if it comes back."""
    content = _tiny_content(tmp_path)
    _set_digest(content, "shanghai.yaml", 31, "学校、幼儿园可以组织孩子参加适合年龄的公益活动，但不得组织孩子参加商业性活动。")
    _set_digest(content, "network.yaml", 54, "违反其中第一项、第五项且情节严重的，省级以上部门可罚5000万元以下或上一年度营业额百分之五以下。")
    _set_digest(content, "network.yaml", 55, "拒不改正或情节严重的，可暂停业务、停产停业或吊销许可证、执照。")
    problems, _ = run_check(make_settings(tmp_path / "data", content), review=False)
    text = "\n".join(problems)
    assert "shanghai.yaml" in text and "第三十一条" in text
    assert "第五十四条" in text and "可罚5000万元以下" in text
    assert "第五十五条" in text and "可暂停业务" in text
    assert not any("第五十六条" in p for p in problems)  # 「还可暂停业务」: the article says 并可以责令


def test_real_content_keeps_the_laws_force_and_names_what_it_cites(tmp_path):
    problems, _ = run_check(make_settings(tmp_path / "data"), review=False)
    assert not [p for p in problems if "可以/可" in p]
    assert not [p for p in problems if "司法解释" in p or "documents" in p or "同一句" in p or "文号" in p]


# ---- how answers cite: documents among the sources, no bare article numbers --------------------------------------

SUPPORT_BEFORE_REVIEW = (  # custody-support-until as the legal review found it
    "一般给到孩子满十八周岁（《民法典》第17条）。父母不履行抚养义务的，未成年子女或者不能独立生活的成年子女有权要求给付抚养费"
    "（第1067条）。按最高人民法院婚姻家庭编司法解释（一），“不能独立生活的成年子女”指仍在读高中及以下学历教育，"
    "或者丧失、部分丧失劳动能力等非因主观原因无法维持正常生活的；读大学一般不在此列。")
INTERPRETATION = "《最高人民法院关于适用〈中华人民共和国民法典〉婚姻家庭编的解释（一）》"


def _one_entry(tmp_path, answer: str, documents: str = "") -> "Path":
    content = _tiny_content(tmp_path)
    (content / "faq" / "family.yaml").write_text(f"""version: 1
topic: 家庭保护
entries:
  - id: family-support-age
    audience: [家长]
    question: 抚养费要给到孩子多大？
    paraphrases: [抚养费给到几岁, 抚养费给到18岁就不用给了吗, 孩子上大学了还要给抚养费吗]
    answer: >-
      {answer}
    sources:
      - {{law: 中华人民共和国民法典, article: 1067}}
      - {{law: 中华人民共和国民法典, article: 17}}
{documents}""", encoding="utf-8")
    return content


def _citing_problems(tmp_path, content):
    problems, _ = run_check(make_settings(tmp_path / "data", content, statutes=None), review=False)
    return [p for p in problems if "[family-support-age]" in p or "documents.yaml" in p]


def test_an_interpretation_relied_on_without_its_name_and_a_bare_article_are_refused(tmp_path):
    problems = _citing_problems(tmp_path, _one_entry(tmp_path, SUPPORT_BEFORE_REVIEW))
    assert any("回答依据了司法解释" in p for p in problems)
    assert any("第1067条" in p and "同一句" in p for p in problems)
    assert not any("第17条" in p for p in problems)  # 《民法典》 is named in its sentence


def test_a_named_interpretation_must_be_among_the_entrys_documents(tmp_path):
    answer = f"一般给到孩子满十八周岁（《民法典》第17条）。按{INTERPRETATION}，读大学的成年子女一般不算不能独立生活的成年子女。"
    problems = _citing_problems(tmp_path, _one_entry(tmp_path, answer))
    assert any("spc-marriage-family-interpretation-1" in p and "documents 里没有" in p for p in problems)
    fixed = _one_entry(tmp_path / "fixed", answer, "    documents: [spc-marriage-family-interpretation-1]\n")
    assert _citing_problems(tmp_path / "fixed", fixed) == []


def test_an_unregistered_rule_text_is_refused_but_a_certificate_is_not(tmp_path):
    answer = ("一般给到孩子满十八周岁（《民法典》第17条）。按《关于审理未成年人刑事案件具体应用法律若干问题的解释》，周岁从生日的第二天起算，"
              "上户口要带《出生医学证明》。")
    problems = _citing_problems(tmp_path, _one_entry(tmp_path, answer))
    assert [p for p in problems if "不在 documents.yaml 里" in p and "若干问题的解释" in p]
    assert not [p for p in problems if "出生医学证明" in p]


def test_a_judicial_interpretation_needs_its_number(tmp_path):
    content = _tiny_content(tmp_path)
    path = content / "documents.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    number: 法释〔2020〕22号\n", ""), encoding="utf-8")
    problems, _ = run_check(make_settings(tmp_path / "data", content, statutes=None), review=False)
    assert "documents.yaml [spc-marriage-family-interpretation-1] 司法解释要写文号（number）" in problems


def test_the_basis_shows_an_interpretations_number(engine):
    row = engine.kb.faq["custody-support-until"]
    text = engine.render.faq(Match("faq", row["id"], row["question"], row["answer"], 1.0, row["sources"]))
    assert ("司法解释：《最高人民法院关于适用〈中华人民共和国民法典〉婚姻家庭编的解释（一）》"
            "（最高人民法院，法释〔2020〕22号，2020-12-29）") in text


# ---- paraphrases placed under an entry that answers another question ------------------------------------------------

def test_kb_check_warns_of_a_paraphrase_the_content_ranks_under_another_entry(tmp_path):
    content = _tiny_content(tmp_path)
    (content / "faq" / "family.yaml").write_text("""version: 1
topic: 家庭保护
entries:
  - id: family-dv-fees
    audience: [家长]
    question: 家暴受害人打官司的诉讼费能减免吗？
    paraphrases: [家暴打官司要交诉讼费吗, 被家暴起诉没钱交诉讼费, 家暴受害人能不能免诉讼费]
    answer: >-
      能申请。人民法院应当依法对家庭暴力受害人缓收、减收或者免收诉讼费用，法律援助机构应当依法为受害人提供法律援助。需要帮助可以拨打12348咨询，有危险先拨打110。
    sources:
      - {law: 中华人民共和国反家庭暴力法, article: 19}
  - id: family-game-hours
    audience: [家长]
    question: 未成年人什么时候可以玩网络游戏？
    paraphrases: [孩子几点能玩游戏, 未成年人游戏时间规定, 被家暴了打官司没钱交诉讼费能免吗]
    answer: >-
      网络游戏服务提供者不得在每日22时至次日8时向未成年人提供网络游戏服务；具体时段由国家新闻出版署规定，周五、周六、周日和法定节假日每日20时至21时可以玩1小时。
    sources:
      - {law: 中华人民共和国未成年人保护法, article: 75}
""", encoding="utf-8")
    (content / "paraphrase-review.yaml").unlink()
    settings = make_settings(tmp_path / "data", content, statutes=None)
    problems, report = run_check(settings)
    assert problems == []
    warnings = [line for line in report if "警告" in line]
    assert len(warnings) == 1
    assert "[family-game-hours]" in warnings[0] and "被家暴了打官司没钱交诉讼费能免吗" in warnings[0]
    assert "[family-dv-fees]" in warnings[0]

    (content / "paraphrase-review.yaml").write_text("""version: 1
kept:
  - entry: family-game-hours
    paraphrase: 被家暴了打官司没钱交诉讼费能免吗
  - entry: family-game-hours
    paraphrase: 一个早就删掉的问法
""", encoding="utf-8")
    _, report = run_check(settings)
    warnings = [line for line in report if "警告" in line]
    assert len(warnings) == 1 and "一个早就删掉的问法" in warnings[0] and "请删掉这条记录" in warnings[0]
    assert any("1 条已复核保留" in line for line in report)


# ---- amendments after the stored text -------------------------------------------------------------------------------

def test_amended_articles_are_read_from_the_amendment_text():
    text = ("一、在刑法第一百六十五条中增加一款作为第二款。\n"
            "二、将刑法第三百九十条修改为：“……依照本法第三百八十九条的规定处罚。”\n"
            "三、在刑法第一百三十三条之一后增加一条，作为第一百三十三条之二：“……”")
    assert amended_articles(text) == {"165", "390", "133之二"}


def test_kb_check_proves_the_recorded_amendment_list(tmp_path):
    content = _tiny_content(tmp_path)
    laws = content / "laws.yaml"
    text = laws.read_text(encoding="utf-8")
    assert "articles: [165, 166, 169, 387, 390, 391, 393]" in text
    laws.write_text(text.replace("articles: [165, 166, 169, 387, 390, 391, 393]", "articles: [17, 165, 166, 169, 387, 390, 391]"),
                    encoding="utf-8")
    problems, _ = run_check(make_settings(tmp_path / "data", content, statutes=None), review=False)
    wrong = [p for p in problems if "刑法修正案（十二）" in p]
    assert wrong and "393" in wrong[0] and "17" in wrong[0]


def test_criminal_law_articles_say_which_text_is_in_force(engine):
    unchanged = engine.render.version("中华人民共和国刑法", 236)
    assert "现行有效" in unchanged and "刑法修正案（十一）" in unchanged and "未再修改" in unchanged
    assert "已被修改" not in unchanged
    changed = engine.render.version("中华人民共和国刑法", 390)
    assert "刑法修正案（十二）" in changed and "2023-12-29" in changed and "修改前" in changed
    assert "未再修改" in engine.answer("刑法第236条").answer


# ---- normative documents ----------------------------------------------------------------------------------------------

def test_documents_are_listed_as_documents_not_as_articles(engine):
    row = engine.kb.faq["online-game-hours"]
    text = engine.render.faq(Match("faq", row["id"], row["question"], row["answer"], 1.0, row["sources"]))
    assert "规范性文件：《关于进一步严格管理 切实防止未成年人沉迷网络游戏的通知》（国家新闻出版署，2021-08-30）" in text
    assert all("article" in s for s in row["sources"]) and row["documents"] == ["game-time-notice-2021"]


def test_ask_json_keeps_sources_for_articles_and_adds_documents(kb_settings):
    result = subprocess.run([sys.executable, "bot.py", "ask", "--json", "游戏平台深夜还能让未成年人玩吗？有什么时间限制？"],
                            capture_output=True, text=True, cwd=REPO, timeout=120,
                            env={**os.environ, "KB_DATA_DIR": str(kb_settings.data_dir)})
    assert result.returncode == 0, result.stderr
    top = json.loads(result.stdout)["matches"][0]
    assert top["id"] == "online-game-hours"
    assert all(set(s) <= {"law", "article", "suffix"} for s in top["sources"])
    assert [d["name"] for d in top["documents"]] == ["关于进一步严格管理 切实防止未成年人沉迷网络游戏的通知"]


# ---- chapter lines in local statute files ----------------------------------------------------------------------------

STATUTE = """# 某条例

<!-- INFO END -->

{first}

第一条 为了保护未成年人，制定本条例。

第二条 本条例适用于本市。
\u200b
{second}

{section}

第三条 父母应当履行监护职责。

第四条 学校应当保护学生：

（一）建立制度；

（二）开展教育。
\u200b
{third}

第五条 本条例自公布之日起施行。
"""


@pytest.mark.parametrize("first,second,section,third", [
    ("## 第一章 总 则", "## 第二章 家庭保护", "### 第一节 一般规定", "## 第三章 附 则"),     # markdown headings
    ("第一章 总 则", "第二章 家庭保护", "第一节 一般规定", "第三章 附 则"),                  # bare chapter lines
    ("## 第一章 总 则", "家庭保护", "第一节 一般规定", "附 则"),                              # titles without numbers
])
def test_chapter_lines_never_end_up_in_article_text(tmp_path, first, second, section, third):
    path = tmp_path / "某条例(2024-01-01).md"
    path.write_text(STATUTE.format(first=first, second=second, section=section, third=third), encoding="utf-8")
    text = parse_markdown(path, LawSpec(name="某条例", short="某条例", source="local", aliases=[]))
    by_number = {a.citation.article: a for a in text.articles}
    assert [a.chapter for a in text.articles] == ["第一章 总则"] * 2 + ["第二章 家庭保护"] * 2 + ["第三章 附则"]
    assert by_number[2].text == "本条例适用于本市。"
    assert by_number[3].section == "第一节 一般规定"
    assert by_number[4].text == "学校应当保护学生：\n（一）建立制度；\n（二）开展教育。"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_network_regulation_chapters_parse_without_trailing_titles():
    path = next(CORPUS.glob("未成年人网络保护条例*.md"))
    text = parse_markdown(path, LawSpec(name="未成年人网络保护条例", short="", source="local", aliases=[]))
    by_number = {a.citation.article: a for a in text.articles}
    for number, title in ((20, "网络信息内容规范"), (38, "网络沉迷防治"), (49, "法律责任"), (58, "附则")):
        assert title not in by_number[number].text.replace(" ", "")
        assert by_number[number].text.endswith("。")
    assert by_number[21].chapter == "第三章 网络信息内容规范" and by_number[60].chapter == "第七章 附则"
