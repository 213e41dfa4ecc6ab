"""Every number in the worked examples of lessons 13-22 is recomputed here.

Each test names the lesson file and the section it checks. A test recomputes a
result from scratch (by hand-written arithmetic, or with numpy, scikit-learn or torch)
and then checks that the lesson states that result: ``expect(text, "0.727", value)``
asserts that the literal string ``0.727`` appears in the section and that the
recomputed ``value`` agrees with it. Lesson text is hard-wrapped, so whitespace is
normalised before searching.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

CONTENT = Path(__file__).resolve().parents[1] / "content"


def section(filename: str, title: str) -> str:
    """The text of the `## title` section of a lesson, its `###` subsections included."""
    lines = (CONTENT / filename).read_text(encoding="utf-8").splitlines()
    body: list[str] = []
    inside = False
    in_fence = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            inside = line[3:].strip() == title
            continue
        if inside:
            body.append(line)
    assert body, f"{filename}: no section {title!r}"
    return re.sub(r"\s+", " ", "\n".join(body))


def number(literal: str) -> float:
    """The last number in a literal such as '€110,000', '15%', 'Q1 = 32.5' or '1.36 GB'."""
    text = literal.replace(",", "").replace("−", "-")
    found = re.findall(r"-?\d+(?:\.\d+)?", text)
    assert found, literal
    value = float(found[-1])
    return value / 100 if "%" in text else value


def expect(text: str, literal: str, computed: float, rel: float = 0.02, value: float | None = None):
    """`literal` appears in `text`, and `computed` matches it (or `value`) within `rel`."""
    assert literal in text, f"{literal!r} not found in the section"
    target = number(literal) if value is None else value
    assert computed == pytest.approx(target, rel=rel, abs=1e-9), (literal, computed)


def kmeans_1d(points, centres, max_rounds=10):
    """Plain k-means in one dimension; returns the centres after every update."""
    history = []
    for _ in range(max_rounds):
        groups = [[] for _ in centres]
        for p in points:
            groups[min(range(len(centres)), key=lambda i: abs(p - centres[i]))].append(p)
        new = [sum(g) / len(g) for g in groups]
        if new == centres:
            break
        centres = new
        history.append(new)
    return history


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1]


def iou(a, b):
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def digits_split(test_size=0.25, random_state=0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=test_size, random_state=random_state)


# ---------------------------------------------------------------- 13-learning-paradigms.md

L13 = "13-learning-paradigms.md"


def test_13_supervised_digits_accuracy_matches_lesson_19():
    """13 › Supervised learning › An example with real data: about 95%, as in lesson 19."""
    from sklearn.linear_model import LogisticRegression

    X_tr, X_te, y_tr, y_te = digits_split()
    acc = LogisticRegression(max_iter=2000).fit(X_tr, y_tr).score(X_te, y_te)
    text = section(L13, "Supervised learning")
    expect(text, "1,797", 1797)
    expect(text, "about 95%", acc, rel=0.01)


def test_13_unsupervised_kmeans_by_hand():
    """13 › Unsupervised learning › k-means by hand: centres 1.5 and 9, then 2 and 11."""
    history = kmeans_1d([1, 2, 3, 10, 11, 12], [2, 3])
    assert history == [[1.5, 9.0], [2.0, 11.0]]
    text = section(L13, "Unsupervised learning")
    expect(text, "(1 + 2) / 2 = 1.5", history[0][0], value=1.5)
    expect(text, "(3 + 10 + 11 + 12) / 4 = 9", history[0][1], value=9)
    expect(text, "with means 2 and 11", history[1][1], value=11)


def test_13_unsupervised_pca_on_digits():
    """13 › Unsupervised learning › Dimensionality reduction: 10 of 64 directions keep 74%."""
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    X, _ = load_digits(return_X_y=True)
    kept = PCA(n_components=10).fit(X).explained_variance_ratio_.sum()
    expect(section(L13, "Unsupervised learning"), "about 74%", kept, rel=0.01)


def test_13_unsupervised_density_estimation_by_maximum_likelihood():
    """13 › Unsupervised learning › Unsupervised learning as density estimation."""
    text = section(L13, "Unsupervised learning")
    lik = lambda p: p**7 * (1 - p) ** 3  # noqa: E731
    expect(text, "0.00098", lik(0.5))
    expect(text, "0.00222", lik(0.7))
    assert lik(0.7) / lik(0.5) > 2  # "more than twice as large"
    expect(text, "−6.11", 7 * math.log(0.7) + 3 * math.log(0.3))
    expect(text, "−6.93", 10 * math.log(0.5))
    grid = np.linspace(0.01, 0.99, 99)
    assert grid[np.argmax(lik(grid))] == pytest.approx(0.7)  # p = 7/10


def test_13_unsupervised_gaussian_mixture_anomaly():
    """13 › Unsupervised learning › density estimation: GMM means 2, 11; 6.5 is e^14.5 less likely."""
    from sklearn.mixture import GaussianMixture

    X = np.array([1, 2, 3, 10, 11, 12], dtype=float).reshape(-1, 1)
    gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    assert np.sort(gm.means_.ravel()) == pytest.approx([2, 11], abs=1e-3)
    low, high = gm.score_samples([[2.0], [6.5]])
    text = section(L13, "Unsupervised learning")
    expect(text, "about 14.5", low - high, rel=0.01)
    expect(text, "about two million", math.exp(low - high), rel=0.05, value=2e6)


def test_13_exercises():
    """13 › Exercises 2-4: k-means from a poor start, Bernoulli NLL, free labels."""
    text = section(L13, "Exercises")
    history = kmeans_1d([1, 3, 8, 9, 14], [1, 3])
    assert history[0] == [1, 8.5] and history[1][0] == 2
    expect(text, "34 / 4 = 8.5", history[0][1], value=8.5)
    expect(text, "31 / 3 ≈ 10.33", history[1][1], value=10.33, rel=1e-3)
    p = 30 / 200
    expect(text, "0.15", p)
    expect(text, "1.897", -math.log(0.15))
    expect(text, "0.163", -math.log(0.85))
    nll = -(p * math.log(p) + (1 - p) * math.log(1 - p))
    expect(text, "0.423 nats", nll, rel=1e-3)
    expect(text, "6 − 1 = 5", 6 - 1, value=5)
    expect(text, "0.15 × 200 = 30", 0.15 * 200, value=30)


# ---------------------------------------------------------------- 14-transfer-learning.md

L14 = "14-transfer-learning.md"


def test_14_freezing_resnet_counts():
    """14 › Freezing a backbone in PyTorch: 10,245 trainable of 23,518,277 (<0.05%)."""
    text = section(L14, "Freezing a backbone in PyTorch")
    head = 2048 * 5 + 5
    old_head = 2048 * 1000 + 1000
    total = 25_557_032 - old_head + head
    expect(text, "10,245", head)
    expect(text, "2,049,000", old_head)
    expect(text, "23,518,277", total)
    assert head / total < 0.0005


def test_14_freezing_stand_in_runs_as_described():
    """14 › Freezing a backbone in PyTorch › The same moves on a small stand-in."""
    import torch
    from torch import nn

    backbone = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU())
    for p in backbone.parameters():
        p.requires_grad = False
    head = nn.Linear(128, 5)
    model = nn.Sequential(backbone, head)

    def count(m):
        return sum(p.numel() for p in m.parameters() if p.requires_grad)

    text = section(L14, "Freezing a backbone in PyTorch")
    expect(text, "128 × 5 + 5 = 645", count(model), value=645)
    expect(
        text, "8,320 + 16,512 = 24,832", sum(p.numel() for p in backbone.parameters()), value=24832
    )
    for p in backbone[2].parameters():
        p.requires_grad = True
    expect(text, "17,157 trainable", count(model))
    assert torch.optim.AdamW(
        [
            {"params": head.parameters(), "lr": 1e-3},
            {"params": backbone[2].parameters(), "lr": 1e-5},
        ]
    ).param_groups[1]["lr"] == pytest.approx(1e-5)


def lr_factor(step, total=2000, warmup=200):
    if step < warmup:
        return step / warmup
    return max(0.0, (total - step) / (total - warmup))


def test_14_feature_extraction_decision_and_learning_rates():
    """14 › Feature extraction or fine-tuning? and Learning rates for fine-tuning."""
    expect(
        section(L14, "Feature extraction or fine-tuning?"),
        "800 × 30 = 24,000",
        800 * 30,
        value=24000,
    )
    text = section(L14, "Learning rates for fine-tuning")
    assert pytest.approx(100) == 1e-3 / 1e-5  # "a factor of 100 apart"
    expect(text, "2e-5 at step 100", 4e-5 * lr_factor(100), value=2e-5)
    expect(text, "4e-5 at step 200", 4e-5 * lr_factor(200), value=4e-5)
    expect(text, "back to 2e-5 at step 1,100", 4e-5 * lr_factor(1100), value=2e-5)


def test_14_exercises():
    """14 › Exercises 1 and 3: BERT head count and the warmup-decay schedule."""
    text = section(L14, "Exercises")
    head = 768 * 3 + 3
    expect(text, "2,304 + 3 = 2,307", head, value=2307)
    expect(text, "about 0.002%", head / 110e6, rel=0.1)
    expect(text, "0.25 × 4e-5 = 1e-5", 4e-5 * lr_factor(50), value=1e-5)
    expect(text, "so 2e-5", 4e-5 * lr_factor(1100), value=2e-5)
    expect(text, "about 2.2e-6", 4e-5 * lr_factor(1900), value=2.2e-6, rel=0.02)


# ---------------------------------------------------------------- 16-data-preprocessing.md

L16 = "16-data-preprocessing.md"
OUTLIER_DATA = np.array([20, 30, 40, 50, 60, 400], dtype=float)


def test_16_cleaning_missing_values():
    """16 › Cleaning: missing values and outliers › Missing values: mean 47.5, median 37.5."""
    from sklearn.impute import SimpleImputer

    ages = np.array([[25], [np.nan], [40], [35], [np.nan], [90]])
    known = ages[~np.isnan(ages)]
    text = section(L16, "Cleaning: missing values and outliers")
    expect(text, "= 47.5", known.mean(), value=47.5)
    expect(text, "(35 + 40) / 2 = 37.5", np.median(known), value=37.5)
    out = SimpleImputer(strategy="median", add_indicator=True).fit_transform(ages)
    assert out[:, 0].tolist() == [25, 37.5, 40, 35, 37.5, 90]
    assert out[:, 1].tolist() == [0, 1, 0, 0, 1, 0]


def test_16_cleaning_iqr_rule():
    """16 › Cleaning: missing values and outliers › Outliers: fences −5 and 95 flag only 400."""
    q1, q3 = np.percentile(OUTLIER_DATA, [25, 75])
    iqr = q3 - q1
    lo, hi = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    text = section(L16, "Cleaning: missing values and outliers")
    expect(text, "Q1 = 32.5", q1)
    expect(text, "Q3 = 57.5", q3)
    expect(text, "IQR = 25", iqr)
    expect(text, "32.5 − 37.5 = −5", lo, value=-5)
    expect(text, "57.5 + 37.5 = 95", hi, value=95)
    assert OUTLIER_DATA[(lo > OUTLIER_DATA) | (hi < OUTLIER_DATA)].tolist() == [400]


def test_16_standardization_worked_example_and_train_only_fit():
    """16 › Normalization and standardization › A worked example; Fit on the training data only."""
    x = np.array([20, 30, 40, 50, 60], dtype=float)
    std = x.std()
    text = section(L16, "Normalization and standardization")
    expect(text, "√200 ≈ 14.14", std, value=14.14, rel=1e-3)
    expect(text, "(50 − 40) / 14.14 ≈ 0.71", (50 - 40) / std, value=0.71)
    expect(text, "(50 − 20) / 40 = 0.75", (50 - 20) / 40, value=0.75)
    expect(text, "(70 − 40) / 14.14 ≈ 2.12", (70 - 40) / std, value=2.12)
    expect(text, "(70 − 20) / 40 = 1.25", (70 - 20) / 40, value=1.25)


def test_16_robust_scaling_with_an_outlier():
    """16 › Normalization and standardization › When there are outliers: robust scaling."""
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    x = OUTLIER_DATA.reshape(-1, 1)
    z = StandardScaler().fit_transform(x).ravel()
    mm = MinMaxScaler().fit_transform(x).ravel()
    rb = RobustScaler().fit_transform(x).ravel()
    text = section(L16, "Normalization and standardization")
    expect(text, "from 40 to 100", OUTLIER_DATA.mean(), value=100)
    expect(text, "about 134.8", OUTLIER_DATA.std(), rel=1e-3)
    expect(text, "−0.59 to −0.30", z[0], value=-0.59, rel=0.01)
    assert z[4] == pytest.approx(-0.30, abs=0.005)
    expect(text, "between 0 and 0.105", mm[4], value=0.105, rel=0.01)
    expect(text, "(40 + 50) / 2 = 45", np.median(OUTLIER_DATA), value=45)
    expect(text, "(20 − 45) / 25 = −1.0", rb[0], value=-1.0)
    expect(text, "50 becomes 0.2", rb[3], value=0.2)
    expect(text, "60 becomes 0.6", rb[4], value=0.6)
    expect(text, "400 becomes 14.2", rb[5], value=14.2)


def test_16_splits_digits_and_stratification():
    """16 › Train, validation and test splits: 1,257/270/270; the 6-or-14 fraud odds; 70/15/15."""
    from scipy.stats import hypergeom
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    text = section(L16, "Train, validation and test splits")
    X, y = load_digits(return_X_y=True)
    X_tr, X_tmp, y_tr, y_tmp = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    X_va, X_te, _, _ = train_test_split(X_tmp, y_tmp, test_size=0.5, stratify=y_tmp, random_state=0)
    expect(text, "1,257 training", len(X_tr))
    expect(text, "270 validation and 270 test", len(X_va), value=270)
    assert len(X_te) == 270
    fraud = hypergeom(M=2000, n=100, N=200)  # 100 fraud cases, a test split of 200 rows
    expect(text, "6 or fewer about 11%", fraud.cdf(6), value=0.11, rel=0.05)
    expect(text, "14 or more about 12%", fraud.sf(13), value=0.12, rel=0.05)
    y = np.array([1] * 100 + [0] * 1900)
    parts = train_test_split(y, stratify=y, test_size=0.3, random_state=0)
    assert [int(parts[0].sum()), len(parts[0])] == [70, 1400]
    val, test = train_test_split(parts[1], stratify=parts[1], test_size=0.5, random_state=0)
    assert [int(val.sum()), int(test.sum())] == [15, 15]


def test_16_cross_validation():
    """16 › Train, validation and test splits › Cross-validation: 800/200, 45 runs, fold means."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    text = section(L16, "Train, validation and test splits")
    expect(text, "trains on 800", 1000 * 4 / 5)
    expect(text, "validates on 200", 1000 / 5)
    expect(text, "9 × 5 = 45", 3 * 3 * 5, value=45)
    X, y = load_digits(return_X_y=True)
    for k, shown in [(1, "0.940"), (5, "0.944"), (25, "0.921")]:
        model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=k))
        scores = cross_val_score(model, X, y, cv=5)
        expect(text, shown, scores.mean(), rel=1e-3)
        assert 0.02 <= scores.max() - scores.min() <= 0.07  # "three to six points"


def test_16_class_weights_and_resampling():
    """16 › Imbalanced classes: resampling and class weights: 0.526 and 10, ratio 19."""
    from sklearn.utils.class_weight import compute_class_weight

    y = np.array([0] * 950 + [1] * 50)
    w = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    text = section(L16, "Imbalanced classes: resampling and class weights")
    expect(text, "1,000 / (2 × 950) ≈ 0.526", w[0], value=0.526, rel=1e-3)
    expect(text, "1,000 / (2 × 50) = 10", w[1], value=10)
    expect(text, "19 times as much", w[1] / w[0], value=19)
    expect(text, "appears 19 times", 950 / 50, value=19)
    expect(text, "50 + 50 = 100", 50 + 50, value=100)


def test_16_exercises():
    """16 › Exercises 1-3: robust scaling by hand, fill values, class weights."""
    text = section(L16, "Exercises")
    x = np.array([10, 20, 30, 40, 200], dtype=float)
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    expect(text, "the median is 30", med)
    expect(text, "which is 20", q1)
    expect(text, "40 − 20 = 20", q3 - q1, value=20)
    expect(text, "(40 − 30) / 20 = 0.5", (40 - med) / (q3 - q1), value=0.5)
    expect(text, "30 / 190 ≈ 0.158", 30 / 190, value=0.158)
    expect(text, "8.5", (200 - med) / (q3 - q1))
    incomes = np.array([30, 35, 40, 45, 250], dtype=float)
    expect(text, "400 / 5 = 80", incomes.mean(), value=80)
    expect(text, "is 40", np.median(incomes))
    expect(text, "1,000 / (2 × 900) ≈ 0.556", 1000 / 1800, value=0.556)
    expect(text, "1,000 / (2 × 100) = 5", 1000 / 200, value=5)
    expect(text, "5 / 0.556 = 9", (1000 / 200) / (1000 / 1800), value=9)


# ---------------------------------------------------------------- 17-evaluation-metrics.md

L17 = "17-evaluation-metrics.md"
SCREEN_TRUE = [1] * 50 + [0] * 950
SCREEN_PRED = [1] * 40 + [0] * 10 + [1] * 20 + [0] * 930
Y8 = [1, 1, 1, 1, 0, 0, 0, 0]
S8 = [0.9, 0.8, 0.6, 0.4, 0.7, 0.3, 0.2, 0.1]


def test_17_confusion_matrix_and_accuracy():
    """17 › The confusion matrix and Accuracy: TN 930, accuracy 0.97, lazy model 95%."""
    from sklearn.metrics import accuracy_score, confusion_matrix

    tn, fp, fn, tp = confusion_matrix(SCREEN_TRUE, SCREEN_PRED).ravel()
    assert (tp, fp, fn) == (40, 20, 10)
    expect(section(L17, "The confusion matrix"), "TN = 930", tn)
    text = section(L17, "Accuracy")
    expect(text, "= 0.97", accuracy_score(SCREEN_TRUE, SCREEN_PRED), value=0.97)
    expect(text, "950 / 1000 = 95%", accuracy_score(SCREEN_TRUE, [0] * 1000), value=0.95)


def test_17_precision_recall_f1():
    """17 › Precision and recall and The F1 score: 0.67, 0.80, 0.73 and 0.18."""
    from sklearn.metrics import f1_score, precision_score, recall_score

    expect(
        section(L17, "Precision and recall"),
        "= 0.67",
        precision_score(SCREEN_TRUE, SCREEN_PRED),
        value=0.67,
        rel=0.01,
    )
    expect(
        section(L17, "Precision and recall"),
        "= 0.80",
        recall_score(SCREEN_TRUE, SCREEN_PRED),
        value=0.80,
    )
    text = section(L17, "The F1 score")
    f1 = f1_score(SCREEN_TRUE, SCREEN_PRED)
    expect(text, "80 / 110 ≈ 0.73", f1, value=0.73, rel=0.01)
    expect(text, "0.727", f1, rel=1e-3)
    expect(text, "2 × 0.1 / 1.1 ≈ 0.18", 2 * 1.0 * 0.1 / 1.1, value=0.18, rel=0.02)


def test_17_roc_point_auc_and_average_precision():
    """17 › ROC curves and AUC: FPR 0.02, AUC 14/16 = 0.875, strips, average precision 0.8875."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    text = section(L17, "ROC curves and AUC")
    expect(text, "20 / 950 ≈ 0.02", 20 / 950, value=0.02, rel=0.06)
    pos = [s for s, t in zip(S8, Y8, strict=True) if t]
    neg = [s for s, t in zip(S8, Y8, strict=True) if not t]
    wins = sum(p > n for p in pos for n in neg)
    expect(text, "14 / 16 = 0.875", wins / 16, value=0.875)
    assert roc_auc_score(Y8, S8) == pytest.approx(0.875)
    expect(text, "0.125 + 0.75 = 0.875", 0.25 * 0.5 + 0.75 * 1.0, value=0.875)
    ranks = [1, 2, 4, 5]
    ap = sum((k + 1) / r for k, r in enumerate(ranks)) / 4
    expect(text, "(1 + 1 + 0.75 + 0.8) / 4 = 0.8875", ap, value=0.8875)
    assert average_precision_score(Y8, S8) == pytest.approx(0.8875)


def test_17_roc_text_diagram_plots_the_true_curve():
    """17 › ROC curves and AUC › A curve drawn by hand: every 'o' is a real ROC point."""
    from sklearn.metrics import roc_curve

    md = (CONTENT / L17).read_text(encoding="utf-8")
    block = re.search(r"```text\nTPR\n(.*?)```", md, re.S).group(1).splitlines()
    assert all(len(line) < 76 for line in block)
    # The last line holds the FPR axis labels; words in the notes ("model", "random")
    # are blanked out so that only the single-letter markers remain.
    rows = [re.sub(r"[A-Za-z]{2,}", lambda m: " " * len(m.group()), r) for r in block[:-1]]
    assert len(rows) == 21  # TPR 1.00 down to 0.00 in steps of 0.05
    axis = rows[-1].index("o")  # the FPR = 0 column
    plotted = set()
    for r, line in enumerate(rows):
        for c, ch in enumerate(line):
            if ch == "o" and c >= axis:
                plotted.add((round((c - axis) / 40, 4), round(1 - r / 20, 4)))
    fpr, tpr, _ = roc_curve(Y8, S8, drop_intermediate=False)
    assert plotted == {(round(f, 4), round(t, 4)) for f, t in zip(fpr, tpr, strict=True)}


def test_17_regression_metrics():
    """17 › Metrics for regression: MAE 0.875, RMSE 1.146, R² 0.644."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    y_true, y_pred = [3, 5, 2, 7], [2.5, 5, 4, 8]
    text = section(L17, "Metrics for regression")
    expect(
        text,
        "MAE = (0.5 + 0 + 2 + 1) / 4 = 0.875",
        mean_absolute_error(y_true, y_pred),
        value=0.875,
    )
    expect(text, "5.25 / 4 = 1.3125", mean_squared_error(y_true, y_pred), value=1.3125)
    expect(
        text, "√1.3125 ≈ 1.146", mean_squared_error(y_true, y_pred) ** 0.5, value=1.146, rel=1e-3
    )
    expect(text, "sum to 14.75", sum((t - 4.25) ** 2 for t in y_true))
    expect(text, "≈ 0.644", r2_score(y_true, y_pred), rel=1e-3)


def test_17_perplexity_per_token_and_per_word():
    """17 › Choosing a metric for the task › Language models: perplexity (4; 49 against 30)."""
    text = section(L17, "Choosing a metric for the task")
    expect(text, "≈ 1.386 nats", -math.log(0.25), rel=1e-3)
    expect(text, "perplexity is 4", math.exp(-math.log(0.25)), value=4)
    per_word_a = 1.3 * math.log(20)
    expect(text, "= 3.894", per_word_a, value=3.894, rel=1e-3)
    expect(text, "e^3.894 ≈ 49", math.exp(per_word_a), value=49, rel=0.01)
    expect(text, "ln 30 ≈ 3.401", math.log(30), value=3.401, rel=1e-3)


def test_17_exercises():
    """17 › Exercises 1-4: spam counts, AUC 4/6, threshold costs, MAE against RMSE."""
    text = section(L17, "Exercises")
    tp, fp, fn = 180, 10, 20
    tn = 1000 - tp - fp - fn
    expect(text, "= 790", tn, value=790)
    expect(text, "180 / 190 ≈ 0.947", tp / (tp + fp), value=0.947, rel=1e-3)
    expect(text, "360 / 390 ≈ 0.923", 2 * tp / (2 * tp + fp + fn), value=0.923, rel=1e-3)
    from sklearn.metrics import roc_auc_score

    expect(
        text,
        "4 / 6 ≈ 0.667",
        roc_auc_score([1, 1, 1, 0, 0], [0.8, 0.6, 0.3, 0.7, 0.2]),
        value=0.667,
        rel=1e-3,
    )
    expect(text, "= 1,100 units", 10 * 100 + 20 * 5, value=1100)
    expect(text, "= 700 units", 4 * 100 + 60 * 5, value=700)
    errors = np.array([1, 1, 1, 9])
    expect(text, "MAE = (1 + 1 + 1 + 9) / 4 = 3", errors.mean(), value=3)
    expect(text, "√21 ≈ 4.58", math.sqrt((errors**2).mean()), value=4.58, rel=1e-3)


# ---------------------------------------------------------------- 18-applications.md

L18 = "18-applications.md"


def screening(n, prevalence, recall, fpr):
    ill = n * prevalence
    tp, fp = recall * ill, fpr * (n - ill)
    return tp, fp, tp / (tp + fp)


def test_18_healthcare_screening():
    """18 › Healthcare: medical imaging and diagnosis › What a screening result means."""
    tp, fp, precision = screening(10_000, 0.01, 0.90, 0.05)
    text = section(L18, "Healthcare: medical imaging and diagnosis")
    expect(text, "495 false alarms", fp)
    expect(text, "90 + 495 = 585", tp + fp, value=585)
    expect(text, "90 / 585 ≈ 15%", precision, value=0.15, rel=0.03)
    expect(text, "from 10 to 20", 100 * (1 - 0.80), value=20)


def test_18_finance_fraud_threshold():
    """18 › Finance: fraud detection, risk and trading › Setting a fraud threshold with money."""
    text = section(L18, "Finance: fraud detection, risk and trading")
    cost_l = (1000 - 800) * 500 + 2000 * 5
    cost_s = (1000 - 600) * 500 + 1000 * 5
    expect(text, "precision 0.4, recall 0.8", 800 / 2000, value=0.4)
    expect(text, "precision 0.6, recall 0.6", 600 / 1000, value=0.6)
    expect(text, "is €110,000", cost_l)
    expect(text, "is €205,000", cost_s)
    expect(text, "1,200 honest customers", 2000 - 800)
    expect(text, "against 400 for S", 1000 - 600, value=400)


def test_18_nlp_labelling_decision():
    """18 › Natural language processing › Is fine-tuning worth it here?"""
    text = section(L18, "Natural language processing")
    expect(text, "360,000 s = 100 hours", 20_000 * 18 / 3600, value=100)
    expect(text, "(10 hours)", 2000 * 18 / 3600, value=10)
    expect(text, "0.08 × 18,000 = 1,440", (1 - 0.92) * 18_000, value=1440)


def test_18_vision_iou():
    """18 › Computer vision › Scoring a box: IoU 0.6 and 0.14."""
    text = section(L18, "Computer vision: recognition, detection and segmentation")
    expect(text, "12 / 20 = 0.6", iou((0, 0, 4, 4), (1, 0, 5, 4)), value=0.6)
    expect(text, "4 / 28 ≈ 0.14", iou((0, 0, 4, 4), (2, 2, 6, 6)), value=0.14, rel=0.03)


def test_18_transportation_timing_and_maintenance():
    """18 › Transportation: driving, traffic and maintenance: 33 ms, 0.9 m, 2.8 m, €160,000."""
    text = section(L18, "Transportation: driving, traffic and maintenance")
    speed = 100 / 3.6
    expect(text, "(27.8 m/s)", speed)
    expect(text, "1,000 / 30 ≈ 33 ms", 1000 / 30, value=33, rel=0.02)
    expect(text, "about 0.9 m", speed / 30, rel=0.04)
    expect(text, "travel 2.8 m", speed * 0.1)
    expect(text, "25 / 40 ≈ 0.63", 25 / 40, value=0.63, rel=0.01)
    expect(text, "saving of €160,000", 25 * 8000 - 40 * 1000)


def test_18_speech_word_error_rate():
    """18 › Speech recognition and synthesis › Word error rate: 5% and 40%."""
    text = section(L18, "Speech recognition and synthesis")
    expect(text, "5 / 100 = 5%", (3 + 1 + 1) / 100, value=0.05)
    ref, hyp = "turn the kitchen lights off", "turn the chicken light off"
    expect(text, "of 40%", edit_distance(ref.split(), hyp.split()) / 5)


def test_18_recommendations():
    """18 › Recommendation systems: dot products, top two and precision at 2."""
    text = section(L18, "Recommendation systems")
    user = np.array([0.9, 0.1])
    films = {"A": [0.8, 0.2], "B": [0.1, 0.9], "C": [0.2, 0.3], "D": [0.0, 1.0], "E": [0.7, 0.6]}
    scores = {k: float(np.dot(v, user)) for k, v in films.items()}
    expect(text, "= 0.74", scores["A"], value=0.74)
    expect(text, "= 0.18", scores["B"], value=0.18)
    top2 = sorted(scores, key=scores.get, reverse=True)[:2]
    assert top2 == ["A", "E"]
    expect(text, "1 / 2 = 0.5", len({"A", "C"} & set(top2)) / 2, value=0.5)


def test_18_games_search_space():
    """18 › Games and science: 250^150 ≈ 10^360 and 35^80 ≈ 10^123."""
    text = section(L18, "Games and science: AlphaGo, MuZero and AlphaFold")
    expect(text, "150 × log₁₀ 250 ≈ 360", 150 * math.log10(250), value=360, rel=0.01)
    expect(text, "about 10¹²³", 80 * math.log10(35), value=123, rel=0.01)


def test_18_exercises():
    """18 › Exercises 1-4: IoU 0.33, WER 50%, screening at 5%, the factory."""
    text = section(L18, "Exercises")
    expect(text, "50 / 150 ≈ 0.33", iou((0, 0, 10, 10), (5, 0, 15, 10)), value=0.33, rel=0.02)
    ref = "please set an alarm for seven".split()
    hyp = "please set alarm for eleven thirty".split()
    expect(text, "3 / 6 = 50%", edit_distance(ref, hyp) / len(ref), value=0.5)
    tp, fp, precision = screening(10_000, 0.05, 0.90, 0.05)
    expect(text, "450 + 475 = 925", tp + fp, value=925)
    expect(text, "450 / 925 ≈ 49%", precision, value=0.49, rel=0.01)
    expect(text, "net saving of €84,000", 12 * 12_000 - 30 * 2_000)
    expect(text, "12 / 30 = 0.4", 12 / 30, value=0.4)
    expect(text, "30 / 12 = 2.5", 30 / 12, value=2.5)


# ---------------------------------------------------------------- 19-tools-frameworks.md

L19 = "19-tools-frameworks.md"


def test_19_frameworks_parameter_count_and_autodiff():
    """19 › Deep learning frameworks: 2,410 parameters; grad −4 and vmap (0, −4, 6)."""
    import torch
    from torch import nn
    from torch.func import grad, vmap

    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    text = section(L19, "Deep learning frameworks")
    expect(text, "2,080 parameters", 64 * 32 + 32)
    expect(text, "32 × 10 + 10 = 330", 32 * 10 + 10, value=330)
    expect(text, "The total, 2,410", sum(p.numel() for p in model.parameters()), value=2410)
    g = grad(lambda w, x, y: (w * x - y) ** 2)
    expect(
        text,
        "2 × (2 − 3) × 2 = −4",
        g(torch.tensor(1.0), torch.tensor(2.0), torch.tensor(3.0)),
        value=-4,
    )
    batch = vmap(g, in_dims=(None, 0, 0))(
        torch.tensor(1.0), torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 3.0, 2.0])
    )
    assert batch.tolist() == [0.0, -4.0, 6.0]
    expect(text, "2 × (3 − 2) × 3 = 6", batch[2].item(), value=6)


def test_19_hub_model_sizes():
    """19 › Hugging Face Transformers and model hubs › Choosing between two hub models."""
    text = section(L19, "Hugging Face Transformers and model hubs")
    expect(text, "≈ 264 MB", 66e6 * 4 / 1e6, value=264)
    expect(text, "≈ 1.36 GB", 340e6 * 4 / 1e9, value=1.36)
    expect(text, "about five times", 340 / 66, value=5, rel=0.04)


def test_19_scikit_learn_digits():
    """19 › scikit-learn for classic machine learning: 0.953, other splits 0.94 to 0.97."""
    from sklearn.linear_model import LogisticRegression

    text = section(L19, "scikit-learn for classic machine learning")
    scores = []
    for seed in range(5):
        X_tr, X_te, y_tr, y_te = digits_split(random_state=seed)
        scores.append(LogisticRegression(max_iter=2000).fit(X_tr, y_tr).score(X_te, y_te))
    expect(text, "0.953 with this split", scores[0], rel=1e-3)
    # the lesson states two decimals; the solver's last digits depend on the BLAS
    # threads (one split scored 0.9711 with the default threads, 0.9689 with one)
    assert round(min(scores), 2) >= 0.94 and round(max(scores), 2) <= 0.97
    expect(text, "about 95%", scores[0], rel=0.01)


def test_19_dataset_memory():
    """19 › Datasets and benchmarks › How big is a dataset in memory?"""
    text = section(L19, "Datasets and benchmarks")
    expect(text, "70,000 × 784 = 54,880,000 bytes", 70_000 * 28 * 28, value=54_880_000)
    expect(text, "about 220 MB", 70_000 * 784 * 4 / 1e6, value=220)
    expect(text, "= 150,528 bytes", 224 * 224 * 3, value=150_528)
    expect(text, "about 193 GB", 1.28e6 * 150_528 / 1e9, value=193)


def test_19_pre_trained_model_downloads():
    """19 › Pre-trained models › What the downloads weigh: 102 MB, 440 MB, 3 GB, 350 GB."""
    text = section(L19, "Pre-trained models")
    expect(text, "≈ 102 MB", 25.6e6 * 4 / 1e6, value=102)
    expect(text, "= 440 MB", 110e6 * 4 / 1e6, value=440)
    expect(text, "= 3 GB", 1.5e9 * 2 / 1e9, value=3)
    expect(text, "350 GB", 175e9 * 2 / 1e9)


def test_19_hardware_fit_and_cloud_cost():
    """19 › Hardware and cloud platforms › Will it fit? and Cloud platforms."""
    text = section(L19, "Hardware and cloud platforms")
    expect(text, "30 × 10⁹ × 2 bytes = 60 GB", 30e9 * 2 / 1e9, value=60)
    expect(text, "with 20 GB left", 80 - 60, value=20)
    expect(text, "take 30 GB", 30e9 * 1 / 1e9)
    expect(text, "at 4 bits, 15 GB", 30e9 * 0.5 / 1e9, value=15)
    expect(text, "30 × 10⁹ × 16 = 480 GB", 30e9 * 16 / 1e9, value=480)
    assert math.ceil(480 / 80) == 6  # "six 80 GB cards"
    expect(text, "costs $12", 6 * 2)
    expect(text, "costs $120", 6 * 2 * 10)
    expect(text, "after 1,000 GPU-hours", 2000 / 2)


def test_19_exercises():
    """19 › Exercises 1-4: 101,770 parameters, CIFAR-10 sizes, 6 GB and 48 GB, 200 runs."""
    text = section(L19, "Exercises")
    total = (784 * 128 + 128) + (128 * 10 + 10)
    expect(text, "The total is 101,770", total)
    expect(text, "about 0.41 MB", total * 4 / 1e6, rel=0.01)
    expect(text, "50,000 × 3,072 = 153,600,000", 50_000 * 32 * 32 * 3, value=153_600_000)
    expect(text, "614.4 MB", 153_600_000 * 4 / 1e6)
    expect(text, "3 × 10⁹ × 2 = 6 GB", 3e9 * 2 / 1e9, value=6)
    expect(text, "3 × 10⁹ × 16 = 48 GB", 3e9 * 16 / 1e9, value=48)
    expect(text, "2,000 / 10 = 200", 2000 / (4 * 2.5), value=200)


# ---------------------------------------------------------------- 20-future-trends.md

L20 = "20-future-trends.md"


def shapley(f, features):
    orders = list(itertools.permutations(features))
    phi = dict.fromkeys(features, 0.0)
    for order in orders:
        present: set[str] = set()
        for feat in order:
            before = f(present)
            present.add(feat)
            phi[feat] += (f(present) - before) / len(orders)
    return phi


def test_20_shap_worked_example_and_exact_shapley():
    """20 › Explainability and interpretability › LIME and SHAP; Shapley values computed exactly."""
    text = section(L20, "Explainability and interpretability")
    expect(text, "the 55 − 30 gap", 25 + 5 - 5, value=25)

    def f(s):
        m, ln, i = ("missed" in s), ("loan" in s), ("income" in s)
        return 30 + 22 * m + 2 * ln - 5 * i + 6 * m * ln

    phi = shapley(f, ["missed", "loan", "income"])
    expect(text, "22 + 3 = 25", phi["missed"], value=25)
    expect(text, "the loan 2 + 3 = 5", phi["loan"], value=5)
    expect(text, "income −5", phi["income"])
    expect(text, "about 2.7 × 10³²", math.factorial(30), value=2.7e32, rel=0.02)


def test_20_bias_rates_not_counts():
    """20 › Bias and fairness › Rates, not counts: 20 and 20 misses, 10% against 40%."""
    text = section(L20, "Bias and fairness")
    expect(text, "(recall 0.90)", 180 / 200)
    expect(text, "(recall 0.60)", 30 / 50)
    assert 200 - 180 == 50 - 30 == 20
    expect(text, "are 10% and 40%", 20 / 200, value=0.10)
    assert pytest.approx(4) == (20 / 50) / (20 / 200)


def test_20_energy_and_serving():
    """20 › Scalability, cost and energy: 504 MWh, 605 MWh, 150 homes, 7 × 10¹², 1.5 GB."""
    text = section(L20, "Scalability, cost and energy")
    kwh = 1000 * 0.7 * 30 * 24
    expect(text, "= 504,000 kWh", kwh, value=504_000)
    expect(text, "about 605 MWh", kwh * 1.2 / 1000, rel=0.01)
    expect(text, "about 150 homes", kwh * 1.2 / 4000, rel=0.02)
    expect(text, "= 7 × 10¹² operations", 2 * 7e9 * 500, value=7e12)
    expect(text, "7 × 10¹⁸ operations daily", 2 * 7e9 * 500 * 1e6, value=7e18)
    expect(text, "= 1.5 GB", 3e9 * 0.5 / 1e9, value=1.5)


def test_20_privacy_laplace_fedavg_and_fgsm():
    """20 › Privacy and security: Laplace error 1/ε, FedAvg (2.4, 0.2), FGSM logit 0.8 → −0.2."""
    import torch

    text = section(L20, "Privacy and security")
    rng = np.random.default_rng(0)
    for eps, shown in [(1.0, "off by about 1"), (0.1, "off by about 10")]:
        err = np.abs(rng.laplace(scale=1 / eps, size=200_000)).mean()
        expect(text, shown, err, rel=0.02)
    avg = 0.6 * np.array([2.0, 1.0]) + 0.4 * np.array([3.0, -1.0])
    assert avg == pytest.approx([2.4, 0.2])
    expect(text, "= (2.4, 0.2)", avg[0], value=2.4)
    expect(text, "0.02 × 1,000 × 0.05 = 1.0", 0.02 * 1000 * 0.05, value=1.0)
    torch.manual_seed(0)
    w = 0.05 * torch.sign(torch.randn(1000))
    x = 0.1 + 0.8 * torch.rand(1000)
    b = 0.8 - w @ x
    x_adv = x - 0.02 * torch.sign(w)  # the gradient of w @ x + b with respect to x is w
    expect(text, "into −0.2", (w @ x_adv + b).item(), value=-0.2, rel=1e-3)


def test_20_multimodal_patches_and_zero_shot():
    """20 › Multimodal and more general models: 196 patch tokens; zero-shot similarities."""
    text = section(L20, "Multimodal and more general models")
    expect(text, "14 × 14 = 196 tokens", (224 // 16) ** 2, value=196)
    expect(text, "32,767 wrong captions", 32_768 - 1)

    def unit(v):
        v = np.asarray(v, dtype=float)
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    sims = unit([[0.8, 0.5, 0.0], [0.5, 0.8, 0.2], [0.0, 0.2, 0.9]]) @ unit([0.9, 0.3, 0.1])
    probs = np.exp(20 * sims) / np.exp(20 * sims).sum()
    assert sims.round(2).tolist() == [0.97, 0.77, 0.17]
    assert probs.round(2).tolist() == [0.98, 0.02, 0.0]


def test_20_exercises():
    """20 › Exercises 1-4: Shapley 25/15, rates 5%/20%, 6.5 MWh, federated average 1.0."""
    text = section(L20, "Exercises")
    values = {frozenset(): 10, frozenset("A"): 30, frozenset("B"): 20, frozenset("AB"): 50}
    phi = shapley(lambda s: values[frozenset(s)], ["A", "B"])
    expect(text, "(20 + 30) / 2 = 25", phi["A"], value=25)
    expect(text, "(20 + 10) / 2 = 15", phi["B"], value=15)
    expect(text, "30 / 600 = 5%", 30 / 600, value=0.05)
    expect(text, "30 / 150 = 20%", 30 / 150, value=0.20)
    expect(text, "= 5,376 kWh", 64 * 0.7 * 120, value=5376)
    expect(text, "≈ 6,451 kWh", 64 * 0.7 * 120 * 1.2, value=6451, rel=1e-3)
    expect(text, "= 0.1 + 0.6 + 0.3 = 1.0", 0.1 * 1.0 + 0.3 * 2.0 + 0.6 * 0.5, value=1.0)


# ---------------------------------------------------------------- 21-learning-resources.md

L21 = "21-learning-resources.md"


def test_21_course_workload_and_scoring():
    """21 › Online courses and MOOCs and Choosing a course: 130 h, 22 weeks, scores 3.7 and 3.9."""
    text = section(L21, "Online courses and MOOCs")
    expect(text, "13 weeks × 10 h = 130 hours", 13 * 10, value=130)
    expect(text, "130 / 6 ≈ 22 weeks", 130 / 6, value=22, rel=0.02)
    text = section(L21, "Choosing a course")
    weights = [0.2, 0.3, 0.4, 0.1]
    score = lambda s: sum(w * x for w, x in zip(weights, s, strict=True))  # noqa: E731
    expect(text, "= 3.7", score([4, 2, 5, 3]), value=3.7)
    expect(text, "= 3.9", score([5, 4, 3, 5]), value=3.9)


def test_21_books_and_papers_budgets():
    """21 › Books › Matching a book to a goal; Conferences › How to read a paper: 14 hours."""
    text = section(L21, "Books")
    expect(text, "is 70 hours", 700 / 10)
    expect(text, "takes 14 weeks", 70 / 5)
    text = section(L21, "Conferences and research papers")
    expect(text, "30 × 10 min = 5 hours", 30 * 10 / 60, value=5)
    expect(text, "That is 14 hours", 30 * 10 / 60 + 5 * 1 + 4)


def test_21_predict_then_run():
    """21 › Blogs, notebooks and code › Predict, then run: 0.747, 0.947, 0.967."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    text = section(L21, "Blogs, notebooks and code")
    X_tr, X_te, y_tr, y_te = digits_split()
    for C, shown in [(0.0001, "0.747"), (0.01, "0.947"), (1.0, "0.967")]:
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
        expect(text, shown, clf.fit(X_tr, y_tr).score(X_te, y_te), rel=1e-3)


def test_21_fundamentals_readiness_and_plan():
    """21 › What to learn first: the fundamentals: 100,352 weights, 24, a 192-hour plan."""
    text = section(L21, "What to learn first: the fundamentals")
    expect(text, "(100,352)", 784 * 128)
    x = 1
    expect(text, "(24)", 2 * (3 * x + 1) * 3)
    expect(text, "gives 192 hours", 12 * 16)
    assert 4 + 8 + 4 == 16


def test_21_project_sizing_and_exercises():
    """21 › Learning by building › Sizing a first project; Exercises 1-3."""
    expect(
        section(L21, "Learning by building: projects and communities"),
        "is 25 minutes",
        300 * 5 / 60,
    )
    text = section(L21, "Exercises")
    expect(text, "150 / 8 = 18.75", 150 / 8, value=18.75)
    expect(text, "≈ 87 hours", 4 * 52 / 12 * 5, value=87, rel=0.01)
    expect(text, "≈ 6.7 hours", 40 * 10 / 60, value=6.7, rel=0.01)
    expect(text, "about 26.7 hours", 40 * 10 / 60 + 10 + 10, rel=0.01)
    weights = [0.3, 0.2, 0.4, 0.1]
    expect(
        text, "0.2 = 3.7", sum(w * s for w, s in zip(weights, [3, 5, 4, 2], strict=True)), value=3.7
    )
    expect(
        text, "0.5 = 3.8", sum(w * s for w, s in zip(weights, [5, 3, 3, 5], strict=True)), value=3.8
    )


# ---------------------------------------------------------------- 22-faq.md

L22 = "22-faq.md"


def test_22_architectures_and_compute():
    """22 › How do CNNs, RNNs and transformers differ…; How much data…: 10⁶ pairs, 2,000 times."""
    text = section(L22, "How do CNNs, RNNs and transformers differ, and which should I use?")
    expect(text, "1,000 × 1,000 = 1,000,000 pairs", 1000 * 1000, value=1e6)
    text = section(
        L22, "How much data does a large model need, and should I train one from scratch?"
    )
    expect(text, "= 6 × 10¹⁸", 6 * 1e8 * 1e10, value=6e18)
    expect(text, "= 3 × 10¹⁵", 6 * 1e8 * 5e6, value=3e15)
    expect(text, "two thousand times less", 6e18 / 3e15, value=2000)
    expect(text, "4,000 × 30 s ≈ 33 hours", 4000 * 30 / 3600, value=33, rel=0.02)


def test_22_overfitting_log_and_learning_rate_test():
    """22 › How do I stop my model from overfitting? and Which optimizer should I use?"""
    val = [0.90, 0.71, 0.62, 0.60, 0.63, 0.68]
    best = int(np.argmin(val)) + 1
    text = section(L22, "How do I stop my model from overfitting?")
    expect(text, "came at epoch 4", best)
    stop = next(e for e in range(best + 1, len(val) + 1) if e - best >= 2)
    expect(text, "halts after epoch 6", stop)
    losses = {1e-4: 2.10, 3e-4: 1.65, 1e-3: 1.40, 3e-3: 1.52}
    assert min(losses, key=losses.get) == 1e-3
    assert "Take 1e-3" in section(L22, "Which optimizer should I use?")


def test_22_initial_loss_and_overfit_one_batch():
    """22 › My training loss will not go down…: ln 10 ≈ 2.30; one batch is memorised."""
    import torch
    from torch import nn

    text = section(L22, "My training loss will not go down. What should I check first?")
    expect(text, "ln 10 ≈ 2.30", math.log(10), value=2.30, rel=2e-3)
    torch.manual_seed(0)
    X, y = torch.randn(16, 20), torch.randint(0, 10, (16,))
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(200):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.01


def test_22_deployment_prevalence_shift():
    """22 › Why does my model do worse after deployment than in testing?: 0.90 → 0.32."""
    text = section(L22, "Why does my model do worse after deployment than in testing?")
    tp, fp, p_test = screening(1000, 0.5, 0.90, 0.10)
    assert (tp, fp) == pytest.approx((450, 50))
    expect(text, "precision 0.90", p_test)
    tp, fp, p_prod = screening(1000, 0.05, 0.90, 0.10)
    assert (tp, fp) == pytest.approx((45, 95))
    expect(text, "45 / 140 ≈ 0.32", p_prod, value=0.32, rel=0.01)


def test_22_study_plan():
    """22 › Can I learn this part-time, and what should come first?: 30 weeks, or 15."""
    text = section(L22, "Can I learn this part-time, and what should come first?")
    expect(text, "180 / 6 = 30 weeks", 180 / 6, value=30)
    expect(text, "it takes 15", 180 / 12)


def test_22_exercises():
    """22 › Exercises 2-4: learning curve, precision after launch, starting loss ln 5."""
    text = section(L22, "Exercises")
    gains = [76 - 70, 79 - 76]
    expect(text, "about 80.5%", 79 + gains[1] / 2, value=80.5)
    expect(text, "about 11 hours", 2000 * 20 / 3600, rel=0.02)
    _, _, p_test = screening(1000, 0.20, 0.80, 0.02)
    _, _, p_prod = screening(1000, 0.01, 0.80, 0.02)
    expect(text, "160 / 176 ≈ 0.91", p_test, value=0.91, rel=0.01)
    expect(text, "8 / 27.8 ≈ 0.29", p_prod, value=0.29, rel=0.01)
    expect(text, "ln 5 ≈ 1.61", math.log(5), value=1.61, rel=1e-3)
    assert 9.7 / math.log(5) == pytest.approx(6, rel=0.02)  # "about six times too high"
