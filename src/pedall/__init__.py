"""pedall: a knowledge graph of pediatric acute lymphoblastic leukemia.

For research and education, not clinical decision-making.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pedall")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"

RESEARCH_NOTICE = "For research and education only; not for clinical decision-making."

__all__ = ["RESEARCH_NOTICE", "__version__"]
