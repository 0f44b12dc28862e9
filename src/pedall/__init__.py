"""pedall: a knowledge graph of pediatric acute lymphoblastic leukemia.

For research and education, not clinical decision-making.
"""

# The one place the version is written (pyproject.toml reads it: [tool.hatch.version]);
# a literal, so that no command pays for importlib.metadata (a fifth of `pedall --help`).
__version__ = "0.1.0"

RESEARCH_NOTICE = "For research and education only; not for clinical decision-making."

__all__ = ["RESEARCH_NOTICE", "__version__"]
