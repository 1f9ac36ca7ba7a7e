"""The API's routes, one module per use-case family."""
