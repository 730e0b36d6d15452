"""Canonical Keras examples (keras.io "getting started" style), ported to pynn by
changing only the import: every example takes the module it would have imported
(`keras` or `pynn`) as its `keras` argument and uses nothing else.

Each module defines
    data()              -> NumPy arrays shared by both runs
    build(keras)        -> a model (built, so weights can be copied across)
    run(keras, model, data, tmpdir) -> a dict of results to compare
Run one by hand with `python -m tests.keras_examples.<name> [pynn|keras]`.
"""
