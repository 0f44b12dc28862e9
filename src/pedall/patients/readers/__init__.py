"""Readers of patient input (CSV table, Turtle, JSON-LD, RDF/XML) into patient records."""
