"""pynn's fuzz harness: Hypothesis strategies over the public API and a corpus
of hostile files (see __main__ for the long run, tests/test_fuzz.py for the
short one in the suite, FUZZ_README_SNIPPET.md for the documentation)."""
