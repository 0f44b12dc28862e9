"""Validation: the data-quality shapes checked on patient records, and the report."""
