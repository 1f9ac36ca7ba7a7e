"""``confide disclose``: the limits of confidentiality from the command line (decision 0013).

Open a request, submit it, approve or reject it, release the package, break the glass in an
emergency, review it, and record whether the client was told; the privacy officer's queue shows
what is waiting and what is late. Words that may hold clinical facts (a justification, a
reason) are best given in a file (``--justification-file``) or on standard input (``-``), so they
stay out of shell history.
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from confide.cli.options import AS, moment, opened_deps
from confide.domain import InvalidValue, Period
from confide.domain.disclosures import DisclosureRequest, LegalProcess
from confide.policy.rule_packs import GROUND_KEYS, RulePack, key_name
from confide.services import disclosures
from confide.services.disclosure_package import DisclosurePackage

disclose_app = typer.Typer(
    help="The limits of confidentiality: exception disclosures, step by step.",
    no_args_is_help=True,
)

Categories = Annotated[
    list[str],
    typer.Option("--category", "-c", help="A record category to disclose (repeat for more)."),
]


def _words(text: str | None, file: Path | None, name: str) -> str:
    if file is not None:
        if str(file) == "-":
            return sys.stdin.read().strip()
        try:
            return file.read_text("utf-8").strip()
        except OSError as e:
            raise InvalidValue(f"--{name}-file", f"cannot read it: {e.strerror}") from None
    if text is None:
        raise InvalidValue(f"--{name}", f"give --{name} TEXT, or --{name}-file PATH (- for stdin)")
    return text


def _moment(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    return moment(text, name, "a date and time like 2026-03-02T09:30+00:00")


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(name, "a date like 2026-03-02") from None


@disclose_app.command("open")
def open_command(  # noqa: PLR0917 - typer: one option per field
    client: Annotated[str, typer.Argument(help="The client's id.")],
    by: Annotated[str, AS],
    ground: Annotated[
        str,
        typer.Option(
            help="imminent_risk_self, imminent_risk_others, abuse_neglect or court_order."
        ),
    ],
    to: Annotated[str, typer.Option("--to", help="The recipient's id (on file).")],
    recipient_kind: Annotated[
        str, typer.Option(help="e.g. law_enforcement, child_protective_agency, court.")
    ],
    category: Categories,
    justification: Annotated[
        str | None, typer.Option(help="Why (or --justification-file).")
    ] = None,
    justification_file: Annotated[
        Path | None, typer.Option(help="Why, from a file; - for stdin.")
    ] = None,
    victim_kind: Annotated[
        str | None, typer.Option(help="Abuse: child, elder, dependent_adult.")
    ] = None,
    suspected_at: Annotated[
        str | None, typer.Option(help="Abuse: when the suspicion was recorded (ISO 8601).")
    ] = None,
    records_from: Annotated[str | None, typer.Option(help="Only records dated from (ISO).")] = None,
    records_until: Annotated[str | None, typer.Option(help="…and before (ISO).")] = None,
    court: Annotated[str | None, typer.Option(help="Court order: the court.")] = None,
    case_number: Annotated[str | None, typer.Option(help="Court order: the case number.")] = None,
    issued_on: Annotated[str | None, typer.Option(help="Court order: date issued.")] = None,
    issued_by: Annotated[str | None, typer.Option(help="Court order: judge or officer.")] = None,
    order_scope: Annotated[
        str | None, typer.Option(help="Court order: its scope, as worded.")
    ] = None,
    order_category: Annotated[
        list[str] | None, typer.Option(help="Court order: a category its scope names (repeat).")
    ] = None,
    subpoena: Annotated[bool, typer.Option(help="A subpoena no court ordered.")] = False,
    assurance: Annotated[
        str | None,
        typer.Option(help="Subpoena: client_notified_no_objection or qualified_protective_order."),
    ] = None,
    part2_findings: Annotated[
        bool, typer.Option(help="The order makes the 42 CFR 2.64 findings.")
    ] = False,
    forbids_telling_client: Annotated[
        bool, typer.Option(help="The order forbids telling.")
    ] = False,
) -> None:
    """Open a draft exception disclosure; its scope is checked now."""
    process = None
    if ground == "court_order":
        process = LegalProcess(
            kind="subpoena" if subpoena else "court_order",  # type: ignore[arg-type]
            court=court or "",
            case_number=case_number or "",
            issued_on=_day(issued_on or "", "--issued-on"),
            issued_by=issued_by or "",
            scope=order_scope or "",
            categories=frozenset(order_category or ()),  # type: ignore[arg-type]
            part2_findings=part2_findings,
            assurance=assurance,  # type: ignore[arg-type]
            forbids_telling_client=forbids_telling_client,
        )
    start = _moment(records_from, "--records-from")
    until = _moment(records_until, "--records-until")
    if until is not None and start is None:
        raise InvalidValue("--records-until", "give --records-from too: the period's start")
    period = None if start is None else Period(start, until, name="disclosure.records_period")
    ask = disclosures.DisclosureAsk(
        client_id=client,
        ground=ground,
        recipient_id=to,
        recipient_kind=recipient_kind,
        categories=frozenset(category),
        justification=_words(justification, justification_file, "justification"),
        records_period=period,
        victim_kind=victim_kind,
        suspected_at=_moment(suspected_at, "--suspected-at"),
        legal_process=process,
    )
    _show(disclosures.open_request(opened_deps(), ask, by=by), "Opened")


@disclose_app.command("submit")
def submit_command(request: str, by: Annotated[str, AS]) -> None:
    """Send a draft for approval by a second person."""
    _show(disclosures.submit_request(opened_deps(), request, by=by), "Submitted")


@disclose_app.command("approve")
def approve_command(request: str, by: Annotated[str, AS]) -> None:
    """Approve a submitted request (never your own)."""
    _show(disclosures.approve_request(opened_deps(), request, by=by), "Approved")


@disclose_app.command("reject")
def reject_command(
    request: str,
    by: Annotated[str, AS],
    reason: Annotated[str | None, typer.Option(help="Why (or --reason-file).")] = None,
    reason_file: Annotated[Path | None, typer.Option(help="Why, from a file; - for stdin.")] = None,
) -> None:
    """Reject a submitted request, saying why."""
    words = _words(reason, reason_file, "reason")
    _show(disclosures.reject_request(opened_deps(), request, by=by, reason=words), "Rejected")


@disclose_app.command("withdraw")
def withdraw_command(request: str, by: Annotated[str, AS]) -> None:
    """Withdraw a request not yet decided."""
    _show(disclosures.withdraw_request(opened_deps(), request, by=by), "Withdrawn")


@disclose_app.command("release")
def release_command(
    request: str,
    by: Annotated[str, AS],
    out: Annotated[Path, typer.Option(help="Folder for the package's PDF and FHIR JSON.")],
) -> None:
    """Produce the package of an approved request for its recipient."""
    done, package = disclosures.disclose(opened_deps(), request, by=by)
    _show(done, "Disclosed")
    _write(out, done, package)


@disclose_app.command("break-glass")
def break_glass_command(  # noqa: PLR0917 - typer: one option per field
    client: Annotated[str, typer.Argument(help="The client's id.")],
    by: Annotated[str, AS],
    ground: Annotated[str, typer.Option(help="imminent_risk_self or imminent_risk_others.")],
    to: Annotated[str, typer.Option("--to", help="The recipient's id (on file).")],
    recipient_kind: Annotated[str, typer.Option(help="e.g. emergency_services.")],
    category: Categories,
    out: Annotated[Path, typer.Option(help="Folder for the package's PDF and FHIR JSON.")],
    justification: Annotated[
        str | None, typer.Option(help="Why (or --justification-file).")
    ] = None,
    justification_file: Annotated[
        Path | None, typer.Option(help="Why, from a file; - for stdin.")
    ] = None,
) -> None:
    """An emergency: disclose the minimum necessary at once; a review is owed."""
    ask = disclosures.DisclosureAsk(
        client_id=client,
        ground=ground,
        recipient_id=to,
        recipient_kind=recipient_kind,
        categories=frozenset(category),
        justification=_words(justification, justification_file, "justification"),
    )
    done, package = disclosures.break_the_glass(opened_deps(), ask, by=by)
    _show(done, "Disclosed in an emergency")
    _write(out, done, package)


@disclose_app.command("review")
def review_command(
    request: str,
    by: Annotated[str, AS],
    outcome: Annotated[str, typer.Option(help="upheld or not_upheld.")],
    note: Annotated[str | None, typer.Option(help="The finding (or --note-file).")] = None,
    note_file: Annotated[Path | None, typer.Option(help="The finding, from a file.")] = None,
) -> None:
    """Review an emergency disclosure after the fact."""
    words = _words(note, note_file, "note")
    done = disclosures.review_emergency(opened_deps(), request, by=by, outcome=outcome, note=words)
    _show(done, "Reviewed")


@disclose_app.command("told")
def told_command(request: str, by: Annotated[str, AS]) -> None:
    """Record that the client was told what was disclosed, to whom and why."""
    _show(disclosures.record_client_told(opened_deps(), request, by=by), "Client told")


@disclose_app.command("withhold")
def withhold_command(
    request: str,
    by: Annotated[str, AS],
    reason: Annotated[str, typer.Option(help="risk_to_client, risk_to_others or order_forbids.")],
    review_on: Annotated[str, typer.Option(help="When to decide again (a date).")],
) -> None:
    """Record why the client is not told for now, and when to decide again."""
    done = disclosures.withhold_notice(
        opened_deps(), request, by=by, reason=reason, review_on=_day(review_on, "--review-on")
    )
    _show(done, "Notice withheld")


@disclose_app.command("show")
def show_command(request: str, by: Annotated[str, AS]) -> None:
    """One request's state and dates (its words stay sealed)."""
    _show(disclosures.view_request(opened_deps(), request, by=by), "Request")


@disclose_app.command("queue")
def queue_command(by: Annotated[str, AS]) -> None:
    """What waits for a supervisor or the privacy officer, soonest deadline first."""
    deps = opened_deps()
    items = disclosures.work_queue(deps, by=by)
    console = Console()
    if not items:
        console.print("Nothing is waiting: no approvals, late reports or reviews.")
        return
    table = Table(title=f"Disclosures needing attention ({deps.rules.name} rules)")
    for heading in ("request", "client", "ground", "state", "needs", "deadline"):
        table.add_column(heading)
    for item in items:
        r = item.request
        late = any(flag.endswith("overdue") for flag in item.flags)
        table.add_row(
            r.id,
            r.client_id,
            r.ground.label,
            r.state.value.replace("_", " "),
            ", ".join(f.replace("_", " ") for f in item.flags),
            "" if item.deadline is None else f"{item.deadline:%Y-%m-%d %H:%M} UTC",
            style="bold red" if late else None,
        )
    console.print(table)


@disclose_app.command("rules")
def rules_command() -> None:
    """The jurisdiction's rules in force (CONFIDE_RULE_PACK)."""
    show_rules(Console(), opened_deps().rules)


def show_rules(console: Console, pack: RulePack) -> None:
    """A pack as a table: per ground, duty, approvers, recipients, deadline and citation."""
    table = Table(title=f"{pack.name} ({pack.id}, checked {pack.checked.isoformat()})")
    table.add_column("ground", no_wrap=True)
    for heading in ("duty", "approved by", "may go to", "report within", "law"):
        table.add_column(heading)
    for key in GROUND_KEYS:
        rule = pack.grounds[key]
        within = (
            "" if rule.report_within is None else f"{rule.report_within.total_seconds() / 3600:g} h"
        )
        table.add_row(
            key_name(key).removeprefix("grounds."),
            rule.duty.value,
            ", ".join(sorted(r.value.replace("_", " ") for r in rule.approvers)),
            ", ".join(sorted(k.label for k in rule.recipients)),
            within,
            rule.cite,
        )
    console.print(table)
    console.print(
        f"Break-the-glass: at most {pack.break_glass_window.total_seconds() / 60:g} minutes, "
        f"reviewed within {pack.break_glass_review_within.total_seconds() / 3600:g} hours."
    )


def _show(request: DisclosureRequest, verb: str) -> None:
    console = Console()
    console.print(f"[bold]{verb}[/] {request.id}: {request.state.value.replace('_', ' ')}")
    facts = [
        ("ground", request.ground.label),
        ("client", request.client_id),
        ("recipient", f"{request.recipient_id} ({request.recipient_kind.label})"),
        ("categories", ", ".join(sorted(c.label for c in request.categories))),
        ("requested by", request.requested_by),
    ]
    if request.decided_by:
        facts.append(("decided by", request.decided_by))
    if request.emergency:
        due = "" if request.review_due is None else f" by {request.review_due:%Y-%m-%d %H:%M} UTC"
        done = f"by {request.reviewed_by}" if request.reviewed_by else f"owed{due}"
        facts.append(("emergency review", done))
    if request.withheld_reason is not None:
        facts.append(
            (
                "client not told",
                f"{request.withheld_reason.label}; review on {request.withheld_until_review}",
            )
        )
    for name, value in facts:
        console.print(f"  {name}: {value}", highlight=False)


def _write(out: Path, request: DisclosureRequest, package: DisclosurePackage) -> None:
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    pdf = out / f"{request.id}.pdf"
    fhir = out / f"{request.id}.fhir.json"
    for path, data in ((pdf, package.pdf), (fhir, package.fhir_json)):
        # Owner-only from the first byte: created with 0600, never widened by the umask.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        path.chmod(0o600)
    Console().print(
        f"Wrote {pdf} (sha256 {package.pdf_sha256[:16]}…) and {fhir} "
        f"(sha256 {package.fhir_sha256[:16]}…). Both digests are in the audit log.",
        highlight=False,
    )
