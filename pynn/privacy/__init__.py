"""pynn.privacy: differentially private training and its privacy accounting.

* `DPSGD` / `make_private`: DP-SGD inside `model.fit` (per-example clipping,
  Gaussian noise, Poisson sampling; in C), see `pynn.privacy.dpsgd`.
* `RDPAccountant`, `compute_rdp`, `get_privacy_spent`, `get_noise_multiplier`:
  the RDP accountant of Opacus / TF-Privacy, see `pynn.privacy.accountant`.
* `he`: encrypted inference of Dense models on CKKS ciphertexts (TenSEAL,
  optional: ``pip install pynn[he]``), see `pynn.privacy.he`.
* `audit`: membership-inference attacks (loss threshold, shadow models) that
  measure what a trained model leaks: AUC, advantage, TPR at low FPR.
"""
from .accountant import (DEFAULT_ORDERS, RDPAccountant, compute_rdp, get_noise_multiplier,
                         get_privacy_spent)
from .dpsgd import DPSGD, make_private
from . import audit
from . import he  # noqa: F401  (TenSEAL itself is imported only when used; not in __all__,
#                   so the API walk of tests/test_docs.py does not need the optional extra)

__all__ = ["DPSGD", "make_private", "RDPAccountant", "compute_rdp", "get_privacy_spent",
           "get_noise_multiplier", "DEFAULT_ORDERS", "audit"]


def __dir__():
    return sorted(__all__)
