"""The HTTP API and its FHIR R4 facade: a thin shell over the services (decision 0014)."""
