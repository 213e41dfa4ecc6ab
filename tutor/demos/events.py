"""Progress events that every demo yields, for the CLI, the TUI and the tests alike.

An event is plain data (numbers, strings, lists, dicts) so it can be drawn by any
front end, compared in a test or written out as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["start", "progress", "snapshot", "done"]


@dataclass
class Event:
    """One step of a demo.

    - ``start``: once, first; ``payload`` has ``device``, ``device_name`` and the run's settings.
    - ``progress``: metrics after a training step or an evaluation (``step`` of ``total``).
    - ``snapshot``: drawing data (a decision boundary, samples, a heatmap) in ``payload``.
    - ``done``: once, last; ``metrics`` are the final metrics, ``payload`` carries
      ``cancelled`` and whatever the final picture needs.
    """

    kind: Kind
    step: int = 0
    total: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
