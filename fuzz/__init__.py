"""Coverage-guided fuzzing (atheris) of every parser of outside input (decision 0019).

Each target is a module of this package with a ``test_one_input(data: bytes)`` whose property
is the same: for any bytes, the parser returns a valid value or refuses them with the
project's own documented error (``InvalidValue`` and its subclasses, ``Unsupported``, or the
framework's validation error where the framework refuses a body before confide sees it).
Any other exception, a hang or a crash is a finding.

``python -m fuzz [--seconds N] [TARGET...]`` runs each target in its own process for a bounded
time; see ``fuzz/__main__.py``.
"""

TARGETS = (
    "fhir_consent",
    "fhir_search",
    "rule_pack",
    "api_bodies",
    "web_forms",
    "audit_checkpoint",
    "csrf_form",
    "backup_header",
)
