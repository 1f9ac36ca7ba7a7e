"""The PDF half of an exception disclosure package (decision 0013): what a person at the agency,
the court, the potential victim's side or emergency services reads.

A cover sheet says why the records are disclosed without the client's consent (the ground, its
citation, the jurisdiction), to whom, when, who disclosed and who approved, what is included and
what was asked for and withheld, and that the recipient may not redisclose; when substance-use
records are included, the 42 CFR 2.32 notice stands on it, in a box. The records follow, one
section each. Every page says "CONFIDENTIAL" at its top and foot.

The PDF core fonts draw Windows-1252 only. Characters outside it are replaced by a plain
equivalent or "?" (never dropped), and a record whose text was changed so says, pointing to the
FHIR half of the package, which holds the exact text. The output is deterministic: the creation
date is the disclosure's time, so the package's digest can be reproduced.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from functools import lru_cache

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from confide.domain import Category
from confide.domain.validation import require_aware
from confide.services import pdf_colours as colours
from confide.services.confidential_pdf import FONT_ENCODING as _FONT_ENCODING
from confide.services.confidential_pdf import ConfidentialDocument
from confide.services.disclosure_package import PackageCover, PackageEntry

TITLE = "Disclosure without consent"
EMERGENCY_APPROVAL = "Emergency disclosure (break-the-glass); reviewed afterwards"
NOTHING_INCLUDED = "No records are included in this package."
WITHHELD_HEADING = "Asked for but not included"
WITHHELD_SENTENCE = (
    "These were asked for and withheld, as beyond what the law allows to be disclosed on "
    "this ground. They are named here only; nothing of them is in this package."
)
REPLACED_NOTE = (
    "Some characters of this record cannot be drawn in this PDF and are shown by a plain "
    "equivalent or '?'. The FHIR part of this package holds the exact text."
)

_NOTICE_FILL = (253, 243, 243)
_LABEL_WIDTH = 48
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class _Document(ConfidentialDocument):
    def __init__(self, cover: PackageCover, total_pages: int | None) -> None:
        self.request_id = pdf_text(cover.request_id)
        self.total_pages = total_pages
        self.continuing: str | None = None  # the record whose text runs onto the next page
        # The page count comes from a first rendering (the document has no "{nb}" alias).
        # Deterministic bytes: the creation date (and the file /ID hashed with it) is the
        # disclosure's time, never the time of rendering.
        created = require_aware(cover.disclosed_at, "cover.disclosed_at")
        super().__init__(TITLE, f"request {self.request_id}", created)

    def header(self) -> None:
        super().header()
        if self.continuing is not None:
            self.set_font("Helvetica", style="I", size=8)
            self.cell(0, 5, f"{self.continuing} (continued)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", size=7.5)
        self.set_text_color(*colours.MUTED)
        of = "" if self.total_pages is None else f" of {self.total_pages}"
        self.cell(
            0,
            5,
            f"CONFIDENTIAL  |  disclosure {self.request_id}  |  page {self.page_no()}{of}",
            align="C",
        )


def package_pdf(cover: PackageCover, entries: tuple[PackageEntry, ...]) -> bytes:
    """The package's PDF: a cover sheet, then each entry's record (decision 0013)."""
    ordered = tuple(sorted(entries, key=_entry_order))
    pages = _render(cover, ordered, None).pages_count
    return bytes(_render(cover, ordered, pages).output())


def _entry_order(e: PackageEntry) -> tuple[int, datetime, str]:
    return (e.category.sensitivity, e.recorded_at, e.record_id)


def _render(
    cover: PackageCover, entries: tuple[PackageEntry, ...], total_pages: int | None
) -> _Document:
    pdf = _Document(cover, total_pages)
    pdf.add_page()
    _cover_sheet(pdf, cover, entries)
    if entries:
        pdf.add_page()
        _heading(pdf, f"Records disclosed ({len(entries)})")
        for number, entry in enumerate(entries, start=1):
            _record(pdf, number, entry)
    return pdf


# Text ---------------------------------------------------------------------------------------


def pdf_text(text: str) -> str:
    """``text`` as the core fonts can draw it: characters outside Windows-1252 replaced by a
    plain equivalent where there is one, else by "?"; line breaks made ``\\n``."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(_drawable(c) for c in text)


def _shows_exactly(text: str) -> bool:
    plain = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return pdf_text(text) == plain


@lru_cache(maxsize=4096)
def _drawable(c: str) -> str:
    if c == "\n":
        return c
    if c == "\t":
        return "    "
    category = unicodedata.category(c)
    if category == "Cc":  # control characters have no glyph
        return "?"
    if _encodable(c):
        return c
    if c in _PLAIN:
        return _PLAIN[c]
    if category == "Zs":
        return " "
    if category in {"Zl", "Zp"}:
        return "\n"
    if category == "Cf":  # zero-width and direction marks: nothing to draw, nothing to lose
        return ""
    compatible = unicodedata.normalize("NFKC", c)  # ligatures, full-width and circled forms
    if _encodable(compatible):
        return compatible
    base = "".join(
        b for b in unicodedata.normalize("NFKD", c) if not unicodedata.combining(b)
    )  # a letter with a mark the font lacks: the letter
    return base if base and _encodable(base) else "?"


def _encodable(text: str) -> bool:
    try:
        text.encode(_FONT_ENCODING)
    except UnicodeEncodeError:
        return False
    return all(unicodedata.category(c) != "Cc" for c in text)


_PLAIN = {
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2032": "'",
    "\u2033": '"',
    "\u2190": "<-",
    "\u2192": "->",
    "\u2194": "<->",
    "\u21d2": "=>",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2260": "!=",
    "\u2248": "~",
    "\u2713": "v",
    "\u0142": "l",
    "\u0141": "L",
    "\u0111": "d",
    "\u0110": "D",
    "\u0131": "i",
}


# Layout -------------------------------------------------------------------------------------


def _when(at: datetime) -> str:
    utc = require_aware(at, "time")
    return f"{utc.day} {_MONTHS[utc.month - 1]} {utc.year}, {utc:%H:%M} UTC"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.h - 45:  # keep a heading with the start of its section
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.set_text_color(*colours.INK)
    pdf.cell(0, 7, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*colours.RULE_LINE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _paragraph(
    pdf: FPDF, text: str, *, size: float = 9.5, muted: bool = False, strong: bool = False
) -> None:
    pdf.set_font("Helvetica", style="B" if strong else "", size=size)
    pdf.set_text_color(*(colours.MUTED if muted else colours.INK))
    pdf.multi_cell(0, size * 0.5, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


def _bullets(pdf: FPDF, items: list[str]) -> None:
    pdf.set_font("Helvetica", size=9.5)
    pdf.set_text_color(*colours.INK)
    for item in items:
        pdf.set_x(pdf.l_margin + 2)
        pdf.cell(5, 5, "\u2022")
        pdf.multi_cell(0, 5, pdf_text(item), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


def _cover_sheet(pdf: FPDF, cover: PackageCover, entries: tuple[PackageEntry, ...]) -> None:
    pdf.set_font("Helvetica", style="B", size=18)
    pdf.set_text_color(*colours.INK)
    pdf.cell(0, 10, TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _paragraph(
        pdf,
        "The records in this package are disclosed without the client's consent, on the legal "
        "ground below. They are confidential health information.",
        muted=True,
    )
    if cover.part2_notice is not None:
        _part2_notice(pdf, cover.part2_notice)
    _facts(pdf, cover)
    _included(pdf, cover, entries)
    if cover.withheld:
        _heading(pdf, WITHHELD_HEADING)
        _paragraph(pdf, WITHHELD_SENTENCE)
        _bullets(pdf, [_capitalised(c.label) for c in sorted(cover.withheld, key=_rank)])
    _heading(pdf, "Use of this information")
    _paragraph(
        pdf,
        f"This information is disclosed only for the purpose stated above: "
        f"{cover.ground.label} ({cover.citation}). It must not be used for any other purpose, "
        "and must not be redisclosed except as the law allows. Keep it secure and share it "
        "only with those who need it for that purpose.",
    )


def _part2_notice(pdf: FPDF, notice: str) -> None:
    # 42 CFR 2.32: the notice accompanies each disclosure of substance-use records.
    pdf.ln(2)
    pdf.set_draw_color(*colours.ALERT)
    pdf.set_fill_color(*_NOTICE_FILL)
    pdf.set_line_width(0.5)
    pdf.set_font("Helvetica", style="B", size=8.5)
    pdf.set_text_color(*colours.ALERT)
    pdf.multi_cell(
        0,
        6,
        "NOTICE TO THE RECIPIENT (42 CFR 2.32): SUBSTANCE USE DISORDER RECORDS",
        border="LTR",
        fill=True,
        padding=(2, 3, 0, 3),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.set_text_color(*colours.INK)
    pdf.multi_cell(
        0,
        5.5,
        pdf_text(notice),
        border="LBR",
        fill=True,
        padding=(1, 3, 3, 3),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_line_width(0.2)
    pdf.set_fill_color(255, 255, 255)
    pdf.ln(3)


def _facts(pdf: FPDF, cover: PackageCover) -> None:
    approved = EMERGENCY_APPROVAL if cover.emergency else cover.approved_by or "Not recorded"
    rows = [
        ("Legal ground", _capitalised(cover.ground.label)),
        ("Law", cover.citation),
        ("Jurisdiction", cover.jurisdiction),
        ("Recipient", f"{cover.recipient_id} ({cover.recipient_kind.label})"),
        ("Date and time of disclosure", _when(cover.disclosed_at)),
        ("Disclosed by", cover.disclosed_by),
        ("Approved by", approved),
        ("Client", cover.client_id),
    ]
    if cover.legal_process:
        rows.append(("Legal process", cover.legal_process))
    if cover.records_period is not None:
        rows.append(("Records period", _capitalised(cover.records_period.describe())))
    _heading(pdf, "The disclosure")
    pdf.set_draw_color(*colours.RULE_LINE)
    # Rows of text, not a table: a table row must fit on one page, and a value (an order's
    # wording) has no length limit.
    for label, value in rows:
        if pdf.get_y() > pdf.h - 30:
            pdf.add_page()
        pdf.set_font("Helvetica", style="B", size=9)
        pdf.set_text_color(*colours.MUTED)
        pdf.cell(_LABEL_WIDTH, 6, label)
        pdf.set_font("Helvetica", size=9.5)
        pdf.set_text_color(*colours.INK)
        pdf.multi_cell(
            0, 6, pdf_text(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT, max_line_height=5
        )
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _rank(c: Category) -> int:
    return c.sensitivity


def _included(pdf: FPDF, cover: PackageCover, entries: tuple[PackageEntry, ...]) -> None:
    _heading(pdf, "Included in this package")
    counts: dict[Category, int] = {}
    for e in entries:
        counts[e.category] = counts.get(e.category, 0) + 1
    if not entries:
        _paragraph(pdf, NOTHING_INCLUDED, strong=True)
    categories = sorted(set(cover.included) | set(counts), key=_rank)
    if not categories:
        return
    items = []
    for c in categories:
        n = counts.get(c, 0)
        held = "no records" if n == 0 else ("1 record" if n == 1 else f"{n} records")
        items.append(f"{_capitalised(c.label)} ({held})")
    _bullets(pdf, items)


def _record(pdf: _Document, number: int, entry: PackageEntry) -> None:
    if pdf.get_y() > pdf.h - 50:  # keep a record's heading with the start of its text
        pdf.add_page()
    title = pdf_text(f"{number}. {_capitalised(entry.category.label)}")
    pdf.ln(2)
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.set_text_color(*colours.INK)
    pdf.cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _paragraph(
        pdf,
        f"Record {entry.record_id}  |  version {entry.version}  |  "
        f"recorded {_when(entry.recorded_at)}",
        size=8,
        muted=True,
    )
    if entry.text.strip():
        pdf.continuing = f"{title}, record {pdf_text(entry.record_id)}"
        _paragraph(pdf, entry.text, size=10)
        pdf.continuing = None
    else:
        _paragraph(pdf, "(This record holds no text.)", size=9, muted=True)
    if not _shows_exactly(entry.text):
        _paragraph(pdf, REPLACED_NOTE, size=8, muted=True)
    pdf.set_draw_color(*colours.RULE_LINE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
