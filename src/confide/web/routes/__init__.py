"""The web pages' routes, one module per area."""
