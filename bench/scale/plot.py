"""The growth curve as an image: p99 of each request against the practice's notes (log scale).

PNG with matplotlib when it is installed; otherwise a plain SVG line chart written here.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

COLOURS = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93")
WIDTH, HEIGHT = 720, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 190, 40, 60


def write_plot(path: Path, sizes: list[int], series: dict[str, list[float]], title: str) -> Path:
    """Write the chart; return the path written (``.png`` with matplotlib, else ``.svg``)."""
    try:
        import matplotlib  # type: ignore[import-not-found,unused-ignore]

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        out = path.with_suffix(".svg")
        out.write_text(svg_chart(sizes, series, title), encoding="utf-8")
        return out
    out = path.with_suffix(".png")
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    for name, values in series.items():
        ax.plot(sizes, values, marker="o", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("notes in the practice")
    ax.set_ylabel("p99 latency (ms)")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def svg_chart(sizes: list[int], series: dict[str, list[float]], title: str) -> str:
    """A line chart as SVG text: log-scale x (notes), linear y from 0 (p99 ms)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max((v for vs in series.values() for v in vs if math.isfinite(v)), default=1.0)
    top = _nice(top * 1.1)
    lo, hi = math.log10(min(sizes)), math.log10(max(sizes))
    span = hi - lo or 1.0

    def x(n: int) -> float:
        return LEFT + (math.log10(n) - lo) / span * plot_w

    def y(v: float) -> float:
        return TOP + plot_h - v / top * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2:.0f}" y="22" text-anchor="middle" font-size="14">'
        f"{escape(title)}</text>",
    ]
    for k in range(5):  # horizontal grid and y labels
        v = top * k / 4
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     'stroke="#ddd"/>')  # fmt: skip
        parts.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    for n in sizes:  # x ticks
        parts.append(f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{TOP}" y2="{TOP + plot_h}" '
                     'stroke="#eee"/>')  # fmt: skip
        parts.append(f'<text x="{x(n):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">'
                     f"{n:,}</text>")  # fmt: skip
    parts.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 16}" text-anchor="middle">'
                 "notes in the practice (log scale)</text>")  # fmt: skip
    parts.append(f'<text transform="translate(18 {TOP + plot_h / 2:.0f}) rotate(-90)" '
                 'text-anchor="middle">p99 latency (ms)</text>')  # fmt: skip
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
                 'stroke="#555"/>')  # fmt: skip
    for k, (name, values) in enumerate(series.items()):
        colour = COLOURS[k % len(COLOURS)]
        points = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in zip(sizes, values, strict=True))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                     'stroke-width="2"/>')  # fmt: skip
        parts += [f'<circle cx="{x(n):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>'
                  for n, v in zip(sizes, values, strict=True)]  # fmt: skip
        ly = TOP + 14 + 20 * k
        parts.append(f'<line x1="{LEFT + plot_w + 14}" x2="{LEFT + plot_w + 38}" y1="{ly - 4}" '
                     f'y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>')  # fmt: skip
        parts.append(f'<text x="{LEFT + plot_w + 44}" y="{ly}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _nice(v: float) -> float:
    """A round axis top at or above v."""
    if v <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * step >= v:
            return float(m * step)
    return 10.0 * step
