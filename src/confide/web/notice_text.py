"""The confidentiality notice's Markdown-like text, read line by line into blocks to render.

No HTML from the text is ever kept as HTML: the template escapes every span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"(#{1,6})\s+(.*)")
_ORDERED = re.compile(r"\d{1,3}[.)]\s+(.*)")
_BULLET = re.compile(r"[-*+]\s+(.*)")


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text, bold or not."""

    text: str
    strong: bool


@dataclass(slots=True)
class Block:
    """A heading, a paragraph or a list of the notice."""

    kind: str  # heading, paragraph, ordered, bullets
    level: int = 2
    items: list[list[str]] = field(default_factory=list)

    @property
    def spans(self) -> list[list[Span]]:
        """Each item (a paragraph is one) as spans of text, bold where ``**`` marks it."""
        return [_spans(" ".join(lines)) for lines in self.items]


def _spans(text: str) -> list[Span]:
    parts = text.split("**")
    if len(parts) % 2 == 0:  # an unmatched "**" stays as typed
        parts = [*parts[:-2], f"{parts[-2]}**{parts[-1]}"]
    return [Span(p, i % 2 == 1) for i, p in enumerate(parts) if p]


def notice_blocks(text: str) -> list[Block]:
    """The notice's Markdown-like text as blocks; no HTML from the text is ever kept as HTML
    (the template escapes every span)."""
    blocks: list[Block] = []
    current: Block | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            current = None
            continue
        if heading := _HEADING.fullmatch(line):
            # The page's own title is the h1; the notice's headings sit below it.
            level = min(len(heading.group(1)) + 1, 4)
            blocks.append(Block("heading", level, [[heading.group(2)]]))
            current = None
            continue
        item = _ORDERED.fullmatch(line) or _BULLET.fullmatch(line)
        if item is not None:
            kind = "ordered" if _ORDERED.fullmatch(line) else "bullets"
            if current is None or current.kind != kind:
                current = Block(kind)
                blocks.append(current)
            current.items.append([item.group(1)])
            continue
        if current is None:
            current = Block("paragraph", items=[[]])
            blocks.append(current)
        current.items[-1].append(line)
    return blocks
