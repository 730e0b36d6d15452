"""Pictures of explanations (matplotlib, optional: pip install "pynn[plot]").
Each function draws on `ax` (a new figure when None) and returns the Axes."""
import re

import numpy as np

_POS, _NEG = "#d62728", "#1f77b4"   # red pushes the output up, blue pulls it down


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("pynn.explain plots need matplotlib: pip install 'pynn[plot]'") from None
    return plt


def _axes(ax, figsize):
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=figsize)
    return ax


def _pairs(attributions, feature_names, label):
    """(names, values) from a 1-d array, [(name, weight)] or a LIME Explanation."""
    if hasattr(attributions, "as_list"):
        attributions = attributions.as_list(label)
    if isinstance(attributions, (list, tuple)) and attributions and isinstance(attributions[0], tuple):
        return [str(n) for n, _ in attributions], np.array([w for _, w in attributions], np.float64)
    values = np.asarray(attributions, np.float64)
    if values.ndim != 1:
        raise ValueError(f"plot_attributions: expected one value per feature (a 1-d array), got "
                         f"shape {values.shape}; pick one example, e.g. attributions[0]")
    names = [str(i) for i in range(len(values))] if feature_names is None else \
        [str(n) for n in feature_names]
    if len(names) != len(values):
        raise ValueError(f"plot_attributions: {len(names)} feature_names for {len(values)} values")
    return names, values


def plot_attributions(attributions, feature_names=None, top_k=None, label=1, ax=None, title=None):
    """Draws attributions as horizontal bars, the largest |attribution| on top (needs matplotlib).

    Red bars raise the output, blue ones lower it.

    Parameters
    ----------
    attributions : array_like, list or Explanation
        One example's values (1-D), a list of (name, weight), or a LIME
        Explanation.
    feature_names : list of str, optional
        Names for a 1-D array.
    top_k : int, optional
        Show only the k largest.
    label : int, default 1
        The label of a LIME Explanation.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    title : str, optional
        The title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install 'pynn[plot]'``).
    ValueError
        Attributions that are not one example's.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> ax = pynn.explain.plot_attributions(np.array([0.5, -2.0, 1.0]),
    ...                                     feature_names=["a", "b", "c"])
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['b', 'c', 'a']
    """
    names, values = _pairs(attributions, feature_names, label)
    order = np.argsort(-np.abs(values), kind="stable")[:top_k]
    ax = _axes(ax, (6, 0.35 * len(order) + 1.2))
    rows = np.arange(len(order))[::-1]
    ax.barh(rows, values[order], color=[_POS if v > 0 else _NEG for v in values[order]])
    ax.set_yticks(rows)
    ax.set_yticklabels([names[i] for i in order])
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("attribution")
    if title:
        ax.set_title(title)
    return ax


def plot_image_attributions(attribution, image=None, sign="all", cmap=None, alpha=0.6, ax=None,
                            title=None):
    """Draws one image's attribution as a heatmap, over the image in grey when given (needs
    matplotlib).

    Parameters
    ----------
    attribution : array_like
        ``(H, W)`` or channels-last ``(H, W, C)`` (summed over channels).
    image : array_like, optional
        The image to show underneath.
    sign : str, default "all"
        "all" (diverging, centred at 0), "positive", "negative" or "absolute_value".
    cmap : str, optional
        A matplotlib colormap.
    alpha : float, default 0.6
        Opacity over the image.
    ax : matplotlib Axes, optional
        Where to draw.
    title : str, optional
        The title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        matplotlib is not installed.
    ValueError
        Not one image's attribution, or an unknown sign.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> ax = pynn.explain.plot_image_attributions(np.ones((4, 4, 3)))
    >>> ax.images[0].get_array().shape
    (4, 4)
    """
    a = np.asarray(attribution, np.float64)
    if a.ndim == 3:
        a = a.sum(axis=-1)
    if a.ndim != 2:
        raise ValueError(f"plot_image_attributions: expected one image's attribution (H, W) or "
                         f"(H, W, C), got shape {np.shape(attribution)}")
    transforms = {"all": lambda v: v, "positive": lambda v: np.maximum(v, 0),
                  "negative": lambda v: np.maximum(-v, 0), "absolute_value": np.abs}
    if sign not in transforms:
        raise ValueError(f"plot_image_attributions: sign must be one of {list(transforms)}, got "
                         f"{sign!r}")
    a = transforms[sign](a)
    ax = _axes(ax, (4, 4))
    if image is not None:
        img = np.asarray(image, np.float64)
        if img.ndim == 3:
            img = img.mean(axis=-1)
        if img.shape != a.shape:
            raise ValueError(f"plot_image_attributions: image of shape {np.shape(image)} does not "
                             f"match the attribution's {a.shape}")
        ax.imshow(img, cmap="gray")
    limit = float(np.abs(a).max()) or 1.0
    if sign == "all":
        heat = ax.imshow(a, cmap=cmap or "RdBu_r", vmin=-limit, vmax=limit,
                         alpha=alpha if image is not None else 1.0)
    else:
        heat = ax.imshow(a, cmap=cmap or "hot", vmin=0.0, vmax=limit,
                         alpha=alpha if image is not None else 1.0)
    ax.figure.colorbar(heat, ax=ax, fraction=0.046)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def plot_text_attributions(tokens, weights, label=1, ax=None, width=60):
    """Draws words on coloured backgrounds: red raises the output, blue lowers it (needs
    matplotlib).

    Parameters
    ----------
    tokens : list of str or str
        Words with one weight each, or the text itself.
    weights : sequence, dict or Explanation
        One weight per word, or with a text a ``{word: weight}`` dict or a LIME
        text Explanation.
    label : int, default 1
        The label of a LIME Explanation.
    ax : matplotlib Axes, optional
        Where to draw.
    width : int, default 60
        Characters per line.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        matplotlib is not installed.
    TypeError
        A text without a dict or Explanation of weights.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> ax = pynn.explain.plot_text_attributions(["a", "good", "movie"], [0.0, 0.8, -0.1])
    >>> [text.get_text() for text in ax.texts]
    ['a', 'good', 'movie']
    """
    if isinstance(tokens, str):
        if hasattr(weights, "as_list"):
            weights = dict(weights.as_list(label))
        if not isinstance(weights, dict):
            raise TypeError("plot_text_attributions: with the text as a str, weights must be a "
                            "{word: weight} dict or a LIME Explanation")
        words = [w.strip() for w in re.split(r"(\W+)", tokens) if w.strip()]
        values = [float(weights.get(w, 0.0)) for w in words]
    else:
        words = [str(t) for t in tokens]
        values = [float(v) for v in np.asarray(weights, np.float64).reshape(-1)]
        if len(words) != len(values):
            raise ValueError(f"plot_text_attributions: {len(words)} tokens for {len(values)} weights")
    scale = max((abs(v) for v in values), default=0.0) or 1.0
    lines, line = [], []
    for word, value in zip(words, values):  # wrap by characters, so no renderer is needed
        if line and sum(len(w) + 1 for w, _ in line) + len(word) > width:
            lines.append(line)
            line = []
        line.append((word, value))
    lines.append(line)
    ax = _axes(ax, (0.12 * width, 0.45 * len(lines) + 0.4))
    from matplotlib.colors import to_rgba
    # monospace glyphs are about 0.6 em wide: the font size that fits `width` characters
    axes_points = ax.get_position().width * ax.figure.get_figwidth() * 72
    fontsize = min(12.0, axes_points / (0.62 * width))
    for r, line in enumerate(lines):
        x = 0
        for word, value in line:
            base = _POS if value > 0 else _NEG
            face = to_rgba(base, alpha=0.85 * abs(value) / scale)
            ax.text(x / width, 1 - (r + 0.5) / len(lines), word, family="monospace", fontsize=fontsize,
                    va="center", ha="left", bbox=dict(facecolor=face, edgecolor="none", pad=1.5))
            x += len(word) + 1
    ax.set_axis_off()
    return ax
