"""What a model costs: parameters, MACs and FLOPs per layer and per sample
(ptflops' and keras-flops' conventions), training energy and carbon (RAPL
counters or CodeCarbon's CPU-load estimate) as a fit callback, and model cards
that report all of it with the model's metrics, privacy budget and per-group
results."""
from .card import ModelCard, model_card  # noqa: F401
from .energy import (CpuLoadMeter, EnergyTracker, RaplMeter, RaplUnavailable,  # noqa: F401
                     WORLD_CARBON_INTENSITY, estimate_dimms, ram_power_watts)
from .flops import (LayerCost, Profile, count_flops, count_macs, layer_cost, profile,  # noqa: F401
                    register_counter)

__all__ = ["ModelCard", "model_card", "CpuLoadMeter", "EnergyTracker", "RaplMeter",
           "RaplUnavailable", "WORLD_CARBON_INTENSITY", "estimate_dimms", "ram_power_watts",
           "LayerCost", "Profile", "count_flops", "count_macs", "layer_cost", "profile",
           "register_counter"]


def __dir__():
    return sorted(__all__)
