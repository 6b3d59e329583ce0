"""The statistics charts: the legend names every series in its bar colour and stays inside the drawing."""
import re

from web.desk.charts import WIDTH, bar_chart


def test_the_legend_wraps_and_shows_every_colour_the_bars_use():
    names = ["已确认人数", "待监护人确认人数", "候补", "到场人数", "未到人数", "家庭教育", "校园欺凌", "网络保护与沉迷", "其他"]
    svg = str(bar_chart("每周提问数", ["花木", "川沙新镇"], [(n, [3, 1]) for n in names], stacked=True))
    legend = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="12" height="12" fill="(#\w+)"/><text[^>]*>([^<]*)<',
                        svg)
    assert [name for *_, name in legend] == names
    bars = set(re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="16" fill="(#\w+)"', svg))
    assert bars == {colour for _, _, colour, _ in legend}
    assert all(float(x) + 24 + 13 * len(name) <= WIDTH for x, _, _, name in legend)  # nothing clipped at the right
    assert len({y for _, y, _, _ in legend}) > 1  # wrapped onto a second line
    first_bar = min(float(y) for y in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="16"', svg))
    assert first_bar > max(float(y) for _, y, _, _ in legend) + 12  # the bars start below the legend
