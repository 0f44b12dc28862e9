"""Cohorts: large patient tables classified or validated as a stream, in batches over the cores."""
