"""model.summary(): Keras 3's table, drawn without `rich`.

Keras renders the summary with a rich table (box HEAVY_HEAD, show_lines=True);
the column widths below reproduce rich's arithmetic for that table so the text
is the same as Keras' captured (uncoloured) summary:

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ dense (Dense)                   │ (None, 64)             │         1,984 │
    └─────────────────────────────────┴────────────────────────┴───────────────┘
     Total params: 1,984 (7.75 KB)
     Trainable params: 1,984 (7.75 KB)
     Non-trainable params: 0 (0.00 B)
"""
import html
import shutil

_BYTES_PER_PARAM = 4  # float32 everywhere in pynn


def readable_memory_size(nbytes):
    """Keras' byte formatting: `64.00 B`, `10.29 KB`, `1.50 MB` (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if nbytes / 1024 < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):  # several inputs/outputs
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _functional_structure(model):
    """(rows, sequential_like) for a functional model: an InputLayer row per
    input, then one row per layer with the tensors it was called on."""
    from .functional import input_layer_of
    inputs = list(model._inputs)
    in_names = [input_layer_of(t).name for t in inputs]
    calls = [t for _, t in model._calls]
    # node index: the how-many-th call of the same layer (Keras' layer[node][tensor])
    node_of, per_layer = {}, {}
    for t in calls:
        n = per_layer.get(id(t.layer), 0)
        node_of[id(t)] = n
        per_layer[id(t.layer)] = n + 1

    def ref(t):
        if t.layer is None:
            k = next(i for i, x in enumerate(inputs) if x is t)
            return f"{in_names[k]}[0][0]"
        for c in calls:  # the recorded call that produced t (same layer, same inputs)
            if c.layer is t.layer and len(c.inputs) == len(t.inputs) and all(
                    a is b for a, b in zip(c.inputs, t.inputs)):
                return f"{t.layer.name}[{node_of[id(c)]}][{t.index}]"
        return f"{t.layer.name}[0][{t.index}]"

    rows = []
    for name, t in zip(in_names, inputs):
        rows.append({"name": name, "cls": "InputLayer", "shape": _format_shape(t.shape),
                     "params": "0", "connected": "-", "layer": None})
    seen = {}
    for t in calls:
        layer = t.layer
        conn = ", ".join(ref(i) for i in t.inputs) or "-"
        if id(layer) in seen:  # shared layer: one row, every call listed
            seen[id(layer)]["connected"] += ", " + conn
            continue
        row = {"name": layer.name, "cls": type(layer).__name__,
               "shape": _format_shape(getattr(layer, "output_shape", None)),
               "params": _params(layer), "connected": conn, "layer": layer}
        seen[id(layer)] = row
        rows.append(row)
    # Keras calls a graph "sequential-like" (no "Connected to" column) when it is
    # a chain: one input, every layer called once on the previous output.
    chain = len(inputs) == 1 and len(per_layer) == len(calls)
    prev = inputs[0] if inputs else None
    for t in calls:
        if not chain:
            break
        chain = len(t.inputs) == 1 and t.inputs[0] is prev
        prev = t
    return rows, chain


def _params(layer):
    if not getattr(layer, "built", False):
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _rows(model):
    if not model.built and getattr(model, "_declared_shape", lambda: None)() is not None:
        model.build()  # Keras builds a Sequential as soon as its input shape is known
    if hasattr(model, "_calls") and hasattr(model, "_inputs"):
        return _functional_structure(model)
    rows = []
    for layer in model.layers:
        built = getattr(layer, "built", False)
        rows.append({"name": layer.name, "cls": type(layer).__name__,
                     "shape": _format_shape(layer.output_shape) if built else "?",
                     "params": _params(layer), "connected": None, "layer": layer})
    return rows, True


def _trainable_mark(layer):
    if layer is None or not layer.weights:
        return "-"
    return "Y" if layer.trainable else "N"


def _layout(sequential_like, show_trainable, line_length=None, show_macs=False):
    """Column headers, alignments and content widths as rich computes them."""
    if sequential_like:
        default, positions = 88, [0.45, 0.80, 1.0]
        header, align = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default, positions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    if show_trainable:
        default += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    if show_macs:  # pynn's addition (not in Keras): an 18-character MACs column after "Param #"
        shares = [b - a for a, b in zip([0.0] + positions[:-1], positions)]
        shares = [f * default / (default + 18) for f in shares]
        default += 18
        shares.insert(3, 18 / default)
        positions = [sum(shares[:i + 1]) for i in range(len(shares) - 1)] + [1.0]
        header.insert(3, "MACs")
        align.insert(3, "right")
    default = min(default, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default
    widths, current = [], 0
    for pos in positions:
        w = int(pos * line_length) - current
        if w < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(w)
        current += w
    # rich: each cell is width + 2 padding; the table must fit line_length
    # minus its vertical borders, and fixed-width columns shrink evenly
    # (rich.table ratio_reduce with equal ratios, banker's rounding).
    cells = [w + 2 for w in widths]
    budget = line_length - (len(cells) + 1)
    excess = sum(cells) - budget
    if excess > 0:
        remaining, ratio_left, out = excess, len(cells), []
        for c in cells:
            d = min(c, round(remaining / ratio_left))
            out.append(c - d)
            remaining -= d
            ratio_left -= 1
        cells = out
    return header, align, [max(1, c - 2) for c in cells]


def _wrap(text, width):
    """Word-wrap to width as rich does for Keras' columns (overflow="ellipsis"):
    break at spaces; a word longer than the cell gets its own line, cut with "…"."""
    lines, line = [], ""
    for word in text.split(" "):
        if len(word) > width:
            if line:
                lines.append(line)
            lines.append(word[:max(0, width - 1)] + "…")
            line = ""
            continue
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line or not lines:
        lines.append(line)
    return lines


def _justify(text, width, align):
    if align == "right":
        return text.rjust(width)
    if align == "center":
        return text.center(width)
    return text.ljust(width)


def _table(header, align, widths, body):
    def rule(left, fill, mid, right):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def row(cells, edge):
        wrapped = [_wrap(c, w) for c, w in zip(cells, widths)]
        height = max(len(w) for w in wrapped)
        out = []
        for i in range(height):
            parts = [_justify(w[i] if i < len(w) else "", width, a)
                     for w, width, a in zip(wrapped, widths, align)]
            out.append(edge + edge.join(f" {p} " for p in parts) + edge)
        return out

    lines = [rule("┏", "━", "┳", "┓")]
    lines += row(header, "┃")
    if body:
        lines.append(rule("┡", "━", "╇", "┩"))
        for i, cells in enumerate(body):
            if i:
                lines.append(rule("├", "─", "┼", "┤"))
            lines += row(cells, "│")
        lines.append(rule("└", "─", "┴", "┘"))
    else:
        lines.append(rule("└", "─", "┴", "┘"))
    return lines


def _counts(model):
    trainable = sum(int(w.size) for w in model.trainable_weights)
    frozen = sum(int(w.size) for w in model.non_trainable_weights)
    opt = getattr(model, "optimizer", None)
    opt_count = opt_bytes = None
    if getattr(model, "compiled", False) and opt is not None and getattr(opt, "built", False):
        # Keras counts the optimizer's variables: its state arrays, the int64
        # iteration counter and (unless it is a schedule) the float32 learning rate.
        state = sum(int(a.size) for a in opt.get_state()[1])
        has_lr_var = getattr(opt, "_lr_schedule", None) is None
        opt_count = state + 1 + int(has_lr_var)
        opt_bytes = state * 4 + 8 + 4 * int(has_lr_var)
    return trainable, frozen, opt_count, opt_bytes


def _footer(model):
    trainable, frozen, opt_count, opt_bytes = _counts(model)
    total = trainable + frozen + (opt_count or 0)
    total_bytes = (trainable + frozen) * _BYTES_PER_PARAM + (opt_bytes or 0)
    lines = [("Total params", total, total_bytes),
             ("Trainable params", trainable, trainable * _BYTES_PER_PARAM),
             ("Non-trainable params", frozen, frozen * _BYTES_PER_PARAM)]
    if opt_count is not None:
        lines.append(("Optimizer params", opt_count, opt_bytes))
    return lines


def _macs(model):
    """(cell text per layer id, footer lines) for the optional MACs column."""
    from .footprint import profile
    from .footprint.flops import profiled_layers
    if not model.built:
        return {}, [" MACs per sample: ? (the model is not built)"]
    prof = profile(model)
    cells = {id(layer): ("?" if c.macs is None else f"{c.macs:,}")
             for layer, c in zip(profiled_layers(model), prof.layers)}
    more = "" if prof.complete else " (known layers only)"
    footer = [f" MACs per sample: {prof.macs:,}{more} (ptflops' convention)",
              f" FLOPs per sample: {prof.flops:,}{more} (keras-flops': 2 per MAC + other ops)"]
    return cells, footer


def _mac_cell(cells, layer):
    return "0" if layer is None else cells.get(id(layer), "?")


def summary_text(model, show_trainable=False, line_length=None, show_macs=False):
    """The summary as one string (what Model.summary prints). show_macs adds a
    per-sample MACs column and MAC / FLOP totals (pynn.footprint's counts)."""
    rows, sequential_like = _rows(model)
    header, align, widths = _layout(sequential_like, show_trainable, line_length, show_macs)
    mac_cells, mac_footer = _macs(model) if show_macs else ({}, [])
    body = []
    for r in rows:
        cells = [f"{r['name']} ({r['cls']})", r["shape"], r["params"]]
        if show_macs:
            cells.append(_mac_cell(mac_cells, r["layer"]))
        if not sequential_like:
            cells.append(r["connected"] or "-")
        if show_trainable:
            cells.append(_trainable_mark(r["layer"]))
        body.append(cells)
    lines = [f'Model: "{model.name}"'] + _table(header, align, widths, body)
    lines += [f" {label}: {count:,} ({readable_memory_size(nbytes)})"
              for label, count, nbytes in _footer(model)]
    return "\n".join(lines + mac_footer)


def summary_html(model, show_trainable=False, show_macs=False):
    """The same table as HTML (Jupyter's rich display of a model)."""
    rows, sequential_like = _rows(model)
    mac_cells, mac_footer = _macs(model) if show_macs else ({}, [])
    header = ["Layer (type)", "Output Shape", "Param #"] + (["MACs"] if show_macs else [])
    if not sequential_like:
        header.append("Connected to")
    if show_trainable:
        header.append("Trainable")
    e = html.escape
    out = [f'<div class="pynn-summary"><p><b>Model: "{e(model.name)}"</b></p>',
           '<table style="border-collapse:collapse"><thead><tr>']
    for i, h in enumerate(header):
        side = "right" if h in ("Param #", "MACs") else "left"
        out.append(f'<th style="text-align:{side};border-bottom:2px solid;padding:2px 8px">'
                   f"{e(h)}</th>")
    out.append("</tr></thead><tbody>")
    for r in rows:
        cells = [f"{e(r['name'])} (<span style=\"color:#0087ff\">{e(r['cls'])}</span>)",
                 e(r["shape"]), e(r["params"])]
        if show_macs:
            cells.append(_mac_cell(mac_cells, r["layer"]))
        if not sequential_like:
            cells.append(e(r["connected"] or "-"))
        if show_trainable:
            cells.append(_trainable_mark(r["layer"]))
        right = (2, 3) if show_macs else (2,)
        out.append("<tr>" + "".join(
            f'<td style="text-align:{"right" if j in right else "left"};border-bottom:1px solid #ccc;'
            f'padding:2px 8px">{c}</td>' for j, c in enumerate(cells)) + "</tr>")
    out.append("</tbody></table><p>")
    out.append("<br>".join([f"<b>{label}:</b> {count:,} ({readable_memory_size(nbytes)})"
                            for label, count, nbytes in _footer(model)]
                           + [e(line.strip()) for line in mac_footer]))
    out.append("</p></div>")
    return "".join(out)
