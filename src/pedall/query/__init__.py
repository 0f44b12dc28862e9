"""Queries: the SPARQL policy and runner, the query library, linked-data export."""
