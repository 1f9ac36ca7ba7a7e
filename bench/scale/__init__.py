"""``python -m bench scale``: a large synthetic practice bulk-loaded into PostgreSQL, and the
cost of five requests over HTTP as the practice grows."""
