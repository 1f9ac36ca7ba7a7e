"""The HTTP benchmark: a protected record read against an unprotected route of the same app."""
