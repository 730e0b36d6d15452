"""utils.plot_model: the layer graph as a picture, as ``keras.utils.plot_model``
draws it — with pydot and Graphviz's ``dot`` when both are installed (any format
dot writes), else as an SVG drawn here (layers placed by depth, arrows between
them), so a picture never needs more than NumPy."""
import html
import os
import shutil

__all__ = ["plot_model"]


def _graph(model, show_shapes, show_layer_names, show_layer_activations, show_trainable):
    """(nodes, edges): nodes are (id, label lines); edges (source id, target id)."""
    from .functional import input_layer_of
    from .models import Functional, Sequential

    def describe(name, cls, layer, shape):
        head = f"{name} ({cls})" if show_layer_names else cls
        lines = [head]
        if show_layer_activations and layer is not None and hasattr(layer, "activation"):
            act = getattr(layer.activation, "__name__", str(layer.activation))
            lines.append(f"activation: {act}")
        if show_shapes and shape is not None:
            lines.append(f"output: {tuple(shape)}")
        if show_trainable and layer is not None:
            lines.append(f"trainable: {layer.trainable}")
        return lines

    nodes, edges = [], []
    if isinstance(model, Sequential):
        prev = None
        if model._declared_shape() is not None:
            nodes.append(("input", describe("input_layer", "InputLayer", None,
                                            model._declared_shape())))
            prev = "input"
        for layer in model.layers:
            nodes.append((id(layer), describe(layer.name, type(layer).__name__, layer,
                                              getattr(layer, "output_shape", None))))
            if prev is not None:
                edges.append((prev, id(layer)))
            prev = id(layer)
        return nodes, edges
    if not isinstance(model, Functional):
        raise ValueError(f"plot_model: '{model.name}' is a subclassed model, which has no graph "
                         "to draw (build it with the functional API or Sequential)")
    for t in model._inputs:
        nodes.append((id(t), describe(input_layer_of(t).name, "InputLayer", None, t.shape)))
    seen = set()
    for _, t in model._calls:
        if id(t.layer) not in seen:
            seen.add(id(t.layer))
            nodes.append((id(t.layer), describe(t.layer.name, type(t.layer).__name__, t.layer,
                                                t.shape)))
        for src in t.inputs:
            edge = (id(src) if src.layer is None else id(src.layer), id(t.layer))
            if edge not in edges:
                edges.append(edge)
    return nodes, edges


def _depths(nodes, edges):
    """Longest path from a source, per node (the row it is drawn in)."""
    depth = {n: 0 for n, _ in nodes}
    for _ in range(len(nodes)):  # edges are few; relax until nothing changes
        changed = False
        for a, b in edges:
            if depth[b] < depth[a] + 1:
                depth[b] = depth[a] + 1
                changed = True
        if not changed:
            break
    return depth


def _svg(nodes, edges, rankdir):
    """An SVG of boxes in rows by depth (columns for rankdir LR) joined by arrows."""
    char_w, line_h, pad, gap_x, gap_y = 7.2, 16, 10, 30, 40
    depth = _depths(nodes, edges)
    labels = dict(nodes)
    size = {n: (max(len(s) for s in lines) * char_w + 2 * pad, len(lines) * line_h + 2 * pad)
            for n, lines in nodes}
    ranks = {}
    for n, _ in nodes:
        ranks.setdefault(depth[n], []).append(n)
    pos, lr = {}, rankdir == "LR"
    offset = 20.0
    for r in sorted(ranks):
        row = ranks[r]
        thick = max(size[n][0 if lr else 1] for n in row)
        along = 20.0
        for n in row:
            w, h = size[n]
            pos[n] = (offset, along) if lr else (along, offset)
            along += (h if lr else w) + gap_x
        offset += thick + gap_y
    width = max(x + size[n][0] for n, (x, y) in pos.items()) + 20
    height = max(y + size[n][1] for n, (x, y) in pos.items()) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'font-family="monospace" font-size="12">',
           '<defs><marker id="arrow" markerWidth="10" markerHeight="7" refX="10" refY="3.5" '
           'orient="auto"><polygon points="0 0, 10 3.5, 0 7"/></marker></defs>']
    for a, b in edges:
        (xa, ya), (wa, ha) = pos[a], size[a]
        (xb, yb), (wb, hb) = pos[b], size[b]
        if lr:
            x1, y1, x2, y2 = xa + wa, ya + ha / 2, xb, yb + hb / 2
        else:
            x1, y1, x2, y2 = xa + wa / 2, ya + ha, xb + wb / 2, yb
        out.append(f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                   'stroke="black" marker-end="url(#arrow)"/>')
    for n, _ in nodes:
        (x, y), (w, h) = pos[n], size[n]
        out.append(f'<g class="node"><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                   f'height="{h:.1f}" fill="white" stroke="black"/>')
        for i, line in enumerate(labels[n]):
            out.append(f'<text x="{x + pad:.1f}" y="{y + pad + (i + 0.8) * line_h:.1f}">'
                       f'{html.escape(line)}</text>')
        out.append('</g>')
    out.append('</svg>')
    return "\n".join(out) + "\n"


def _pydot_graph(nodes, edges, rankdir, dpi):
    import pydot
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=str(dpi))
    dot.set_node_defaults(shape="record")
    for n, lines in nodes:
        label = "\\n".join(line.replace("{", "\\{").replace("}", "\\}").replace("|", "\\|")
                           .replace("<", "\\<").replace(">", "\\>") for line in lines)
        dot.add_node(pydot.Node(str(n), label=label))
    for a, b in edges:
        dot.add_edge(pydot.Edge(str(a), str(b)))
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draws the model's layer graph to a file (``keras.utils.plot_model``).

    With pydot and Graphviz's ``dot`` installed, ``dot`` writes the file in the
    format of its extension (png, svg, pdf...). Without them an ``.svg`` is drawn
    by pynn itself (other extensions then raise, naming what to install).

    Parameters
    ----------
    model : Sequential or functional Model
        The model.
    to_file : str or path, default "model.png"
        The file to write.
    show_shapes : bool, default False
        Add each layer's output shape.
    show_dtype : bool, default False
        Accepted (pynn computes in float32).
    show_layer_names : bool, default True
        Label boxes ``name (Class)`` rather than ``Class``.
    rankdir : {"TB", "LR"}, default "TB"
        Top to bottom or left to right.
    expand_nested : bool, default False
        Only False (a nested model is one box).
    dpi : int, default 200
        Resolution for Graphviz's raster formats.
    show_layer_activations : bool, default False
        Add each layer's activation.
    show_trainable : bool, default False
        Add whether each layer is trainable.
    **kwargs
        Must be empty.

    Returns
    -------
    str
        The path written.

    Raises
    ------
    ValueError
        A subclassed model, a bad ``rankdir``, or ``expand_nested=True``.
    ImportError
        A non-SVG file without pydot and Graphviz.

    Examples
    --------
    >>> import os, tempfile
    >>> inp = pynn.Input(shape=(4,), name="features")
    >>> out = pynn.layers.Dense(1, name="score")(pynn.layers.Dense(8, name="hidden")(inp))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.svg")
    >>> written = pynn.utils.plot_model(pynn.Model(inp, out), to_file=path, show_shapes=True)
    >>> "hidden (Dense)" in open(written).read()
    True
    """
    if kwargs:
        raise TypeError(f"plot_model: unexpected argument(s) {sorted(kwargs)}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR', got {rankdir!r}")
    if expand_nested:
        raise ValueError("plot_model: expand_nested=True is not supported")
    to_file = os.fspath(to_file)
    ext = os.path.splitext(to_file)[1].lstrip(".").lower() or "png"
    nodes, edges = _graph(model, show_shapes, show_layer_names, show_layer_activations,
                          show_trainable)
    if _graphviz_available():
        _pydot_graph(nodes, edges, rankdir, dpi).write(to_file, format=ext)
        return to_file
    if ext != "svg":
        raise ImportError(f"plot_model: writing .{ext} needs pydot and Graphviz's dot (pip install "
                          "pydot; apt install graphviz); without them pynn draws SVG: pass "
                          "to_file='model.svg'")
    with open(to_file, "w", encoding="utf-8") as f:
        f.write(_svg(nodes, edges, rankdir))
    return to_file


def _graphviz_available():
    try:
        import pydot  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None
