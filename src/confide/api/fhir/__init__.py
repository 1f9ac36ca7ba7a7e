"""The FHIR R4 facade: Consent, AuditEvent, Patient and the CapabilityStatement."""
