"""The ``pedall`` command line."""
