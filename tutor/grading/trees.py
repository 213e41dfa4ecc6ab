"""Boosted decision trees evaluated with numpy: the learned grader's classifier at run time.

Why not scikit-learn at run time: importing it costs a few hundred ms on a
2-core machine and `tutor grade` must answer cold in well under 1.5 s. The
fit script trains scikit-learn's GradientBoostingClassifier and writes each
tree's public arrays (feature, threshold, children, leaf values); evaluating
them is a few lines. `tests/test_grade.py` checks this against scikit-learn
on the same trees.
"""

from __future__ import annotations

import numpy as np


def to_json(model) -> dict:
    """The trees of a fitted sklearn GradientBoostingClassifier (3 classes), as JSON data."""
    trees = []
    for row in model.estimators_:
        per_class = []
        for estimator in row:
            t = estimator.tree_
            per_class.append(
                {
                    "feature": t.feature.tolist(),
                    "threshold": [round(float(x), 7) for x in t.threshold],
                    "left": t.children_left.tolist(),
                    "right": t.children_right.tolist(),
                    "value": [round(float(x), 7) for x in t.value[:, 0, 0]],
                }
            )
        trees.append(per_class)
    init = model.init_.predict_proba(np.zeros((1, model.n_features_in_)))[0]
    return {
        "learning_rate": model.learning_rate,
        "prior": [float(np.log(max(p, 1e-12))) for p in init],
        "trees": trees,
    }


class Forest:
    """A 3-class model's trees as padded numpy arrays, all walked at once.

    The grader scores one answer at a time; walking its 750 trees node by node
    in Python took about 3 ms an answer, a tenth of its latency budget. Here
    each step moves every tree down one level together (at most the trees'
    depth in steps).
    """

    def __init__(self, model: dict) -> None:
        flat = [(k, tree) for per_class in model["trees"] for k, tree in enumerate(per_class)]
        width = max(len(tree["left"]) for _, tree in flat)

        def padded(key: str, dtype) -> np.ndarray:
            out = np.full((len(flat), width), -1, dtype=dtype)
            for i, (_, tree) in enumerate(flat):
                out[i, : len(tree[key])] = tree[key]
            return out

        self.left, self.right = padded("left", np.int64), padded("right", np.int64)
        self.feature = np.maximum(padded("feature", np.int64), 0)  # leaves: never read
        self.threshold, self.value = padded("threshold", np.float64), padded("value", np.float64)
        self.klass = np.array([k for k, _ in flat])
        self.prior = np.array(model["prior"], dtype=np.float64)
        self.rate = model["learning_rate"]
        self._rows = np.arange(len(flat))

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities for one feature row (the multinomial deviance's softmax)."""
        rows, node = self._rows, np.zeros(len(self._rows), dtype=np.int64)
        while True:
            left = self.left[rows, node]
            inner = left != -1
            if not inner.any():
                break
            go_left = x[self.feature[rows, node]] <= self.threshold[rows, node]
            node = np.where(inner, np.where(go_left, left, self.right[rows, node]), node)
        leaves = np.bincount(self.klass, self.value[rows, node], minlength=len(self.prior))
        raw = self.prior + self.rate * leaves
        p = np.exp(raw - raw.max())
        return p / p.sum()


def prepare(model: dict) -> dict:
    """A binary model's trees as numpy arrays, for `log_odds` (done once, at load)."""
    keys = ("left", "right", "feature", "threshold", "value")
    return {
        "offset": model["prior"][1] - model["prior"][0],
        "learning_rate": model["learning_rate"],
        "trees": [tuple(np.asarray(tree[k]) for k in keys) for (tree,) in model["trees"]],
    }


def log_odds(prepared: dict, rows: np.ndarray) -> np.ndarray:
    """Log-odds of the positive class for many rows of a binary model at once.

    Each tree is walked for all rows together, one level per step, so scoring
    the ~30 passages of a search costs a few numpy calls per tree, not a Python
    loop per row. `prepared` comes from `prepare`.
    """
    rows = np.asarray(rows, dtype=np.float64)
    raw = np.full(len(rows), prepared["offset"], dtype=np.float64)
    index = np.arange(len(rows))
    for left, right, feature, threshold, value in prepared["trees"]:
        node = np.zeros(len(rows), dtype=np.int64)
        while True:
            inner = left[node] != -1
            if not inner.any():
                break
            go_left = rows[index, np.maximum(feature[node], 0)] <= threshold[node]
            node = np.where(inner, np.where(go_left, left[node], right[node]), node)
        raw += prepared["learning_rate"] * value[node]
    return raw
