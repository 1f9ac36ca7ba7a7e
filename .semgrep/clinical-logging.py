# Examples for confide.clinical-field-logged (semgrep --test); never imported or run.
import logging

import click
import typer
from rich.console import Console

log = logging.getLogger("confide.security")
console = Console()


def logs_a_record(entry, request, consent, process, client, exception):
    # ruleid: confide.clinical-field-logged
    log.info("read %s", entry.text)
    # ruleid: confide.clinical-field-logged
    log.error(f"request {request.id}: {request.justification}")
    # ruleid: confide.clinical-field-logged
    logging.warning("consent note: %s", consent.note)
    words = request.decision_note
    # ruleid: confide.clinical-field-logged
    log.debug("decided: " + words)
    # ruleid: confide.clinical-field-logged
    print(process.case_number)
    # ruleid: confide.clinical-field-logged
    console.print(f"order of {process.court}, issued by {process.issued_by}")
    # ruleid: confide.clinical-field-logged
    typer.echo(request.review_note)
    # ruleid: confide.clinical-field-logged
    click.echo(client.birth_date)
    # ruleid: confide.clinical-field-logged
    log.exception("could not seal %r", request.legal_process)
    # ruleid: confide.clinical-field-logged
    log.info("body %s", entry["text"])
    # ruleid: confide.clinical-field-logged
    log.info("order: %s", request.legal_process.scope)
    # ruleid: confide.clinical-field-logged
    log.info("body %s", getattr(entry, "text"))
    # ok: confide.clinical-field-logged
    log.info("read record %s version %d", entry.record_id, entry.version)
    # ok: confide.clinical-field-logged
    log.error("failed: %s", type(exception).__name__)
    # ok: confide.clinical-field-logged
    log.info("note of %d characters", len(entry.text))
    # ok: confide.clinical-field-logged
    console.print(f"client {client.id}, category {entry.category}")
    # ok: confide.clinical-field-logged
    sealed = seal(entry.text)
