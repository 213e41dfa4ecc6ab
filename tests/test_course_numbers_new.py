"""Every number in the worked examples of lessons 03, 08, 12 and 15, recomputed.

Each test names the lesson file and the `##` section it checks. A test first
recomputes the numbers from scratch (plain arithmetic, or PyTorch where the
lesson makes a claim about what PyTorch does), then checks that the section
shows them as written, so the text and the arithmetic cannot drift apart.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import numpy as np
import torch

from tutor import paths
from tutor.course import parse_lesson

MATHS = "03-maths.md"
NORM = "08-normalization.md"
LM = "12-language-models.md"
EFF = "15-efficient-models.md"


@cache
def _sections(lesson_file: str) -> dict[str, str]:
    lesson = parse_lesson(paths.content_dir() / lesson_file)
    return {s.title: s.body for s in lesson.sections}


def shows(lesson_file: str, section: str, *texts: str) -> None:
    """Assert that the section's text contains each string as printed (line breaks and
    runs of spaces count as one space, so rewrapping a paragraph does not matter)."""
    body = " ".join(_sections(lesson_file)[section].split())
    missing = [t for t in texts if " ".join(t.split()) not in body]
    assert missing == [], f"{lesson_file} › {section}: not shown: {missing}"


def num(x: float, places: int) -> str:
    """A number as the lessons print it, with a real minus sign."""
    return f"{x:.{places}f}".replace("-", "−")


def softmax(z) -> np.ndarray:
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum()


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# ---------------------------------------------------------------- 03-maths.md


def test_maths_vectors_and_matrices_adding_and_scaling():
    """03-maths › What are vectors and matrices? › Adding and scaling."""
    assert list(np.array([1, 2, 3]) + np.array([4, 0, -1])) == [5, 2, 2]
    assert list(2 * np.array([1, -0.5, 3])) == [2, -1, 6]
    assert np.zeros((2, 3)).size == 6
    shows(MATHS, "What are vectors and matrices?", "(5, 2, 2)", "(2, −1, 6)", "6 numbers")


def test_maths_dot_product():
    """03-maths › What does the dot product compute?"""
    w, x = np.array([0.5, -1, 2]), np.array([2, 1, 3])
    assert w @ x == 6
    assert w @ x + (-2) == 4
    assert np.array([1, 0]) @ np.array([1, 0]) == 1
    assert np.array([1, 0]) @ np.array([0, 1]) == 0
    assert np.array([1, 0]) @ np.array([-1, 0]) == -1
    shows(MATHS, "What does the dot product compute?", "1 − 1 + 6 = 6", "6 − 2 = 4")


def test_maths_matrix_vector_product_is_a_layer():
    """03-maths › How does a matrix-vector product make a layer?"""
    W = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])
    x = torch.tensor([2.0, 1.0])
    b = torch.tensor([0.0, 1.0, -2.0])
    assert (W @ x).tolist() == [4, -1, 7]
    assert (W @ x + b).tolist() == [4, 0, 5]
    assert torch.relu(W @ x + b).tolist() == [4, 0, 5]
    assert (torch.zeros(32, 2) @ W.T).shape == (32, 3)
    shows(
        MATHS,
        "How does a matrix-vector product make a layer?",
        "Wx + b = (4, 0, 5)",
        "outputs (4, 0, 5)",
        "it gives 32 × 3",
    )


def test_maths_derivative_as_slope():
    """03-maths › What is a derivative? (x² at 3, the rules, 3x² + 2x at 1)."""
    assert round(3.01**2, 4) == 9.0601
    assert round((3.01**2 - 9) / 0.01, 2) == 6.01
    h = 1e-6
    f = lambda x: 3 * x**2 + 2 * x  # noqa: E731
    assert round((f(1 + h) - f(1 - h)) / (2 * h), 6) == 8
    s = sigmoid(0)
    assert s * (1 - s) == 0.25
    shows(MATHS, "What is a derivative?", "f(3.01) = 9.0601", "slope of 6.01", "8 at x = 1")


def test_maths_partial_derivatives_and_a_step():
    """03-maths › What are partial derivatives and the gradient? › Predicting a step."""

    def f(x, y):
        return x**2 * y + 3 * y

    h = 1e-6
    assert f(2, 1) == 7
    assert round((f(2 + h, 1) - f(2 - h, 1)) / (2 * h), 6) == 4
    assert round((f(2, 1 + h) - f(2, 1 - h)) / (2 * h), 6) == 7
    predicted = f(2, 1) + 4 * (-0.04) + 7 * (-0.07)
    assert round(predicted, 2) == 6.35
    assert round(f(1.96, 0.93), 3) == 6.363
    shows(
        MATHS,
        "What are partial derivatives and the gradient?",
        "∂f/∂x = 2xy = 2 × 2 × 1 = 4",
        "∂f/∂y = x² + 3 = 4 + 3 = 7",
        "= −0.65, so f ≈ 6.35",
        "≈ 6.363",
    )


def test_maths_chain_rule_on_a_sigmoid_neuron():
    """03-maths › How does the chain rule work along a computation graph?"""
    x, w, b, y = 2.0, 0.5, -1.0, 1.0
    z = w * x + b
    a = sigmoid(z)
    assert (z, a, (a - y) ** 2) == (0.0, 0.5, 0.25)
    dl_da, da_dz = 2 * (a - y), a * (1 - a)
    assert (dl_da, da_dz) == (-1.0, 0.25)
    assert dl_da * da_dz * 1 * x == -0.5
    assert dl_da * da_dz * 1 == -0.25
    # the numeric check with w = 0.501
    z2 = 0.501 * x + b
    assert round(z2, 6) == 0.002
    assert round(sigmoid(z2), 4) == 0.5005
    assert round((sigmoid(z2) - y) ** 2, 4) == 0.2495
    assert round(((sigmoid(z2) - y) ** 2 - 0.25) / 0.001, 2) == -0.5
    # autograd agrees
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    ((torch.sigmoid(wt * x + bt) - y) ** 2).backward()
    assert (wt.grad.item(), bt.grad.item()) == (-0.5, -0.25)
    shows(
        MATHS,
        "How does the chain rule work along a computation graph?",
        "dL/da = 2(a − y) = 2 × (0.5 − 1) = −1",
        "dL/dz = dL/da × da/dz = −1 × 0.25 = −0.25",
        "−0.25 × 1 × 2 = −0.5",
        "L ≈ 0.2495",
        "a ≈ 0.5005",
    )


def test_maths_exercises():
    """03-maths › Exercises (layer by hand, partials, chain rule through a ReLU)."""
    W = np.array([[1, 0, 2], [-1, 1, 1]])
    z = W @ np.array([3, 1, -1]) + np.array([1, -2])
    assert list(z) == [2, -5]
    assert list(np.maximum(z, 0)) == [2, 0]

    def f(x, y):
        return 3 * x + x * y**2

    assert f(1, 2) == 7
    assert (3 + 2**2, 2 * 1 * 2) == (7, 4)
    assert round(f(1.01, 2), 6) == 7.07

    for bias, loss, grad in ((1.0, 4.0, 4.0), (-3.0, 1.0, 0.0)):
        w = torch.tensor(2.0, requires_grad=True)
        b = torch.tensor(bias, requires_grad=True)
        out = (torch.relu(w * 1.0 + b) - 1.0) ** 2
        out.backward()
        assert (out.item(), w.grad.item(), b.grad.item()) == (loss, grad, grad)
    shows(
        MATHS,
        "Exercises",
        "Wx + b = (2, −5)",
        "the output is (2, 0)",
        "f(1.01, 2) ≈ 7.07",
        "dL/dw = 4 × 1 × 1 = 4",
        "L = (0 − 1)² = 1",
    )


# ------------------------------------------------------- 08-normalization.md


def test_norm_why_normalize_saturated_sigmoid():
    """08-normalization › Why normalize inside a network?"""
    for z in (30, 50, 70):
        s = sigmoid(z)
        assert round(s, 10) == 1.0
        assert s * (1 - s) <= 1e-13
    xs = np.array([30.0, 50.0, 70.0])
    assert round(xs.std(), 2) == 16.33
    z = (xs - xs.mean()) / xs.std()
    assert [num(v, 2) for v in z] == ["−1.22", "0.00", "1.22"]
    assert [round(sigmoid(v), 3) for v in z] == [0.227, 0.5, 0.773]
    shows(
        NORM,
        "Why normalize inside a network?",
        "standard deviation 16.33",
        "−1.22, 0 and 1.22",
        "0.227, 0.5 and 0.773",
    )


def test_norm_batch_norm_one_feature_by_hand():
    """08-normalization › What does batch normalization compute? › One feature by hand."""
    x = np.array([2.0, 4.0, 6.0, 8.0])
    assert (x.mean(), x.var()) == (5.0, 5.0)
    assert round(math.sqrt(5), 3) == 2.236
    xhat = (x - x.mean()) / np.sqrt(x.var() + 1e-5)
    assert [num(v, 3) for v in xhat] == ["−1.342", "−0.447", "0.447", "1.342"]
    y = 2 * xhat + 1
    assert [num(v, 3) for v in y] == ["−1.683", "0.106", "1.894", "3.683"]
    shows(
        NORM,
        "What does batch normalization compute?",
        "(9 + 1 + 1 + 9) / 4 = 5",
        "√5 ≈ 2.236",
        "−1.342, −0.447, 0.447 and 1.342",
        "2 × (−1.342) + 1 = −1.683",
        "0.106, 1.894 and 3.683",
    )


def test_norm_running_statistics_and_eval_mode():
    """08-normalization › How does batch norm behave in training and evaluation?"""
    bn = torch.nn.BatchNorm1d(1)
    assert bn.momentum == 0.1
    assert (bn.running_mean.item(), bn.running_var.item()) == (0.0, 1.0)
    with torch.no_grad():
        bn.weight.fill_(2.0)
        bn.bias.fill_(1.0)
    x = torch.tensor([[2.0], [4.0], [6.0], [8.0]])
    bn.train()
    train_out = bn(x).flatten().tolist()
    assert [round(v, 3) for v in train_out] == [-1.683, 0.106, 1.894, 3.683]
    assert round(bn.running_mean.item(), 4) == 0.5
    assert round(bn.running_var.item(), 3) == 1.567  # unbiased batch variance 20 / 3
    assert round(0.9 * 1 + 0.1 * 20 / 3, 3) == 1.567
    bn.eval()
    eval_out = bn(x).flatten().tolist()
    assert [round(v, 3) for v in eval_out] == [3.397, 6.593, 9.788, 12.984]
    assert round(2 * (6 - 0.5) / math.sqrt(0.9 + 0.1 * 20 / 3) + 1, 3) == 9.788
    assert round(0.9 * 0.5 + 0.1 * 7, 2) == 1.15
    shows(
        NORM,
        "How does batch norm behave in training and evaluation?",
        "0.9 × 0 + 0.1 × 5 = 0.5",
        "0.9 × 1 + 0.1 × (20 / 3) ≈ 1.567",
        "0.9 × 0.5 + 0.1 × 7 = 1.15",
        "≈ 9.788",
        "against 1.894",
    )


def test_norm_layer_norm_one_token():
    """08-normalization › How does layer normalization differ from batch norm?"""
    v = np.array([1.0, 2.0, 3.0, 6.0])
    assert (v.mean(), v.var()) == (3.0, 3.5)
    assert round(math.sqrt(3.5), 3) == 1.871
    out = torch.nn.LayerNorm(4)(torch.tensor([v.tolist()])).flatten().tolist()
    assert [num(o, 3) for o in out] == ["−1.069", "−0.535", "0.000", "1.604"]
    shows(
        NORM,
        "How does layer normalization differ from batch norm?",
        "(4 + 1 + 0 + 9) / 4 = 3.5",
        "about 1.871",
        "(−1.069, −0.535, 0, 1.604)",
    )


def test_norm_residual_gradient_paths():
    """08-normalization › How do residual connections help deep networks? › Why the gradient..."""
    assert round(0.1 * 0.1, 10) == 0.01
    assert round((1 + 0.1) * (1 + 0.1), 10) == 1.21
    assert round(1 + 0.1 + 0.1 + 0.01, 10) == 1.21
    shows(
        NORM,
        "How do residual connections help deep networks?",
        "0.1 × 0.1 = 0.01",
        "(1 + 0.1) × (1 + 0.1) = 1.21",
        "1 + 0.1 + 0.1 + 0.01",
    )


def test_norm_post_norm_shrinks_the_direct_path():
    """08-normalization › Where does the norm go: pre-norm or post-norm?"""
    assert 0.5**6 == 1 / 64
    shows(NORM, "Where does the norm go: pre-norm or post-norm?", "(1/2)⁶ = 1/64")


def test_norm_exercises():
    """08-normalization › Exercises (scale invariance, layer norm, running mean, 3 blocks)."""
    x = np.array([10.0, 20.0, 30.0, 40.0])
    assert (x.mean(), x.var()) == (25.0, 125.0)
    assert round(math.sqrt(125), 2) == 11.18
    xhat = (x - x.mean()) / x.std()
    small = np.array([2.0, 4.0, 6.0, 8.0])
    assert np.allclose(xhat, (small - small.mean()) / small.std())
    assert [num(v, 3) for v in 0.5 * xhat - 1] == ["−1.671", "−1.224", "−0.776", "−0.329"]

    v = np.array([4.0, 0.0, 0.0, 0.0])
    assert (v.mean(), v.var()) == (1.0, 3.0)
    assert [num(o, 3) for o in (v - 1) / math.sqrt(3)] == ["1.732", "−0.577", "−0.577", "−0.577"]
    flat = torch.nn.LayerNorm(4)(torch.full((1, 4), 2.0))
    assert flat.abs().max().item() == 0.0

    mean = 0.0
    history = []
    for _ in range(50):
        mean = 0.9 * mean + 0.1 * 10
        history.append(mean)
    assert round(history[9], 2) == 6.51
    assert round(history[49], 2) == 9.95
    assert round(0.9**10, 3) == 0.349
    assert round(0.9**50, 3) == 0.005

    assert round(0.5 * -0.2 * 0.1, 10) == -0.01
    assert round(1.5 * 0.8 * 1.1, 10) == 1.32
    shows(
        NORM,
        "Exercises",
        "(225 + 25 + 25 + 225) / 4 = 125",
        "−15 / 11.18 = −1.342",
        "0.5 × (−1.342) − 1 = −1.671, then −1.224, −0.776 and −0.329",
        "(1.732, −0.577, −0.577, −0.577)",
        "≈ 6.51",
        "≈ 9.95",
        "1.5 × 0.8 × 1.1 = 1.32",
    )


# ----------------------------------------------------- 12-language-models.md

BPE_CORPUS = {"sun": 6, "sunny": 2, "fun": 4, "funny": 3, "run": 4}


def _bpe(corpus: dict[str, int], steps: int):
    """Plain BPE over characters; returns [(pair, count, runner_up_count)] and the words."""
    words = {tuple(w): n for w, n in corpus.items()}
    merges = []
    for _ in range(steps):
        counts = Counter()
        for symbols, n in words.items():
            for pair in zip(symbols, symbols[1:], strict=False):
                counts[pair] += n
        ranked = counts.most_common()
        pair, count = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        merges.append((pair, count, runner_up))
        merged = {}
        for symbols, n in words.items():
            out, i = [], 0
            while i < len(symbols):
                if symbols[i : i + 2] == pair:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            merged[tuple(out)] = n
        words = merged
    return merges, words


def _tokenize(word: str, merges) -> list[str]:
    symbols = list(word)
    for (a, b), _, _ in merges:
        i = 0
        while i < len(symbols) - 1:
            if (symbols[i], symbols[i + 1]) == (a, b):
                symbols[i : i + 2] = [a + b]
            else:
                i += 1
    return symbols


def test_lm_tokens_and_embedding_table():
    """12-language-models › What are tokens and tokenizers?"""
    assert len("the cat sat") == 11
    assert 50_257 * 768 == 38_597_376
    assert round(38_597_376 / 124e6, 2) == 0.31  # "about a third"
    assert 1000 * 3 / 4 == 750
    shows(
        LM,
        "What are tokens and tokenizers?",
        "is 11 tokens",
        "50,257 × 768 = 38,597,376",
        "1,000 tokens is",
        "roughly 750 words",
    )


def test_lm_bpe_five_merges_by_hand():
    """12-language-models › How does byte-pair encoding build a vocabulary? › Five merges."""
    merges, words = _bpe(BPE_CORPUS, 5)
    pairs = [("+".join(p), c) for p, c, _ in merges]
    assert pairs == [("u+n", 19), ("s+un", 8), ("f+un", 7), ("n+y", 5), ("r+un", 4)]
    assert all(count > runner_up for _, count, runner_up in merges)  # no ties anywhere
    assert [runner for _, _, runner in merges[:1]] == [8]  # "s u" is second before merge 1
    assert sorted(" ".join(w) for w in words) == sorted(["sun", "sun ny", "fun", "fun ny", "run"])
    assert len(set("".join(BPE_CORPUS))) + len(merges) == 11
    assert _tokenize("runny", merges) == ["run", "ny"]
    shows(
        LM,
        "How does byte-pair encoding build a vocabulary?",
        "6+2+4+3+4=19",
        '"s u" (8)',
        '"f u" (7)',
        '"n y" (5) beats "r un" (4)',
        "6 + 5\n= 11 symbols",
        "then run ny",
    )


def test_lm_next_token_loss_and_perplexity():
    """12-language-models › How is a language model trained to predict the next token?"""
    losses = [-math.log(p) for p in (0.5, 0.25, 0.8)]
    assert [round(v, 3) for v in losses] == [0.693, 1.386, 0.223]
    assert round(sum(losses), 3) == round(-math.log(0.1), 3) == 2.303
    assert 0.5 * 0.25 * 0.8 == 0.1
    mean = sum(losses) / 3
    assert round(mean, 3) == 0.768
    assert round(math.exp(mean), 2) == round(10 ** (1 / 3), 2) == 2.15
    assert round(math.log(50_257), 2) == 10.82
    shows(
        LM,
        "How is a language model trained to predict the next token?",
        "−ln 0.5 = 0.693, −ln 0.25 = 1.386 and −ln 0.8 = 0.223",
        "add up to 2.303",
        "0.5 × 0.25 × 0.8 = 0.1",
        "2.303 / 3 ≈ 0.768",
        "10^(1/3) ≈ 2.15",
        "ln 50,257 ≈ 10.82",
    )


def test_lm_causal_mask_row():
    """12-language-models › How is a language model trained...? › The causal mask in training."""
    scores = torch.tensor([1.0, 2.0, 0.5, 3.0])
    mask = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)[1]
    weights = scores.masked_fill(mask, float("-inf")).softmax(dim=-1).tolist()
    assert [round(w, 3) for w in weights] == [0.269, 0.731, 0.0, 0.0]
    assert round(math.e / (math.e + math.e**2), 3) == 0.269
    shows(
        LM,
        "How is a language model trained to predict the next token?",
        "(1.0, 2.0, 0.5, 3.0)",
        "(1.0, 2.0, −∞, −∞)",
        "e^1 / (e^1 + e^2) = 0.269",
        "0.731",
    )


def test_lm_temperature_by_hand():
    """12-language-models › How does a model choose the next token? › Temperature by hand."""
    logits = np.array([2.0, 1.0, 0.5, 0.0])
    assert round(np.exp(logits).sum(), 3) == 12.756
    assert [round(p, 3) for p in softmax(logits)] == [0.579, 0.213, 0.129, 0.078]
    assert round(np.exp(logits / 0.5).sum(), 3) == 65.705
    cold = softmax(logits / 0.5)
    assert [round(p, 3) for p in cold] == [0.831, 0.112, 0.041, 0.015]
    assert round(softmax(logits)[3] / cold[3]) == 5  # "roof" five times rarer
    assert [round(math.exp(v), 3) for v in (4, 2, 1, 0.5)] == [54.598, 7.389, 2.718, 1.649]
    shows(
        LM,
        "How does a model choose the next token?",
        "summing to 12.756",
        "0.579, 0.213, 0.129 and 0.078",
        "sum to 65.705, giving 0.831, 0.112, 0.041 and 0.015",
        "from 58% to 83%",
        "five times\nrarer",
    )


def _keep(probs, k=None, p=None) -> list[float]:
    order = sorted(range(len(probs)), key=lambda i: -probs[i])
    n = len(probs)
    if k is not None:
        n = min(n, k)
    if p is not None:
        total, m = 0.0, 0
        while total < p - 1e-12:
            total += probs[order[m]]
            m += 1
        n = min(n, m)
    kept = [probs[i] for i in order[:n]]
    return [v / sum(kept) for v in kept]


def test_lm_top_k_and_top_p_by_hand():
    """12-language-models › What are top-k and top-p sampling? › Both filters on two..."""
    a = [0.70, 0.15, 0.08, 0.04, 0.03]
    b = [0.30, 0.25, 0.20, 0.15, 0.10]
    assert round(sum(a[:3]), 2) == 0.93 and round(sum(b[:3]), 2) == 0.75
    assert [round(v, 3) for v in _keep(a, k=3)] == [0.753, 0.161, 0.086]
    assert [round(v, 3) for v in _keep(b, k=3)] == [0.4, 0.333, 0.267]
    assert [round(v, 3) for v in _keep(a, p=0.8)] == [0.824, 0.176]
    assert [round(v, 3) for v in _keep(b, p=0.8)] == [0.333, 0.278, 0.222, 0.167]
    assert [round(v, 2) for v in np.cumsum(b)[:4]] == [0.30, 0.55, 0.75, 0.90]
    shows(
        LM,
        "What are top-k and top-p sampling?",
        "0.70 / 0.93 = 0.753, 0.161 and 0.086",
        "0.4, 0.333 and\n0.267",
        'Paris 0.824 and\n"the" 0.176',
        "0.30, 0.55, 0.75 and then 0.90",
        "0.333, 0.278, 0.222 and 0.167",
    )


def test_lm_few_shot_token_budget():
    """12-language-models › What are prompting and in-context learning? › The cost of examples."""
    assert (4096 - 60 - 45 - 200) // 45 == 84
    shows(
        LM,
        "What are prompting and in-context learning?",
        "(4,096 − 60 − 45 − 200) / 45 ≈ 84",
    )


def test_lm_exercises():
    """12-language-models › Exercises (merge 6, temperature, top-p, causal mask)."""
    merges, words = _bpe(BPE_CORPUS, 6)
    pair, count, runner_up = merges[5]
    assert (pair, count, runner_up) == (("fun", "ny"), 3, 2)
    five = merges[:5]
    assert _tokenize("runs", five) == ["run", "s"]
    assert _tokenize("funny", five) == ["fun", "ny"]
    assert _tokenize("funny", merges) == ["funny"]

    assert [round(softmax([1 / t, 0])[0], 3) for t in (1, 0.5, 2)] == [0.731, 0.881, 0.622]

    probs = [0.5, 0.2, 0.15, 0.1, 0.05]
    assert [round(v, 3) for v in _keep(probs, p=0.6)] == [0.714, 0.286]
    assert [round(v, 3) for v in _keep(probs, p=0.9)] == [0.526, 0.211, 0.158, 0.105]

    scores = torch.tensor([2.0, 0.0, 0.0, 5.0])
    mask = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)[2]
    weights = scores.masked_fill(mask, float("-inf")).softmax(dim=-1).tolist()
    assert [round(w, 3) for w in weights] == [0.787, 0.107, 0.107, 0.0]
    assert round(math.exp(2) + 2, 3) == 9.389
    kept = (~torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)).sum().item()
    assert kept == 4 * 5 // 2 == 10
    assert 1024 * 1025 // 2 == 524_800 and 1024**2 == 1_048_576
    shows(
        LM,
        "Exercises",
        "merge 6 is fun + ny",
        "r u n s → r un s → run s",
        "2.718 / 3.718 ≈ 0.731",
        "7.389 / 8.389 ≈ 0.881",
        "1.649 / 2.649 ≈ 0.622",
        "0.5 / 0.7 ≈ 0.714",
        "0.5 / 0.95 ≈ 0.526",
        "0.211, 0.158 and 0.105",
        "a total of 9.389",
        "7.389 / 9.389 ≈ 0.787, then 0.107, 0.107 and 0",
        "10 of 16 for T = 4",
        "524,800 of 1,048,576",
    )


# --------------------------------------------------- 15-efficient-models.md


def test_eff_scaling_laws_and_compute():
    """15-efficient-models › What do scaling laws say? (power law, 6·N·D)."""
    assert round(10**-0.076, 3) == 0.839
    assert round(2**-0.076, 3) == 0.949
    flops = 6 * 1e9 * 2e10
    assert flops == 1.2e20
    seconds = flops / 1e14
    assert seconds == 1.2e6
    assert round(seconds / 86_400) == 14
    shows(
        EFF,
        "What do scaling laws say?",
        "10^−0.076 ≈ 0.839",
        "2^−0.076 ≈ 0.949",
        "= 1.2 × 10²⁰ operations",
        "1.2 × 10⁶ seconds, about 14 days",
    )


def test_eff_compute_optimal_sizing():
    """15-efficient-models › How big should a model be for a compute budget?"""
    assert 1.4e12 / 70e9 == 20
    c = 6 * 7e10 * 1.4e12
    assert round(c / 1e23, 2) == 5.88
    n = math.sqrt(c / 120)
    assert round(n / 1e10, 6) == 7
    assert round(math.sqrt(1.2e20 / 120)) == 1e9
    assert round(300e9 / 175e9, 1) == 1.7
    assert round(2e12 / 7e9) == 286
    shows(
        EFF,
        "How big should a model be for a compute budget?",
        "exactly\n20 tokens per parameter",
        "= 5.88 × 10²³ operations",
        "√(4.9 × 10²¹) = 7 × 10¹⁰",
        "N = √(1.2 × 10²⁰ / 120) = √(10¹⁸) = 10⁹",
        "about\n1.7 tokens per parameter",
        "about 286 per parameter",
    )


def test_eff_memory_for_7b_and_kv_cache():
    """15-efficient-models › How much memory does a model need? (and The KV cache)."""
    n = 7e9
    assert n * 2 == 14e9
    per_param = 2 + 2 + 4 + 4 + 4
    assert per_param == 16
    parts_gb = [n * b / 1e9 for b in (2, 2, 4, 4, 4)]
    assert parts_gb == [14, 14, 28, 28, 28] and sum(parts_gb) == 112
    assert n * per_param / (n * 2) == 8
    per_token = 2 * 32 * 4096 * 2
    assert per_token == 524_288 == 2**19  # half a mebibyte
    assert per_token * 4096 == 2_147_483_648
    assert round(per_token * 4096 / 1e9, 1) == 2.1
    assert round(per_token * 4096 * 8 / 1e9) == 17
    shows(
        EFF,
        "How much memory does a model need?",
        "7 × 10⁹ × 2 = 14 GB",
        "14 GB + 14 GB + 28 GB + 28 GB + 28 GB = 112 GB",
        "That is 8 times",
        "2 × 32 × 4,096 × 2 = 524,288 bytes",
        "2,147,483,648 bytes, about 2.1 GB",
        "about 17 GB",
    )


def test_eff_lora_parameter_count():
    """15-efficient-models › How does LoRA fine-tune a model cheaply? › Counting LoRA's..."""
    d, r = 4096, 8
    assert 2 * d * r == 65_536
    assert d * d == 16_777_216
    assert round(100 * 2 * d * r / d**2, 2) == 0.39
    total = 32 * 2 * 65_536
    assert total == 4_194_304
    assert round(100 * total / 7e9, 2) == 0.06
    assert round(total * 16 / 1e6) == 67
    W = torch.nn.Linear(d, d, bias=False)
    A, B = torch.zeros(r, d), torch.zeros(d, r)
    assert A.numel() + B.numel() == 65_536 and W.weight.numel() == 16_777_216
    shows(
        EFF,
        "How does LoRA fine-tune a model cheaply?",
        "2 × 4,096 × 8 = 65,536",
        "4,096² = 16,777,216, or 0.39%",
        "32 × 2 × 65,536 = 4,194,304",
        "0.06% of the model",
        "≈ 67 MB",
    )


def test_eff_absmax_quantization_by_hand():
    """15-efficient-models › How does quantization shrink a model? › Absmax int8 by hand."""
    x = np.array([0.5, -1.2, 3.0, 0.1])
    scale = 127 / np.abs(x).max()
    assert round(scale, 2) == 42.33
    assert [num(v, 2) for v in x * scale] == ["21.17", "−50.80", "127.00", "4.23"]
    q = np.round(x * scale)
    assert list(q) == [21, -51, 127, 4]
    assert [num(v, 3) for v in q / scale] == ["0.496", "−1.205", "3.000", "0.094"]
    assert np.abs(q / scale - x).max() < 0.006

    y = np.array([0.5, -1.2, 30.0, 0.1])
    s2 = 127 / 30
    assert round(s2, 2) == 4.23
    q2 = np.round(y * s2)
    assert list(q2) == [2, -5, 127, 0]
    assert [num(v, 3) for v in (q2 / s2)[[0, 1, 3]]] == ["0.472", "−1.181", "0.000"]

    assert float(np.finfo(np.float16).max) == 65_504
    assert torch.finfo(torch.bfloat16).max > 1e38  # fp32's range
    assert 4 + 16 / 64 == 4.25
    assert round(7e9 * 4.25 / 8 / 1e9, 1) == 3.7
    shows(
        EFF,
        "How does quantization shrink a model?",
        "127 / 3.0 ≈ 42.33",
        "21.17, −50.8, 127 and 4.23",
        "(21, −51, 127, 4)",
        "(0.496, −1.205, 3.0,\n0.094)",
        "127 / 30 ≈ 4.23",
        "(2, −5, 127, 0)",
        "0.472, −1.181 and 0",
        "65,504",
        "4 + 16 / 64 = 4.25 bits",
        "about 3.7 GB",
    )


def test_eff_distillation_soft_targets():
    """15-efficient-models › How does distillation make a smaller model? › Soft targets..."""
    teacher = np.array([4.0, 2.0, 1.0])
    assert [round(p, 3) for p in softmax(teacher)] == [0.844, 0.114, 0.042]
    assert round(np.exp(teacher / 4).sum(), 3) == 5.651
    soft = softmax(teacher / 4)
    assert [round(p, 3) for p in soft] == [0.481, 0.292, 0.227]
    student = softmax(np.array([3.0, 2.0, 2.0]) / 4)
    kl = float((soft * np.log(soft / student)).sum())
    assert round(kl * 16, 3) == 0.331
    shows(
        EFF,
        "How does distillation make a smaller model?",
        "(0.844, 0.114, 0.042)",
        "sum to 5.651, giving (0.481, 0.292, 0.227)",
        "# 0.331",
    )


def test_eff_exercises():
    """15-efficient-models › Exercises (LoRA, compute-optimal, 13B memory, absmax)."""
    assert 4096 * 1024 == 4_194_304
    assert 16 * (4096 + 1024) == 81_920
    assert round(100 * 81_920 / 4_194_304, 2) == 1.95

    n = math.sqrt(1.08e21 / 120)
    assert round(n / 1e9, 6) == 3
    assert round(20 * n / 1e10, 6) == 6
    assert round(6 * 3e9 * 6e10 / 1e21, 6) == 1.08

    assert 13e9 * 2 / 1e9 == 26 and 13e9 * 0.5 / 1e9 == 6.5 and 13e9 * 16 / 1e9 == 208
    assert 2 * 40 * 5120 * 2 == 819_200
    assert 819_200 * 2048 == 1_677_721_600
    assert round(1_677_721_600 / 1e9, 1) == 1.7

    x = np.array([-0.7, 0.3, 2.0])
    scale = 127 / 2.0
    assert scale == 63.5
    assert [num(v, 2) for v in x * scale] == ["−44.45", "19.05", "127.00"]
    q = np.round(x * scale)
    assert list(q) == [-44, 19, 127]
    assert [num(v, 3) for v in q / scale] == ["−0.693", "0.299", "2.000"]
    assert round(np.abs(q / scale - x).max(), 3) == 0.007
    shows(
        EFF,
        "Exercises",
        "4,096 × 1,024 = 4,194,304",
        "16 × (4,096 + 1,024) = 81,920",
        "≈ 1.95%",
        "√(9 × 10¹⁸) = 3 × 10⁹",
        "6 × 10¹⁰ tokens",
        "= 26 GB",
        "= 6.5 GB",
        "= 208 GB",
        "2 × 40 × 5,120 × 2 = 819,200 bytes",
        "1,677,721,600 bytes, about 1.7 GB",
        "(−44, 19, 127)",
        "≈ 0.007",
    )
