"""The decision benchmark: confide's ``decide`` against Cedar, Casbin and OPA Rego.

Two scenarios, the same requests for every engine: a practice of many clients with a few
consents each (requests spread over all clients), and one heavy client with many consents
(requests pinned to that client). Every peer must permit exactly the categories confide
permits, on every request, or the run fails.
"""
