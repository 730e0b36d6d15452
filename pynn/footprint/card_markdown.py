"""The Markdown face of a model card (the content dict card.py builds)."""
import numbers


def _num(v):
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, numbers.Integral):
        return f"{v:,}"
    if isinstance(v, numbers.Real):
        return f"{v:.3e}" if v and abs(v) < 1e-3 else f"{v:.4g}"
    return str(v)


def _cell(v):
    return _num(v).replace("|", "\\|")


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _prose(value):
    if isinstance(value, list):
        return [f"- {v}" for v in value]
    if isinstance(value, dict):
        return [f"- **{k}**: {_num(v) if not isinstance(v, (dict, list)) else v}" for k, v in value.items()]
    return [str(value)]


def _architecture(a):
    out = ["### Architecture", ""]
    out += _table(["Layer", "Type", "Output shape", "Params", "MACs"],
                  [[r["name"], r["class"], "(" + ", ".join(["None"] + [str(d) for d in r["output_shape"]])
                    + ")" if r["output_shape"] is not None else "?", r["params"],
                    r["macs"] if r["macs"] is not None else "?"] for r in a["layers"]])
    out += ["", f"- Parameters: {_num(a['params'])} ({_num(a['trainable_params'])} trainable, "
                f"{_num(a['non_trainable_params'])} non-trainable)",
            f"- MACs per sample: {_num(a['macs_per_sample'])} — {a['conventions']['macs']}",
            f"- FLOPs per sample: {_num(a['flops_per_sample'])} — {a['conventions']['flops']}"]
    if not a["counts_complete"]:
        out.append("- Some layers could not be counted (\"?\"); the totals leave them out.")
    return out


def _call(opt):
    """Class(arg=value, ...) of an optimizer config; a wrapped optimizer nests."""
    def arg(v):
        if isinstance(v, dict) and "class" in v:
            return _call(v)
        if isinstance(v, list):
            return "[" + ", ".join(arg(x) for x in v) + "]"
        return _num(v)
    return f"{opt['class']}(" + ", ".join(f"{k}={arg(v)}" for k, v in opt.items() if k != "class") + ")"


def _training(t):
    out = ["### Training", ""]
    opt = t.get("optimizer")
    if opt:
        out.append(f"- Optimizer: {_call(opt)}")
    if t.get("loss"):
        out.append(f"- Loss: {t['loss']}")
    if "federated" in t:
        fed = t["federated"]
        out.append(f"- Federated: {t['rounds']} rounds over {fed.get('num_clients')} clients, "
                   f"{fed.get('strategy')}")
    if "epochs" in t:
        out.append(f"- Epochs: {t['epochs']}")
    if "steps_per_epoch" in t:
        out.append(f"- Steps per epoch: {t['steps_per_epoch']}")
    return out


def _privacy(p):
    out = ["### Privacy", ""]
    leak = (p or {}).get("empirical_leakage")
    if p is None or "epsilon" not in p:
        out.append("No differential-privacy guarantee was reported for this model.")
    else:
        out.append(f"- Differential privacy: ε = {_num(p['epsilon'])}, δ = {_num(p['delta'])}")
        out += [f"- {k}: {_num(v)}" for k, v in p.items()
                if k not in ("epsilon", "delta", "empirical_leakage")]
    if leak is not None:
        low = "".join(f", TPR {_num(leak[k])} at FPR {k.rsplit('_', 1)[1]}"
                      for k in ("tpr_at_fpr_0.1%", "tpr_at_fpr_1%") if k in leak)
        out.append(f"- Empirical leakage (membership inference, {leak.get('attack', 'audit')}): "
                   f"attack AUC {_num(leak['auc'])}, advantage {_num(leak['advantage'])}{low}")
    return out


def _footprint(f):
    out = ["### Compute and energy", ""]
    e = f.get("energy")
    if e is None:
        return out + ["Training energy was not measured (pass an EnergyTracker to fit)."]
    out.append(f"- Energy: {_num(e.get('energy_kwh'))} kWh, carbon: {_num(e.get('co2_kg'))} kg CO2e")
    out += [f"- {k}: {_num(v) if not isinstance(v, list) else ', '.join(map(str, v))}"
            for k, v in e.items() if k not in ("energy_kwh", "co2_kg")]
    return out


def _quantitative(q):
    out = ["## Quantitative analyses", ""]
    if q["final_metrics"]:
        out += ["Final values of the training history:", ""]
        out += _table(["Metric", "Value"], sorted(q["final_metrics"].items()))
        out.append("")
    fair = q.get("fairness")
    if fair:
        metrics = sorted({m for row in fair["by_group"].values() for m in row})
        feature = fair.get("sensitive_feature") or "group"
        out += [f"Per-group metrics by {feature}:", ""]
        out += _table([feature] + metrics,
                      [[g] + [row.get(m) for m in metrics] for g, row in fair["by_group"].items()])
        out += ["", "Disparities (max − min and min / max over groups):", ""]
        out += _table(["Metric", "Difference", "Ratio"],
                      [[m, s["difference"], s["ratio"]] for m, s in fair["summary"].items()])
        out.append("")
    if not q["final_metrics"] and not fair:
        out.append("No metrics were given.")
    return out


def render(c):
    d = c["model_details"]
    out = [f"# Model card: {d['name']}", "",
           f"_Written by {d['framework']} on {d['date']}, with the sections of Mitchell et al. "
           f"(2019), Model Cards for Model Reporting._", "", "## Model details", ""]
    out += [f"- Description: {d['description']}"]
    out += [f"- {k.capitalize()}: {d[k]}" for k in ("version", "authors", "license") if d.get(k)]
    out += ["", *_architecture(d["architecture"]), "", *_training(d["training"]), "",
            *_privacy(d["privacy"]), "", *_footprint(d["footprint"]), ""]
    out += ["## Intended use", "", "Primary uses:", "", *_prose(c["intended_use"]["primary_uses"]), "",
            "Out of scope:", "", *_prose(c["intended_use"]["out_of_scope"]), ""]
    f = c["factors"]
    out += ["## Factors", "", *_prose(f["relevant_factors"])]
    if f["evaluated_groups"]:
        out += ["", f"Evaluated groups ({f['sensitive_feature'] or 'group'}): "
                    + ", ".join(f["evaluated_groups"])]
    m = c["metrics"]
    out += ["", "## Metrics", "",
            "- Reported: " + (", ".join(m["reported"]) or "none"),
            "- Per group: " + (", ".join(m["per_group"]) or "none")]
    if m.get("explanations"):
        ex = m["explanations"]
        out.append("- Explanations used: " + (", ".join(map(str, ex)) if isinstance(ex, list) else str(ex)))
    out += ["", "## Evaluation data", "", *_prose(c["evaluation_data"]), "",
            "## Training data", "", *_prose(c["training_data"]), "", *_quantitative(c["quantitative_analyses"]),
            "## Ethical considerations", "", *_prose(c["ethical_considerations"]), "",
            "## Caveats and recommendations", "", *_prose(c["caveats_and_recommendations"]), ""]
    return "\n".join(out)
