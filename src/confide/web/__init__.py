"""The web pages: the client portal, the clinician workspace and the privacy office.

Server-rendered (Jinja2, with htmx for small live parts), served by the same application as
the API, through the same services and the same sessions (decision 0015). Nothing here reads
the store: every page asks a service, so every view is decided and audited.
"""
