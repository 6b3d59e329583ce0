"""Charts drawn on the server as SVG (no script, no CDN): horizontal bars, stacked or side by side.

A chart takes chat.desk.Table's shape: categories, and series of (name, values), one value per category.
"""
from __future__ import annotations

from html import escape

from markupsafe import Markup

COLOURS = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#84cc16", "#94a3b8")
WIDTH, LABEL_W, ROW_H, BAR_H, TOP = 640, 170, 26, 16, 34
LEGEND_H = 20  # one more line of legend when the names do not fit on one


def _legend(series: list[tuple[str, list[int]]]) -> tuple[list[str], int]:
    """One swatch and name per series, in the bars' colours, wrapped onto as many lines as needed."""
    parts, x, line = [], 8, 0
    for index, (name, _) in enumerate(series):
        width = 24 + 13 * len(name)
        if x + width > WIDTH and x > 8:
            x, line = 8, line + 1
        y = 8 + line * LEGEND_H
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{COLOURS[index % len(COLOURS)]}"/>'
                     f'<text x="{x + 16}" y="{y + 11}" font-size="12">{escape(name)}</text>')
        x += width
    return parts, line + 1


def bar_chart(title: str, categories: list[str], series: list[tuple[str, list[int]]], stacked: bool = True) -> Markup:
    """One SVG element; every number is also written as text, so the chart reads without colours.

    Markup, not text: the SVG is built here from numbers and escape()d names, so the template inserts it as is."""
    rows = len(categories)
    legend, lines = _legend(series)
    top = TOP + LEGEND_H * (lines - 1)
    per_row = 1 if stacked else max(len(series), 1)
    row_h = ROW_H if stacked else max(ROW_H, per_row * (BAR_H - 4) + 10)
    height = top + rows * row_h + 10
    totals = [sum(values[i] for _, values in series) for i in range(rows)]
    biggest = max((totals if stacked else [v for _, values in series for v in values]) or [0]) or 1
    span = WIDTH - LABEL_W - 50
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>', *legend]
    for row, category in enumerate(categories):
        y = top + row * row_h
        label = category if len(category) <= 12 else category[:11] + "…"
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + row_h / 2 + 4:.0f}" font-size="12" text-anchor="end">'
                     f'<title>{escape(category)}</title>{escape(label)}</text>')
        offset = 0.0
        for index, (name, values) in enumerate(series):
            value = values[row]
            length = span * value / biggest
            colour = COLOURS[index % len(COLOURS)]
            if stacked:
                if value:
                    parts.append(f'<rect x="{LABEL_W + offset:.1f}" y="{y + (row_h - BAR_H) / 2:.1f}" '
                                 f'width="{length:.1f}" height="{BAR_H}" fill="{colour}">'
                                 f'<title>{escape(category)} · {escape(name)}：{value}</title></rect>')
                offset += length
            else:
                bar_y = y + 4 + index * (BAR_H - 4)
                parts.append(f'<rect x="{LABEL_W}" y="{bar_y:.1f}" width="{max(length, 0):.1f}" '
                             f'height="{BAR_H - 6}" fill="{colour}"><title>{escape(category)} · {escape(name)}：'
                             f'{value}</title></rect><text x="{LABEL_W + length + 4:.1f}" y="{bar_y + BAR_H - 7:.1f}" '
                             f'font-size="10">{value}</text>')
        if stacked:
            parts.append(f'<text x="{LABEL_W + offset + 4:.1f}" y="{y + row_h / 2 + 4:.0f}" font-size="11">'
                         f'{totals[row]}</text>')
    parts.append(f'<line x1="{LABEL_W}" y1="{top - 4}" x2="{LABEL_W}" y2="{height - 8}" stroke="#94a3b8"/></svg>')
    return Markup("".join(parts))
