"""A client's own record as a PDF: the right of access (HIPAA 45 CFR 164.524).

The record is read through ``records.read_records`` with the purpose of the client's own
request, so the engine decides what is in it and the read is on the audit log like any other.
Psychotherapy notes are not asked for: the right of access excludes them (164.524(a)(1)(i)).
What the engine withheld is named, with its reason, and nothing of it is included. Every page
says "CONFIDENTIAL" at its top and foot.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from confide.domain import Category, Purpose
from confide.services import pdf_colours as colours
from confide.services import records
from confide.services.confidential_pdf import ConfidentialDocument
from confide.services.deps import Deps
from confide.services.disclosure_pdf import pdf_text

# Everything but psychotherapy notes (HIPAA 164.524(a)(1)(i)).
OWN_RECORD_CATEGORIES = frozenset(Category) - {Category.PSYCHOTHERAPY_NOTE}
TITLE = "Your record"
EXCLUDED = (
    "Your therapist's private session notes (psychotherapy notes) are not part of this copy: "
    "the right of access excludes them (HIPAA 45 CFR 164.524(a)(1)(i)). You may ask your "
    "therapist about them."
)
REPLACED = (
    "Some characters of this entry cannot be drawn in a PDF and are shown by a plain "
    "equivalent or '?'."
)


class _Document(ConfidentialDocument):
    def __init__(self, client_id: str, at: datetime) -> None:
        self.client_id = pdf_text(client_id)
        super().__init__(TITLE, self.client_id, at)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", size=7.5)
        self.set_text_color(*colours.MUTED)
        self.cell(0, 5, f"CONFIDENTIAL  |  record of {self.client_id}  |  page {self.page_no()}")


def own_record_pdf(deps: Deps, *, client_id: str, by: str) -> bytes:
    """The client's own record, as their own request may see it, as an A4 PDF.

    ``by`` asks with the purpose of the client's own request (PATRQT); the engine decides, and
    the read is logged. Anyone it refuses gets ``NotFoundOrDenied``, after the refusal is logged.
    """
    view = records.read_records(
        deps,
        actor_id=by,
        client_id=client_id,
        categories=OWN_RECORD_CATEGORIES,
        purpose=Purpose.PATRQT,
    )
    at = deps.clock.now()
    pdf = _Document(client_id, at)
    pdf.add_page()
    _title(pdf, client_id, at, len(view.entries))
    for category in sorted(OWN_RECORD_CATEGORIES, key=lambda c: c.sensitivity):
        entries = [e for e in view.entries if e.category is category]
        if entries:
            _section(pdf, category, entries)
    withheld = {
        o.category: o.reason for d in view.decisions for o in d.outcomes if o.category in d.denied
    }
    if withheld:
        _heading(pdf, "Not included")
        _paragraph(
            pdf,
            "These parts of your record were not included. You may ask the practice to review "
            "this decision (HIPAA 45 CFR 164.524(a)(4)).",
        )
        for category in sorted(withheld, key=lambda c: c.sensitivity):
            _paragraph(pdf, f"{category.label.capitalize()}: {withheld[category]}", muted=True)
    return bytes(pdf.output())


def _title(pdf: FPDF, client_id: str, at: datetime, count: int) -> None:
    pdf.set_font("Helvetica", style="B", size=17)
    pdf.set_text_color(*colours.INK)
    pdf.cell(0, 9, TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9.5)
    pdf.set_text_color(*colours.MUTED)
    stamp = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    pdf.cell(
        0,
        5,
        pdf_text(f"Client {client_id}  |  made {stamp}  |  {count} entries"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    _paragraph(
        pdf,
        "This is a copy of your record as the practice keeps it: the latest version of each "
        "entry. You have a right to it (HIPAA 45 CFR 164.524). Keep it somewhere safe; anyone "
        "who has this file can read it.",
    )
    _paragraph(pdf, EXCLUDED, muted=True)


def _section(pdf: FPDF, category: Category, entries: list[records.Entry]) -> None:
    _heading(pdf, category.label.capitalize())
    for e in entries:
        stamp = e.recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        version = "" if e.version == 1 else f", version {e.version}"
        _paragraph(pdf, f"Recorded {stamp} by {e.author_id}{version}", size=8, muted=True)
        _paragraph(pdf, e.text)
        if not _shows_exactly(e.text):
            _paragraph(pdf, REPLACED, size=8, muted=True)
        pdf.ln(1)


def _shows_exactly(text: str) -> bool:
    plain = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return pdf_text(text) == plain


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.set_text_color(*colours.INK)
    pdf.cell(0, 7, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*colours.RULE_LINE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _paragraph(pdf: FPDF, text: str, *, size: float = 9.5, muted: bool = False) -> None:
    pdf.set_font("Helvetica", size=size)
    pdf.set_text_color(*(colours.MUTED if muted else colours.INK))
    pdf.multi_cell(0, size * 0.5, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
