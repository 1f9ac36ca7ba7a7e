"""The page every PDF of a record shares: A4, CONFIDENTIAL at the top of each page beside the
document's title and label, and no page-count alias (record text could hold it)."""

from __future__ import annotations

from datetime import datetime

from fpdf import FPDF

from confide.services import pdf_colours as colours

FONT_ENCODING = "cp1252"  # the WinAnsiEncoding fpdf2 declares for its core fonts


class ConfidentialDocument(FPDF):
    """An A4 document titled ``title`` for ``label`` (already drawable text), made at
    ``created_at`` (fixed, so the same content gives the same bytes)."""

    def __init__(self, title: str, label: str, created_at: datetime) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.label = label
        self.core_fonts_encoding = FONT_ENCODING
        # No "{nb}" alias: a record's text could hold that string and would be rewritten.
        self.alias_nb_pages("")
        self.set_margins(18, 22, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_title(f"{title} - {label}")
        self.set_author("confide")
        self.set_creator("confide")
        self.set_creation_date(created_at)

    def header(self) -> None:
        self.set_y(9)
        self.set_font("Helvetica", style="B", size=9)
        self.set_text_color(*colours.ALERT)
        self.cell(40, 5, "CONFIDENTIAL")
        self.set_font("Helvetica", size=7.5)
        self.set_text_color(*colours.MUTED)
        self.cell(0, 5, f"{self.doc_title}  |  {self.label}", align="R")
        self.set_draw_color(*colours.RULE_LINE)
        self.line(self.l_margin, 15, self.w - self.r_margin, 15)
        self.set_y(self.t_margin)
