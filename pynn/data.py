"""Data helpers: train_test_split, to_categorical, batches."""
