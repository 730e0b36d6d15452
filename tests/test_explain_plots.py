"""Explanation plots draw what they are given (matplotlib, skipped without it)."""
import numpy as np
import pytest

from pynn.explain import (LimeTextExplainer, plot_attributions, plot_image_attributions,
                          plot_text_attributions)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_bar_chart_sorted_by_magnitude_and_coloured_by_sign():
    ax = plot_attributions(np.array([0.5, -2.0, 0.1, 1.0]), feature_names=["a", "b", "c", "d"])
    bars = ax.patches
    # drawn bottom-up, so the top bar (largest |value|) is the last row index
    by_row = sorted(bars, key=lambda b: -b.get_y())
    np.testing.assert_allclose([b.get_width() for b in by_row], [-2.0, 1.0, 0.5, 0.1])
    ticks = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]), reverse=True)
    assert [name for _, name in ticks] == ["b", "d", "a", "c"]  # top to bottom
    assert by_row[0].get_facecolor() != by_row[1].get_facecolor()
    assert len(plot_attributions(np.arange(5.0), top_k=2).patches) == 2
    ax = plot_attributions([("x <= 1", 0.3), ("y > 2", -0.1)])
    assert {t.get_text() for t in ax.get_yticklabels()} == {"x <= 1", "y > 2"}


def test_image_heatmap_sums_channels_and_overlays():
    attr = np.random.default_rng(0).normal(size=(6, 5, 3))
    ax = plot_image_attributions(attr)
    np.testing.assert_allclose(ax.images[0].get_array(), attr.sum(axis=-1))
    lim = np.abs(attr.sum(-1)).max()
    assert ax.images[0].get_clim() == pytest.approx((-lim, lim))
    ax = plot_image_attributions(attr, image=np.ones((6, 5)), sign="absolute_value")
    assert len(ax.images) == 2
    np.testing.assert_allclose(ax.images[1].get_array(), np.abs(attr.sum(axis=-1)))


def test_highlighted_text_from_a_lime_explanation():
    def clf(texts):
        p = np.array([0.2 + 0.6 * ("great" in t) for t in texts])
        return np.c_[1 - p, p]

    text = "a great and long film"
    exp = LimeTextExplainer().explain_instance(text, clf, num_samples=200, random_state=0)
    ax = plot_text_attributions(text, exp)
    assert [t.get_text() for t in ax.texts] == text.split()
    alphas = {t.get_text(): t.get_bbox_patch().get_facecolor()[3] for t in ax.texts}
    assert alphas["great"] == pytest.approx(0.85) and max(v for k, v in alphas.items()
                                                          if k != "great") < 0.2
    ax = plot_text_attributions(["up", "down"], [1.0, -1.0])
    up, down = (t.get_bbox_patch().get_facecolor() for t in ax.texts)
    assert up[0] > up[2] and down[2] > down[0]  # red for positive, blue for negative


def test_bad_input_errors():
    with pytest.raises(ValueError, match="1-d"):
        plot_attributions(np.ones((2, 3)))
    with pytest.raises(ValueError, match="2 feature_names for 3 values"):
        plot_attributions(np.ones(3), feature_names=["a", "b"])
    with pytest.raises(ValueError, match="sign"):
        plot_image_attributions(np.ones((2, 2)), sign="both")
    with pytest.raises(ValueError, match="does not match"):
        plot_image_attributions(np.ones((2, 2)), image=np.ones((3, 3)))
    with pytest.raises(ValueError, match="2 tokens for 3 weights"):
        plot_text_attributions(["a", "b"], [1, 2, 3])
    with pytest.raises(TypeError, match="dict or a LIME Explanation"):
        plot_text_attributions("some text", [1.0, 2.0])
