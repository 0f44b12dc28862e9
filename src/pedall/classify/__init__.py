"""Classification: the risk schemes as data, missing-data completion, the two engines."""
