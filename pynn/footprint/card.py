"""Model cards (Mitchell et al. 2019) filled from what pynn knows about a model.

The nine sections of the paper — model details, intended use, factors, metrics,
evaluation data, training data, quantitative analyses, ethical considerations,
caveats and recommendations — are written as Markdown and as JSON. pynn fills
the architecture, parameter and MAC counts, the training configuration and
final metrics (from the History), the privacy budget, the energy and carbon of
training and the per-group metrics; what only the model's authors can know
(intended use, ethical considerations, ...) is taken from the arguments and
marked "Not stated" when absent."""
import datetime
import json
import numbers

import numpy as np

from .flops import profile

NOT_STATED = "Not stated by the model's authors."


def _plain(value):
    """JSON-ready: NumPy scalars and arrays become Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


def _history_dict(history):
    if history is None:
        return None, {}
    if isinstance(history, dict):
        return "dict", history
    if hasattr(history, "history") and isinstance(history.history, dict):
        kind = "federated" if hasattr(history, "rounds") else "fit"
        return kind, history.history
    raise TypeError(f"model_card: history must be a History (model.fit's return), a "
                    f"FederatedHistory or a dict of lists, got {type(history).__name__}")


# Keras config keys pynn accepts at their defaults only (gradient_accumulation_steps
# is implemented: it stays on the card when set, and None values are dropped anyway)
_UNUSED_OPTIMIZER_KEYS = ("name", "use_ema", "ema_momentum", "ema_overwrite_frequency",
                          "loss_scale_factor")


def _optimizer_config(cfg):
    """An optimizer's config without None and the keys above; an optimizer it
    wraps (DPSGD's, serialized as {class_name, config}) becomes {"class": ..., ...}
    the same way."""
    out = {}
    for k, v in cfg.items():
        if k in _UNUSED_OPTIMIZER_KEYS or v is None:
            continue
        if isinstance(v, dict) and "class_name" in v and isinstance(v.get("config"), dict):
            v = {"class": v["class_name"], **_optimizer_config(v["config"])}
        out[k] = v
    return out


def _training(model, history):
    kind, logs = _history_dict(history)
    opt = getattr(model, "optimizer", None)
    out = {"optimizer": None, "loss": None}
    if opt is not None:
        out["optimizer"] = {"class": type(opt).__name__, **_optimizer_config(opt.get_config())}
    loss = getattr(model, "loss", None)
    if loss is not None:
        out["loss"] = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    if kind == "federated":
        out["federated"] = dict(history.params)
        out["rounds"] = len(history.rounds)
    elif kind is not None:
        lengths = {len(v) for v in logs.values() if isinstance(v, (list, tuple))}
        out["epochs"] = max(lengths) if lengths else 0
        params = getattr(history, "params", None) or {}
        if params.get("steps") is not None:
            out["steps_per_epoch"] = params["steps"]
    out["final_metrics"] = {k: v[-1] for k, v in logs.items()
                            if isinstance(v, (list, tuple)) and v and np.ndim(v[-1]) == 0
                            and k not in ("energy_kwh", "co2_kg")}
    return out, logs


def _energy(energy, logs):
    if energy is not None:
        if hasattr(energy, "report"):
            return energy.report()
        if isinstance(energy, dict):
            return dict(energy)
        raise TypeError(f"model_card: energy must be an EnergyTracker or a dict, got "
                        f"{type(energy).__name__}")
    if "energy_kwh" in logs:  # an EnergyTracker ran during fit
        return {"energy_kwh": float(np.sum(logs["energy_kwh"])),
                "co2_kg": float(np.sum(logs.get("co2_kg", [0.0]))),
                "source": "per-epoch History entries of an EnergyTracker"}
    return None


def _privacy(privacy):
    if privacy is None:
        return None
    if isinstance(privacy, dict):
        out = dict(privacy)
    else:
        out = {k: getattr(privacy, k) for k in ("epsilon", "delta", "noise_multiplier",
                                                "max_grad_norm", "clipping_norm", "accountant")
               if getattr(privacy, k, None) is not None}
    for key in ("epsilon", "delta"):
        v = out.get(key)
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or v < 0:
            raise ValueError(f"model_card: privacy needs a number {key} >= 0 (the (ε, δ) the model "
                             f"was trained with); got {key}={v!r}")
    return out


def _leakage(privacy, audit):
    """Adds a membership-inference audit's figures to the privacy section: what
    an attack measurably learned, next to the ε that bounds every attack."""
    if audit is None:
        return privacy
    found = audit.to_dict() if hasattr(audit, "to_dict") else audit
    if not isinstance(found, dict) or not all(isinstance(found.get(k), numbers.Real)
                                              for k in ("auc", "advantage")):
        raise ValueError("model_card: audit must be a pynn.privacy.audit.AuditResult or a dict with "
                         f"numbers 'auc' and 'advantage'; got {type(audit).__name__}")
    out = dict(privacy or {})
    out["empirical_leakage"] = {k: _plain(v) for k, v in found.items()}
    return out


def _by_group(fairness):
    """{group: {metric: value}} from a dict, pynn's MetricFrame (whose by_group
    is {metric: {group: value}}) or a MetricFrame-like `.by_group` (a dict, or a
    pandas DataFrame / Series, as Fairlearn's)."""
    from ..fairness import MetricFrame
    if isinstance(fairness, MetricFrame):
        table = fairness.by_group if isinstance(fairness.overall, dict) else \
            {"metric": fairness.by_group}  # a frame of one metric: {group: value}
        return {str(g): {m: table[m][g] for m in table} for g in fairness.groups}
    by = getattr(fairness, "by_group", fairness)
    if hasattr(by, "to_dict"):  # pandas
        table = by.to_dict(orient="index") if hasattr(by, "columns") else {
            g: {getattr(by, "name", None) or "metric": v} for g, v in by.to_dict().items()}
    else:
        table = by
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise TypeError("model_card: fairness must be {group: {metric: value}} or an object with "
                        f".by_group in that shape; got {type(fairness).__name__}")
    return {str(g): dict(m) for g, m in table.items()}


def _fairness(fairness, sensitive_feature):
    if fairness is None:
        return None
    groups = _by_group(fairness)
    metrics = sorted({m for row in groups.values() for m in row})
    summary = {}
    for m in metrics:
        values = [row[m] for row in groups.values() if isinstance(row.get(m), numbers.Real)]
        if values:
            lo, hi = min(values), max(values)
            summary[m] = {"min": lo, "max": hi, "difference": hi - lo,
                          "ratio": (lo / hi) if hi else None}
    out = {"sensitive_feature": sensitive_feature, "by_group": groups, "summary": summary}
    overall = getattr(fairness, "overall", None)
    if overall is not None:
        out["overall"] = overall.to_dict() if hasattr(overall, "to_dict") else overall
    return out


def _architecture(model, prof):
    rows = []
    for c in prof.layers:
        rows.append({"name": c.name, "class": c.cls,
                     "output_shape": list(c.output_shape) if c.output_shape is not None else None,
                     "params": c.params, "macs": c.macs})
    trainable = int(sum(w.size for w in model.trainable_weights))
    return {"model_class": type(model).__name__, "name": model.name,
            "input_shape": _plain(getattr(model, "input_shape", None)),
            "output_shape": _plain(getattr(model, "output_shape", None)),
            "layers": rows, "params": prof.params, "trainable_params": trainable,
            "non_trainable_params": prof.params - trainable,
            "macs_per_sample": prof.macs, "flops_per_sample": prof.flops,
            "counts_complete": prof.complete,
            "conventions": prof.to_dict()["conventions"]}


def _text(value):
    if value is None:
        return NOT_STATED
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value)


class ModelCard:
    """A filled model card (Mitchell et al., 2019), as `model_card` returns it.

    Render it with ``to_markdown()`` (Jupyter shows it as Markdown), or get it
    as data with ``to_dict()`` / ``to_json()``; ``save(path)`` writes both.

    Parameters
    ----------
    content : dict
        The card's sections.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(8,)), pynn.layers.Dense(2)])
    >>> card = pynn.footprint.model_card(model, name="Demo classifier",
    ...                                  privacy={"epsilon": 2.0, "delta": 1e-5})
    >>> card.to_markdown().splitlines()[0]
    '# Model card: Demo classifier'
    """

    def __init__(self, content):
        self.content = _plain(content)

    def to_dict(self):
        """Returns the card as JSON-ready data.

        Returns
        -------
        dict

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(8,)), pynn.layers.Dense(2)])
        >>> card = pynn.footprint.model_card(model, name="Demo classifier",
        ...                                  privacy={"epsilon": 2.0, "delta": 1e-5})
        >>> card.to_dict()["model_details"]["name"]
        'Demo classifier'
        """
        return json.loads(self.to_json(indent=None))

    def to_json(self, indent=2):
        # default=str: an object a user passed (e.g. an explainer) is written by its str()
        """Returns the card as JSON text (objects the authors passed are written by their str()).

        Parameters
        ----------
        indent : int or None, default 2
            Indentation of the JSON.

        Returns
        -------
        str

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(8,)), pynn.layers.Dense(2)])
        >>> card = pynn.footprint.model_card(model, name="Demo classifier",
        ...                                  privacy={"epsilon": 2.0, "delta": 1e-5})
        >>> import json
        >>> json.loads(card.to_json()) == card.to_dict()
        True
        """
        return json.dumps(self.content, indent=indent, ensure_ascii=False, default=str)

    def save(self, path):
        """Writes the card to ``<path>.md`` and ``<path>.json`` (a trailing .md / .json is dropped).

        Parameters
        ----------
        path : str or path-like
            The file name without extension.

        Returns
        -------
        tuple of str
            The two paths written.

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(8,)), pynn.layers.Dense(2)])
        >>> card = pynn.footprint.model_card(model, name="Demo classifier",
        ...                                  privacy={"epsilon": 2.0, "delta": 1e-5})
        >>> import os, tempfile
        >>> md, js = card.save(os.path.join(tempfile.mkdtemp(), "card.md"))
        >>> os.path.basename(md), os.path.basename(js)
        ('card.md', 'card.json')
        """
        stem = str(path)
        for ext in (".md", ".json"):
            if stem.endswith(ext):
                stem = stem[:-len(ext)]
        with open(stem + ".md", "w", encoding="utf-8") as f:
            f.write(self.to_markdown())
        with open(stem + ".json", "w", encoding="utf-8") as f:
            f.write(self.to_json())
        return stem + ".md", stem + ".json"

    def _repr_markdown_(self):
        return self.to_markdown()

    def to_markdown(self):
        """Returns the card as a Markdown document, one section per heading of Mitchell et al.

        Returns
        -------
        str

        Examples
        --------
        >>> model = pynn.Sequential([pynn.Input(shape=(8,)), pynn.layers.Dense(2)])
        >>> card = pynn.footprint.model_card(model, name="Demo classifier",
        ...                                  privacy={"epsilon": 2.0, "delta": 1e-5})
        >>> "## Model details" in card.to_markdown()
        True
        """
        from .card_markdown import render
        return render(self.content)


def model_card(model, history=None, data=None, privacy=None, fairness=None, energy=None,
               explanations=None, name=None, description=None, version=None, authors=None,
               license=None, intended_use=None, out_of_scope=None, factors=None,
               sensitive_feature=None, ethical_considerations=None, caveats=None, audit=None):
    """Fills a model card from what pynn knows about a model: architecture, training, privacy,
    fairness, energy.

    Sections follow Mitchell et al. (2019). The architecture and cost come from
    the model (`profile`); training from the History; privacy, fairness and
    energy from what you pass. Sections nobody stated are marked "Not stated".

    Parameters
    ----------
    model : Model
        A built pynn model.
    history : History, FederatedHistory or dict, optional
        ``model.fit``'s History, a federated history or ``{key: [values]}``.
    data : dict, optional
        ``{"training": ..., "evaluation": ...}``, each a description or a dict
        (name, size, source, preprocessing, ...).
    privacy : dict or object, optional
        ``{"epsilon": ..., "delta": ...}`` or an object with .epsilon and .delta.
    fairness : dict or MetricFrame, optional
        ``{group: {metric: value}}`` or a MetricFrame-like object.
    energy : EnergyTracker or dict, optional
        An EnergyTracker or its report (default: the energy entries of the history).
    explanations : list or dict, optional
        The explanation methods used on the model.
    name, description, version, authors, license : str, optional
        The model details in the authors' words.
    intended_use, out_of_scope, factors, ethical_considerations, caveats : str, optional
        Those sections in the authors' words.
    sensitive_feature : str, optional
        The attribute that defines the fairness groups.
    audit : AuditResult or dict, optional
        A membership-inference audit (`pynn.privacy.audit`); shown as the
        "empirical leakage" next to ε.

    Returns
    -------
    ModelCard

    Raises
    ------
    TypeError
        Not a pynn Model.
    ValueError
        The model is not built.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(8,)), pynn.layers.Dense(2)])
    >>> card = pynn.footprint.model_card(model, name="Demo",
    ...                                  fairness={"a": {"accuracy": 0.9}, "b": {"accuracy": 0.8}},
    ...                                  sensitive_feature="group")
    >>> list(card.to_dict())[:3]
    ['schema', 'model_details', 'intended_use']
    """
    from ..models import Model
    if not isinstance(model, Model):
        raise TypeError(f"model_card expects a pynn Model, got {type(model).__name__}")
    if data is not None and not isinstance(data, dict):
        raise TypeError(f"model_card: data must be a dict like {{'training': ..., 'evaluation': ...}}, "
                        f"got {type(data).__name__}")
    prof = profile(model)
    training, logs = _training(model, history)
    data = data or {}
    fair = _fairness(fairness, sensitive_feature)
    from .. import __version__
    content = {
        "schema": "Mitchell et al. 2019 model card, written by pynn",
        "model_details": {
            "name": name or model.name, "description": _text(description), "version": version,
            "authors": authors, "license": license, "framework": f"pynn {__version__}",
            "date": datetime.date.today().isoformat(),
            "architecture": _architecture(model, prof),
            "training": training,
            "privacy": _leakage(_privacy(privacy), audit),
            "footprint": {"params": prof.params, "macs_per_sample": prof.macs,
                          "flops_per_sample": prof.flops, "energy": _energy(energy, logs)},
        },
        "intended_use": {"primary_uses": _text(intended_use), "out_of_scope": _text(out_of_scope)},
        "factors": {"relevant_factors": _text(factors),
                    "evaluated_groups": sorted(fair["by_group"]) if fair else None,
                    "sensitive_feature": sensitive_feature},
        "metrics": {"reported": sorted(training["final_metrics"]),
                    "per_group": sorted(fair["summary"]) if fair else [],
                    "explanations": _plain(explanations)},
        "evaluation_data": _text(data.get("evaluation")) if not isinstance(data.get("evaluation"), dict)
        else data["evaluation"],
        "training_data": _text(data.get("training")) if not isinstance(data.get("training"), dict)
        else data["training"],
        "quantitative_analyses": {"final_metrics": training["final_metrics"], "fairness": fair},
        "ethical_considerations": _text(ethical_considerations),
        "caveats_and_recommendations": _text(caveats),
    }
    return ModelCard(content)
