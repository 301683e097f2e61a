"""`make bench`: the app served as in production, loaded from separate processes, with an
in-run reference for every measure so that the results are ratios (see bench/RESULTS.md)."""
