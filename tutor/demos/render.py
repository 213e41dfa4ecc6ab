"""Draw demo events in the terminal with rich (no Textual here; the TUI draws its own).

`DemoView` ingests events and renders the live picture: progress, sparklines of
each metric, and the latest snapshot (decision boundary, samples, heatmaps). Every
string that comes from data or from the user is placed in `Text` objects, never
parsed as markup.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tutor.demos.events import Event

SHADES = " ░▒▓█"
SPARKS = "▁▂▃▄▅▆▇█"


def shade(value: float, lo: float = 0.0, hi: float = 1.0) -> str:
    span = (hi - lo) or 1.0
    t = min(1.0, max(0.0, (value - lo) / span))
    return SHADES[min(len(SHADES) - 1, int(t * len(SHADES)))]


def sparkline(values: list[float], width: int = 40) -> str:
    """Values as a one-line bar chart at most `width` wide (low = ▁, high = █)."""
    vals = [v for v in values if v == v]  # drop NaN
    if len(vals) > width:  # the whole run, evenly thinned to fit
        vals = [vals[round(i * (len(vals) - 1) / (width - 1))] for i in range(width)]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    return "".join(SPARKS[min(7, int((v - lo) / span * 7.999))] for v in vals)


def boundary(payload: dict[str, Any]) -> Text:
    """The decision boundary as a coloured character grid, with the training points on it."""
    probs = payload["boundary"]
    rows, cols = len(probs), len(probs[0])
    pts = payload.get("points") or {}
    x0, x1, y0, y1 = pts.get("extent", [0, 1, 0, 1])
    marks: dict[tuple[int, int], int] = {}
    xs, ys, labels = pts.get("x", []), pts.get("y", []), pts.get("label", [])
    every = max(1, len(xs) // 100)  # a sample of the points, so the boundary stays visible
    for x, y, label in list(zip(xs, ys, labels, strict=False))[::every]:
        col = round((x - x0) / (x1 - x0) * (cols - 1))
        row = round((y1 - y) / (y1 - y0) * (rows - 1))
        marks[(row, col)] = label
    text = Text()
    for i, line in enumerate(probs):
        for j, p in enumerate(line):
            bg = "blue" if p < 0.5 else "red"
            strength = abs(p - 0.5) * 2
            style = f"on {'dark_' if strength < 0.6 else ''}{bg}" if strength > 0.15 else ""
            if (i, j) in marks:
                text.append(
                    "●", style=f"bold {'bright_cyan' if marks[(i, j)] == 0 else 'yellow'} {style}"
                )
            else:
                text.append(" ", style=style)
        text.append("\n")
    return text


def heatmap(
    matrix: list[list[float]],
    rows: list[str] | None = None,
    cols: list[str] | None = None,
    lo: float | None = None,
    hi: float | None = None,
    cell: int = 2,
) -> Text:
    """A matrix as shaded blocks; optional row labels on the left, column labels on top."""
    flat = [v for row in matrix for v in row]
    lo = min(flat) if lo is None else lo
    hi = max(flat) if hi is None else hi
    width = max((len(r) for r in rows), default=0) if rows else 0
    text = Text()
    if rows and cols and len(cols) == len(matrix[0]) and cell >= 2:
        # a word per column does not fit in `cell` characters ("[Cthtuexh…" it was):
        # number the columns and put the same numbers beside the row words
        numbered = [f"{r} {i:>2}" for i, r in enumerate(rows)]
        width = max(len(r) for r in numbered)
        text.append(" " * (width + 1))
        for j in range(len(cols)):
            text.append(f"{j:<{cell}}"[:cell], style="dim")
        text.append("\n")
        rows = numbered
    elif cols:
        text.append(" " * (width + 1))
        for c in cols:
            text.append(c[:cell].ljust(cell), style="dim")
        text.append("\n")
    for i, row in enumerate(matrix):
        if rows:
            text.append(rows[i].rjust(width) + " ", style="dim")
        for v in row:
            text.append(shade(v, lo, hi) * cell, style="magenta")
        text.append("\n")
    return text


def confusion_table(matrix: list[list[int]]) -> Table:
    table = Table(title="Confusion matrix (rows: true digit, columns: predicted)", box=None)
    table.add_column("", style="dim")
    for d in range(len(matrix)):
        table.add_column(str(d), justify="right")
    for t, row in enumerate(matrix):
        cells = [
            Text(str(n), style="bold green" if t == p else ("bold red" if n else "dim"))
            for p, n in enumerate(row)
        ]
        table.add_row(str(t), *cells)
    return table


def digit_images(items: list[dict[str, Any]], per_row: int = 6) -> Text:
    """8x8 digit images as block characters, side by side, captioned 'true → predicted'."""
    text = Text()
    for start in range(0, len(items), per_row):
        chunk = items[start : start + per_row]
        for row in range(8):
            for item in chunk:
                text.append("".join(shade(v) * 2 for v in item["image"][row]) + "  ")
            text.append("\n")
        for item in chunk:
            text.append(f"{item['true']} → {item['pred']}".center(16) + "  ", style="bold red")
        text.append("\n\n")
    return text


def metrics_table(metrics: dict[str, float], title: str = "Final metrics") -> Table:
    table = Table(title=title, box=None, show_header=False)
    table.add_column("metric", style="cyan")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    return table


def mean_heads(layer: list[list[list[float]]]) -> list[list[float]]:
    """One layer's attention averaged over its heads."""
    heads = len(layer)
    return [
        [sum(h[i][j] for h in layer) / heads for j in range(len(layer[0][i]))]
        for i in range(len(layer[0]))
    ]


def side_by_side(matrices: list[list[list[float]]], label: str, per_row: int = 4) -> Text:
    """Small heatmaps (one character per cell, each scaled to its own maximum) in rows."""
    out = Text()
    for start in range(0, len(matrices), per_row):
        chunk = matrices[start : start + per_row]
        width = len(chunk[0][0])
        for k in range(len(chunk)):
            out.append(f"{label} {start + k + 1}".ljust(width + 2)[: width + 2], style="dim")
        out.append("\n")
        for i in range(len(chunk[0])):
            for m in chunk:
                top = max(max(row) for row in m) or 1.0
                out.append("".join(shade(v, 0.0, top) for v in m[i]) + "  ", style="magenta")
            out.append("\n")
    return out


class DemoView:
    """Accumulates a demo's events and renders the current state (for `rich.live.Live`)."""

    def __init__(self, name: str, title: str):
        self.name = name
        self.title = title
        self.device = "?"
        self.step = 0
        self.total = 0
        self.history: dict[str, list[float]] = {}
        # the step of each value: a metric measured now and then (validation loss at
        # every sample) is drawn at its steps, not squeezed into the first few
        self.history_steps: dict[str, list[int]] = {}
        self.snapshot: dict[str, Any] = {}
        self.done: Event | None = None

    def update(self, event: Event) -> None:
        if event.kind == "start":
            self.device = event.payload.get("device_name", event.payload.get("device", "?"))
        self.step, self.total = event.step, event.total or self.total
        if event.kind != "done":  # final metrics are a table, not a point on a curve
            for key, value in event.metrics.items():
                self.history.setdefault(key, []).append(float(value))
                self.history_steps.setdefault(key, []).append(event.step)
        if event.kind == "snapshot":
            self.snapshot.update(event.payload)
        if event.kind == "done":
            self.done = event
            self.snapshot.update(event.payload)

    def curves(self) -> Table:
        table = Table(box=None, show_header=False)
        table.add_column("metric", style="cyan")
        table.add_column("curve")
        table.add_column("last", justify="right")
        for key, values in self.history.items():
            if len(values) > 2:
                table.add_row(key, Text(sparkline(values), style="green"), f"{values[-1]:.4g}")
        return table

    def picture(self) -> list[RenderableType]:
        snap = self.snapshot
        parts: list[RenderableType] = []
        if "boundary" in snap:
            parts.append(boundary(snap))
        if "samples" in snap:
            for cell, sample in snap["samples"].items():
                parts.append(
                    Text.assemble((f"{cell.upper()}: ", "bold"), sample.replace("\n", " "))
                )
        if "confusion" in snap:
            parts.append(confusion_table(snap["confusion"]))
        if snap.get("misclassified"):
            parts.append(Text("Misclassified test digits (true → predicted):", style="bold"))
            parts.append(digit_images(snap["misclassified"]))
        if "attention" in snap and "tokens" in snap:
            attn = snap["attention"]
            tokens = snap["tokens"]
            if isinstance(attn[0][0][0], list):  # all layers: each layer, then one head
                parts.append(
                    Text(
                        "Attention per layer, averaged over heads (each row a token, "
                        "first column [CLS], last [SEP]):",
                        style="bold",
                    )
                )
                parts.append(side_by_side([mean_heads(layer) for layer in attn], "layer"))
                layer, matrix = len(attn), attn[-1][0]
            else:  # one layer (a live snapshot)
                layer, matrix = snap.get("layer", "?"), attn[0]
                parts.append(Text(f"Layer {layer}, every head:", style="bold"))
                parts.append(side_by_side(attn, "head"))
            parts.append(Text(f"Layer {layer}, head 1 (each row attends to the columns):"))
            parts.append(heatmap(matrix, tokens, tokens, 0.0))
        if "positions" in snap:
            pos = snap["positions"]
            parts.append(
                Text("Position similarity: learned (MiniLM)        sinusoidal", style="bold")
            )
            left = heatmap(pos["learned_similarity"], cell=1).split()
            right = heatmap(pos["sinusoidal_similarity"], cell=1).split()
            side = Text()
            for a, b in zip(left, right, strict=False):
                side.append_text(a)
                side.append("   ")
                side.append_text(b)
                side.append("\n")
            parts.append(side)
        return parts

    def __rich__(self) -> RenderableType:
        head = Text.assemble(
            (self.title, "bold"),
            "  on ",
            (str(self.device), "bold yellow"),
            f"  step {self.step}/{self.total}",
        )
        return Group(head, self.curves(), *self.picture())
