"""The home page's chart: guarantees released per month as one inline <svg> of bars, drawn on
the server (no JavaScript chart library). Classes only, no inline styles (the CSP forbids them);
ui/static/dashboard.css colours them. Each bar carries a <title> with the exact figures."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 28, 40
TEN_THOUSAND = Decimal(10000)


def _nice(top: Decimal) -> Decimal:
    """A round axis maximum at or above `top` (1, 2 or 5 times a power of ten)."""
    if top <= 0:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(top))) - 1)
    for step in (1, 2, 5, 10):
        if step * power >= top:
            return step * power
    return 10 * power   # pragma: no cover


def render(months: list[tuple[date, Decimal, int]], *, title: str, unit: str, tip) -> Markup:
    """Bars of the amounts (in 万元) per month; `tip(month, amount, n)` gives each bar's tooltip."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [amount / TEN_THOUSAND for _, amount, _ in months]
    top = _nice(max(values, default=Decimal(0)))
    slot = plot_w / max(len(months), 1)
    bar = slot * 0.6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">', f"<title>{escape(title)}</title>"]
    for i in range(5):                                      # grid lines and the axis labels
        v = top * i / 4
        y = TOP + plot_h - float(v / top) * plot_h
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{v.normalize():f}</text>')
    parts.append(f'<text class="axis unit" x="4" y="{TOP - 16}" text-anchor="start">{escape(unit)}</text>')
    for i, ((month, amount, n), v) in enumerate(zip(months, values)):
        h = float(v / top) * plot_h if top else 0
        x = LEFT + i * slot + (slot - bar) / 2
        y = TOP + plot_h - h
        parts.append(f'<g class="bar" id="bar-{month:%Y-%m}"><title>{escape(tip(month, amount, n))}</title>'
                     f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"/>'
                     + (f'<text class="count" x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{n}</text>' if n else "")
                     + "</g>")
        parts.append(f'<text class="axis" x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                     f'{month.month}</text>')
        if i == 0 or month.month == 1:
            parts.append(f'<text class="axis year" x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 32}" '
                         f'text-anchor="middle">{month.year}</text>')
    parts.append(f'<line class="base" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
