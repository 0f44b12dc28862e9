"""Helpers for testing and benchmarking pedall: nothing in the package imports them.

``pedall.testing.cohort`` generates deterministic synthetic cohorts (CSV patient tables).
"""
