"""What the benchmark scripts share (not a benchmark: ``make bench`` runs ``bench/*.py`` only)."""
