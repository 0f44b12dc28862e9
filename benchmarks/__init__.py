"""Benchmarks of pedall's engines on generated cohorts (run by hand, never as timed tests)."""
