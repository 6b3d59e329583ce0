from knowledge.numerals import arabize, cn_to_int, int_to_cn


def test_statute_numbers_round_trip():
    for number in [1, 10, 11, 20, 21, 75, 100, 104, 110, 132, 286, 1084, 1188, 1200]:
        assert cn_to_int(int_to_cn(number)) == number


def test_statute_spelling():
    assert int_to_cn(110) == "一百一十"
    assert int_to_cn(1084) == "一千零八十四"
    assert cn_to_int("二〇二一") == 2021
    assert cn_to_int("法") is None


def test_arabize_ages_and_times():
    assert arabize("已满十六周岁，每日二十二时至次日八时") == "已满16周岁，每日22时至次日8时"
