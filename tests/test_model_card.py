"""pynn.footprint.model_card: Mitchell et al.'s sections filled from the model,
its History, privacy budget, energy and per-group metrics, as JSON and Markdown."""
import json

import numpy as np
import pytest

import pynn
from pynn import federated as fl
from pynn import footprint as fp

SECTIONS = ["model_details", "intended_use", "factors", "metrics", "evaluation_data", "training_data",
            "quantitative_analyses", "ethical_considerations", "caveats_and_recommendations"]


@pytest.fixture
def trained():
    pynn.layers.clear_session()
    pynn.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:2] > 0).astype(np.float32)
    m = pynn.Sequential([pynn.Input(shape=(4,)), pynn.Dense(8, activation="relu"),
                         pynn.BatchNormalization(), pynn.Dense(1, activation="sigmoid")])
    m.compile(pynn.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, epochs=4, batch_size=30, verbose=0, validation_split=0.25)
    return m, h


def test_json_holds_architecture_training_and_final_metrics(trained):
    m, h = trained
    card = fp.model_card(m, history=h, name="toy", version="1.0", license="MIT")
    d = json.loads(card.to_json())
    assert d == card.to_dict() and SECTIONS == [k for k in d if k != "schema"]
    details = d["model_details"]
    assert (details["name"], details["version"], details["license"]) == ("toy", "1.0", "MIT")
    arch = details["architecture"]
    prof = fp.profile(m)
    assert [r["name"] for r in arch["layers"]] == ["dense", "batch_normalization", "dense_1"]
    assert [r["macs"] for r in arch["layers"]] == [4 * 8 + 8 + 8, 2 * 8, 8 + 1]
    assert arch["params"] == m.count_params() == 40 + 32 + 9
    assert (arch["trainable_params"], arch["non_trainable_params"]) == (40 + 16 + 9, 16)
    assert arch["macs_per_sample"] == prof.macs and arch["flops_per_sample"] == prof.flops
    assert details["footprint"]["macs_per_sample"] == prof.macs
    training = details["training"]
    assert training["optimizer"]["class"] == "Adam"
    assert training["optimizer"]["learning_rate"] == pytest.approx(0.02)
    assert training["loss"] == "binary_crossentropy" and training["epochs"] == 4
    assert training["steps_per_epoch"] == 3  # 90 training rows in batches of 30
    final = d["quantitative_analyses"]["final_metrics"]
    assert final == {k: pytest.approx(v[-1]) for k, v in h.history.items()}
    assert set(final) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert d["metrics"]["reported"] == sorted(final)
    assert details["privacy"] is None and details["footprint"]["energy"] is None
    assert d["intended_use"]["primary_uses"] == fp.card.NOT_STATED


def test_privacy_from_a_dict_or_an_object(trained):
    m, _ = trained
    d = fp.model_card(m, privacy={"epsilon": 7.32911117143, "delta": 1e-5, "noise_multiplier": 1.5}).to_dict()
    assert d["model_details"]["privacy"] == {"epsilon": 7.32911117143, "delta": 1e-5,
                                             "noise_multiplier": 1.5}

    class Budget:  # what a privacy engine / accountant hands back
        epsilon, delta, noise_multiplier, max_grad_norm = np.float64(3.0), 1e-6, 1.1, 1.0

    p = fp.model_card(m, privacy=Budget()).to_dict()["model_details"]["privacy"]
    assert p == {"epsilon": 3.0, "delta": 1e-6, "noise_multiplier": 1.1, "max_grad_norm": 1.0}
    with pytest.raises(ValueError, match="privacy needs a number delta"):
        fp.model_card(m, privacy={"epsilon": 1.0})


def test_per_group_metrics_and_their_disparities(trained):
    m, _ = trained
    groups = {"female": {"accuracy": np.float32(0.875), "selection_rate": 0.25},
              "male": {"accuracy": 0.75, "selection_rate": 0.5}}
    d = fp.model_card(m, fairness=groups, sensitive_feature="sex").to_dict()
    fair = d["quantitative_analyses"]["fairness"]
    assert fair["by_group"]["female"]["accuracy"] == 0.875
    assert fair["summary"]["selection_rate"] == {"min": 0.25, "max": 0.5, "difference": 0.25,
                                                 "ratio": 0.5}
    assert fair["summary"]["accuracy"]["difference"] == pytest.approx(0.125)
    assert d["factors"]["evaluated_groups"] == ["female", "male"]
    assert d["metrics"]["per_group"] == ["accuracy", "selection_rate"]


def test_metric_frame_like_object_with_pandas(trained):
    pd = pytest.importorskip("pandas")
    m, _ = trained

    class Frame:  # the shape of fairlearn's MetricFrame
        by_group = pd.DataFrame({"accuracy": [0.9, 0.6], "recall": [0.8, 0.4]},
                                index=pd.Index(["a", "b"], name="group"))
        overall = pd.Series({"accuracy": 0.8, "recall": 0.7})

    fair = fp.model_card(m, fairness=Frame()).to_dict()["quantitative_analyses"]["fairness"]
    assert fair["by_group"] == {"a": {"accuracy": 0.9, "recall": 0.8}, "b": {"accuracy": 0.6, "recall": 0.4}}
    assert fair["overall"] == {"accuracy": 0.8, "recall": 0.7}
    assert fair["summary"]["recall"]["ratio"] == pytest.approx(0.5)
    with pytest.raises(TypeError, match="group: {metric: value}"):
        fp.model_card(m, fairness={"a": 0.5})


def test_a_wrapped_optimizer_is_written_as_nested_arguments():
    pynn.layers.clear_session()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(1, activation="sigmoid")])
    m.compile(pynn.privacy.DPSGD(l2_norm_clip=1.0, noise_multiplier=1.1, learning_rate=0.1, seed=0),
              "binary_crossentropy")
    h = m.fit(x, (x[:, :1] > 0).astype(np.float32), batch_size=16, epochs=1, verbose=0)
    card = fp.model_card(m, history=h)
    opt = card.to_dict()["model_details"]["training"]["optimizer"]
    assert opt["class"] == "DPSGD" and opt["noise_multiplier"] == pytest.approx(1.1)
    assert opt["optimizer"] == {"class": "SGD", "learning_rate": pytest.approx(0.1), "momentum": 0.0,
                                "nesterov": False}
    assert opt["accountant_history"] == [[pytest.approx(1.1), 0.25, 4]]  # q = 16 / 64, 4 steps
    line = next(t for t in card.to_markdown().splitlines() if t.startswith("- Optimizer:"))
    assert line == ("- Optimizer: DPSGD(l2_norm_clip=1, noise_multiplier=1.1, delta=1.000e-05, "
                    "poisson_sampling=True, secure_mode=False, seed=0, clipping_mode=auto, "
                    "stream_version=2, optimizer=SGD(learning_rate=0.1, momentum=0, nesterov=False), "
                    "accountant_history=[[1.1, 0.25, 4]])")


def test_pynns_own_metric_frame_is_read_group_by_group(trained):
    from pynn import fairness as fair_mod
    m, _ = trained
    y = np.array([1, 0, 1, 1, 0, 0])
    p = np.array([1, 0, 0, 1, 1, 0])
    sex = np.array(["f", "f", "f", "m", "m", "m"])
    frame = fair_mod.MetricFrame(metrics={"tpr": fair_mod.true_positive_rate,
                                          "selection_rate": fair_mod.selection_rate},
                                 y_true=y, y_pred=p, sensitive_features=sex)
    fair = fp.model_card(m, fairness=frame, sensitive_feature="sex").to_dict()[
        "quantitative_analyses"]["fairness"]
    assert fair["by_group"] == {"f": {"tpr": 0.5, "selection_rate": pytest.approx(1 / 3)},
                                "m": {"tpr": 1.0, "selection_rate": pytest.approx(2 / 3)}}
    assert fair["summary"]["tpr"] == {"min": 0.5, "max": 1.0, "difference": 0.5, "ratio": 0.5}
    assert fair["overall"] == {"tpr": pytest.approx(2 / 3), "selection_rate": 0.5}
    one = fair_mod.MetricFrame(metrics=fair_mod.selection_rate, y_true=y, y_pred=p,
                               sensitive_features=sex)
    by = fp.model_card(m, fairness=one).to_dict()["quantitative_analyses"]["fairness"]["by_group"]
    assert by == {"f": {"metric": pytest.approx(1 / 3)}, "m": {"metric": pytest.approx(2 / 3)}}


def test_energy_from_a_tracker_or_from_the_history(trained):
    m, _ = trained
    x = np.zeros((16, 4), np.float32)
    tracker = fp.EnergyTracker(method="cpu_load", tdp=10.0, ram_power=0.0)
    h = m.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[tracker])
    e = fp.model_card(m, history=h, energy=tracker).to_dict()["model_details"]["footprint"]["energy"]
    assert e["energy_kwh"] == pytest.approx(tracker.total_energy_kwh) and e["method"] == "cpu_load"
    assert e["tdp_w"] == 10.0 and e["carbon_intensity_g_per_kwh"] == 475.0
    from_history = fp.model_card(m, history=h).to_dict()["model_details"]["footprint"]["energy"]
    assert from_history["energy_kwh"] == pytest.approx(sum(h.history["energy_kwh"]))
    assert from_history["co2_kg"] == pytest.approx(sum(h.history["co2_kg"]))
    card = fp.model_card(m, history=h).to_dict()
    assert "energy_kwh" not in card["quantitative_analyses"]["final_metrics"]


def test_federated_history_and_data_descriptions(trained):
    m, _ = trained
    x = np.random.default_rng(1).normal(size=(40, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    h = fl.simulate(m, fl.split_iid(x, y, 2, seed=0), rounds=2, test_data=(x, y))
    d = fp.model_card(m, history=h, data={"training": {"name": "synthetic", "rows": 40},
                                          "evaluation": "the training rows again"}).to_dict()
    training = d["model_details"]["training"]
    assert training["rounds"] == 2 and training["federated"]["num_clients"] == 2
    assert "FedAvg" in training["federated"]["strategy"]
    assert d["quantitative_analyses"]["final_metrics"]["test_accuracy"] == pytest.approx(
        h.history["test_accuracy"][-1])
    assert d["training_data"] == {"name": "synthetic", "rows": 40}
    assert d["evaluation_data"] == "the training rows again"


def test_markdown_has_every_section_and_the_numbers(trained, tmp_path):
    m, h = trained
    card = fp.model_card(m, history=h, privacy={"epsilon": 2.5, "delta": 1e-5},
                         fairness={"a": {"accuracy": 0.9}, "b": {"accuracy": 0.6}},
                         sensitive_feature="site", explanations=["IntegratedGradients", "KernelSHAP"],
                         intended_use=["Teaching", "Demos"], caveats="Synthetic data only.")
    md = card.to_markdown()
    for heading in ["# Model card: sequential", "## Model details", "### Architecture", "### Training",
                    "### Privacy", "### Compute and energy", "## Intended use", "## Factors",
                    "## Metrics", "## Evaluation data", "## Training data", "## Quantitative analyses",
                    "## Ethical considerations", "## Caveats and recommendations"]:
        assert heading + "\n" in md
    assert "| dense | Dense | (None, 8) | 40 | 48 |" in md
    assert "- Differential privacy: ε = 2.5, δ = 1.000e-05" in md
    assert "| a | 0.9 |" in md and "| accuracy | 0.3 | 0.6667 |" in md
    assert "- Teaching\n- Demos" in md and "Synthetic data only." in md
    assert "- Explanations used: IntegratedGradients, KernelSHAP" in md
    md_path, json_path = card.save(tmp_path / "card.json")
    assert md_path.endswith("card.md") and open(md_path, encoding="utf-8").read() == md
    assert json.load(open(json_path, encoding="utf-8")) == card.to_dict()


def test_bad_input(trained):
    m, h = trained
    with pytest.raises(TypeError, match="expects a pynn Model"):
        fp.model_card("model")
    with pytest.raises(TypeError, match="history must be"):
        fp.model_card(m, history=[1, 2])
    with pytest.raises(TypeError, match="data must be a dict"):
        fp.model_card(m, data="iris")
    with pytest.raises(TypeError, match="energy must be"):
        fp.model_card(m, energy=3.0)
