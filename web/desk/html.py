"""Small HTML helpers for the staff pages: everything shown is escaped; forms carry the CSRF token."""
from __future__ import annotations

from html import escape

from aiohttp import web


def e(value: object) -> str:
    """Text for HTML (quotes too, so it is safe in attributes)."""
    return escape("" if value is None else str(value), quote=True)


def form(action: str, csrf: str, body: str, cls: str = "") -> str:
    """A POST form to a desk address, with the session's CSRF token."""
    return (f'<form method="post" action="{e(action)}"{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>'
            f'<input type="hidden" name="csrf" value="{e(csrf)}">{body}</form>')


def field(label: str, name: str, value: str = "", kind: str = "text", hint: str = "", required: bool = True,
          extra: str = "") -> str:
    req = " required" if required else ""
    control = (f'<textarea name="{e(name)}" rows="3"{req}{extra}>{e(value)}</textarea>' if kind == "textarea" else
               f'<input type="{kind}" name="{e(name)}" value="{e(value)}"{req}{extra}>')
    return (f'<label><span>{e(label)}</span>{control}'
            + (f'<small>{e(hint)}</small>' if hint else "") + "</label>")


def select(label: str, name: str, options: list[tuple[str, str]]) -> str:
    opts = "".join(f'<option value="{e(v)}">{e(text)}</option>' for text, v in options)
    return f'<label><span>{e(label)}</span><select name="{e(name)}">{opts}</select></label>'


def table(headers: list[str], rows: list[list[str]], raw: bool = False) -> str:
    """A table; cells are escaped unless `raw` (then the caller built them from escaped parts)."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c if raw else e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def page(title: str, body: str, *, nav: str = "", status: int = 200) -> web.Response:
    """A whole desk page (mobile-first, its own stylesheet, no script)."""
    html = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{e(title)}</title><link rel="stylesheet" href="/static/desk.css"></head>'
            f'<body>{nav}<main><h1>{e(title)}</h1>{body}</main></body></html>')
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store"})
