"""``confide history``: a client's access history and accounting of disclosures, on screen or as
a PDF and a FHIR Bundle."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from confide.cli.options import moment
from confide.services.history import (
    EXCLUSIONS,
    SUSPENSION_NOTE,
    AccessHistory,
    Accounting,
    StatementForm,
    Suspension,
    access_history,
    record_export,
)
from confide.services.history import accounting_of_disclosures as accounting
from confide.services.history_export import history_fhir_bundle, history_pdf
from confide.services.setup import open_existing
from confide.services.suspensions import record_suspension
from confide.store.settings import StoreSettings


def history_command(
    client: Annotated[str, typer.Argument(help="The client's id.")],
    by: Annotated[
        str,
        typer.Option(
            "--as", help="Who asks: the client themself, or their practice's privacy officer."
        ),
    ],
    pdf: Annotated[
        Path | None, typer.Option(help="Also write the history and accounting as a PDF here.")
    ] = None,
    fhir: Annotated[
        Path | None,
        typer.Option(help="Also write the history as a FHIR Bundle of AuditEvents (JSON) here."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many accesses.")] = 30,
) -> None:
    """Who saw the client's record, when and why, and the accounting of disclosures."""
    opened = open_existing(StoreSettings.from_environment(os.environ))
    history = access_history(opened.deps, client_id=client, by=by)
    accounts = accounting(opened.deps, client_id=client, by=by)
    console = Console()
    _show_history(console, history, limit)
    _show_accounting(console, accounts)
    if pdf is not None:
        record_export(opened.deps, client_id=client, by=by, form="pdf")
        pdf.write_bytes(history_pdf(history, accounts))
        console.print(f"Wrote {pdf}.")
    if fhir is not None:
        record_export(opened.deps, client_id=client, by=by, form="fhir")
        fhir.write_text(json.dumps(history_fhir_bundle(history, client), indent=2))
        console.print(f"Wrote {fhir}.")


def _show_history(console: Console, history: AccessHistory, limit: int) -> None:
    shown = history.entries[:limit]
    table = Table(
        title=f"Who has seen the record of {history.client_id} "
        f"(newest first, {len(shown)} of {len(history.entries)})",
        title_justify="left",
    )
    for column in ("when (UTC)", "who", "what", "why", "outcome"):
        table.add_column(column)
    for e in shown:
        style = None if e.allowed else "red"
        table.add_row(f"{e.at:%Y-%m-%d %H:%M}", e.who, e.what, e.why, e.outcome, style=style)
    console.print(table)
    if not history.chain_intact:
        console.print(
            "[red]This client's audit chain does not verify; tell the privacy officer.[/]"
        )


def _show_accounting(console: Console, accounts: Accounting) -> None:
    table = Table(
        title=f"Accounting of disclosures since {accounts.period_start:%Y-%m-%d} (45 CFR 164.528)",
        title_justify="left",
    )
    for column in ("date", "disclosed to", "what", "purpose or legal ground"):
        table.add_column(column)
    for d in accounts.disclosures:
        table.add_row(f"{d.at:%Y-%m-%d}", d.recipient, d.what, d.ground)
    console.print(table)
    if not accounts.disclosures:
        console.print("No disclosures to account for in this period.")
    if accounts.withheld:
        console.print(SUSPENSION_NOTE)
    console.print(f"[dim]{EXCLUSIONS}[/]")


def suspend_command(
    client: Annotated[str, typer.Argument(help="The client's id.")],
    by: Annotated[str, typer.Option("--as", help="The privacy officer of the client's practice.")],
    agency: Annotated[str, typer.Option(help="The agency or official on file who asked.")],
    until: Annotated[str, typer.Option(help="When the suspension ends (a date or date and time).")],
    oral: Annotated[
        bool, typer.Option(help="Asked orally: it lasts at most 30 days unless put in writing.")
    ] = False,
) -> None:
    """Hold the disclosures made to an agency back from the client's accounting, for a time,
    at the agency's request (45 CFR 164.528(a)(2))."""
    ends = moment(until, "--until", "a date like 2027-03-01")
    opened = open_existing(StoreSettings.from_environment(os.environ))
    now = opened.deps.clock.now()
    form = StatementForm.ORAL if oral else StatementForm.WRITTEN
    suspension = Suspension(agency, now, ends, form)
    record_suspension(opened.deps, client, suspension, by=by)
    Console().print(
        f"Recorded: disclosures to {agency} are held back from {client}'s accounting until "
        f"{suspension.ends_at:%Y-%m-%d %H:%M} UTC.",
        highlight=False,
    )
