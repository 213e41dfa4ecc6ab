"""The worked numbers in the foundation lessons (01-02, 04-07, 09-11) are right.

Each test names the lesson and the section it checks. It recomputes the figures of a
worked example, from the formula or with the library the lesson uses, and checks that
the lesson states them as computed. A test fails if the arithmetic is wrong or if the
lesson's text no longer shows the number.

Figures that a lesson reports from running its own code (an accuracy, a loss) depend
on random seeds and floating-point details; those blocks are rerun in-process and
checked within a tolerance, and the longer ones are marked `slow`. The last test
checks the quiz items whose answer is one of these worked numbers.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from tutor.course import parse_lesson, slugify

CONTENT = Path(__file__).resolve().parents[1] / "content"


@cache
def lesson(stem: str):
    return parse_lesson(CONTENT / f"{stem}.md")


def section(stem: str, title: str) -> str:
    found = lesson(stem).section(slugify(title))
    assert found is not None, f"{stem}: no section {title!r}"
    return found.body


def shows(text: str, *numbers: str) -> None:
    """Each number appears in the text exactly as written (thin spaces aside)."""
    flat = " ".join(text.split())
    for number in numbers:
        assert " ".join(number.split()) in flat, f"{number!r} is not in the text"


def run_block(text: str, marker: str) -> str:
    """Run the runnable code block of `text` that contains `marker`; return its output."""
    blocks = re.findall(r"```python runnable\n(.*?)\n```", text, flags=re.S)
    code = next((b for b in blocks if marker in b), None)
    assert code is not None, f"no runnable block containing {marker!r}"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"<block {marker}>", "exec"), {"__name__": "__lesson__"})
    return out.getvalue()


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def softmax(scores: list[float]) -> list[float]:
    exps = [math.exp(s) for s in scores]
    return [e / sum(exps) for e in exps]


# --- 01-large-models -------------------------------------------------------------


def test_large_models_what_makes_a_model_large_parameter_count_and_memory():
    text = section("01-large-models", "What makes a model large?")
    params = 1024 * 4096 + 4096
    assert params == count(nn.Linear(1024, 4096)) == 4_198_400
    assert params * 2 / 1e6 == pytest.approx(8.3968)
    assert 7e9 * 2 / 1e9 == 14 and 175e9 * 2 / 1e9 == 350
    shows(text, "4,198,400", "8.3968", "14 GB", "350 GB")


def test_large_models_what_makes_a_model_large_tokens_and_training_compute():
    text = section("01-large-models", "What makes a model large?")
    assert 300e9 * 0.75 == 225e9
    flops = 6 * 175e9 * 300e9
    assert flops == pytest.approx(3.15e23)
    shows(text, "225 billion words", "3 × 10^23")


def test_large_models_why_they_matter_pretraining_versus_fine_tuning():
    text = section("01-large-models", "Why do large models matter across industries?")
    pretrain = 6 * 110e6 * 128e9
    tokens = 2_000 * 128 * 3
    finetune = 6 * 110e6 * tokens
    assert pretrain == pytest.approx(8.4e19, rel=0.01)
    assert tokens == 768_000
    assert finetune == pytest.approx(5.1e14, rel=0.01)
    assert pretrain / finetune == pytest.approx(170_000, rel=0.02)
    shows(text, "8.4 × 10^19", "768,000", "5.1 × 10^14", "170,000")


def test_large_models_exercises():
    text = section("01-large-models", "Exercises")
    assert count(nn.Linear(768, 3072)) == 768 * 3072 + 3072 == 2_362_368
    assert 2_362_368 * 2 == 4_724_736
    assert 13e9 * 4 / 1e9 == 52 and 13e9 * 2 / 1e9 == 26 and 80 - 52 == 28
    flops = 6 * 7e9 * 2e12
    seconds = flops / (1_000 * 4e14)
    assert flops == pytest.approx(8.4e22)
    assert seconds == pytest.approx(210_000)
    assert seconds / 3600 == pytest.approx(58.3, abs=0.1)
    assert seconds / 86400 == pytest.approx(2.4, abs=0.05)
    shows(text, "2,362,368", "4.7 MB", "52 GB", "26 GB", "8.4 × 10^22", "210,000 seconds")


# --- 02-ai-ml-dl -----------------------------------------------------------------


def test_ai_ml_dl_what_is_machine_learning_price_fit():
    text = section("02-ai-ml-dl", "What is machine learning?")
    w, b = np.polyfit([50, 80, 100], [150, 240, 300], 1)
    assert w == pytest.approx(3) and b == pytest.approx(0, abs=1e-9)
    assert w * 70 + b == pytest.approx(210)
    shows(text, "w = 3", "b = 0", "210k")


def test_ai_ml_dl_exercises():
    text = section("02-ai-ml-dl", "Exercises")
    w, b = np.polyfit([1, 2, 3], [5, 7, 9], 1)
    assert (w, b) == (pytest.approx(2), pytest.approx(3))
    assert w * 5 + b == pytest.approx(13)
    assert pytest.approx(0.990, abs=5e-4) == 300 / (300 + 3)
    shows(text, "2 × 5 + 3 = 13", "300 / 303 ≈ 0.990")


# --- 04-neural-networks ----------------------------------------------------------


def test_neural_networks_what_is_an_artificial_neuron_by_hand():
    text = section("04-neural-networks", "What is an artificial neuron?")
    z = 0.4 * 2 + (-0.1) * 3 + 0.5
    assert z == pytest.approx(1.0)
    assert sigmoid(z) == pytest.approx(0.731, abs=5e-4)
    shows(text, "= 1.0", "0.731")


def test_neural_networks_how_does_forward_propagation_work_two_layers():
    text = section("04-neural-networks", "How does forward propagation work?")
    x = torch.tensor([1.0, 2.0])
    h = torch.relu(torch.tensor([[0.5, -0.2], [-1.0, 0.2]]) @ x + 0.1)
    y = torch.sigmoid(torch.tensor([1.5, 2.0]) @ h - 0.1)
    assert h.tolist() == pytest.approx([0.2, 0.0])
    assert y.item() == pytest.approx(0.5498, abs=1e-4)
    assert 2 * 2 + 1 * 2 == 6 and 2 + 1 == 3  # six weights, three biases
    shows(text, "0.2000, 0.0000", "0.5498", "0.550", "nine parameters")


def test_neural_networks_which_activation_functions_are_common():
    text = section("04-neural-networks", "Which activation functions are common?")
    assert sigmoid(2) == pytest.approx(0.881, abs=5e-4)
    assert sigmoid(-2) == pytest.approx(0.119, abs=5e-4)
    assert math.tanh(1) == pytest.approx(0.762, abs=5e-4)
    exps = [math.exp(s) for s in (2, 1, 0.1)]
    assert exps == pytest.approx([7.389, 2.718, 1.105], abs=5e-4)
    assert sum(exps) == pytest.approx(11.213, abs=5e-4)
    assert softmax([2, 1, 0.1]) == pytest.approx([0.659, 0.242, 0.099], abs=1e-3)
    shows(text, "0.881", "0.119", "0.762", "11.213", "(0.659, 0.242, 0.099)")


def test_neural_networks_how_are_neurons_organized_layer_shape():
    text = section("04-neural-networks", "How are neurons organized into layers?")
    assert nn.Linear(3, 4).weight.shape == (4, 3)
    shows(text, "4 × 3 matrix W")


def test_neural_networks_how_should_the_weights_start_scales():
    text = section("04-neural-networks", "How should the weights start?")
    assert math.sqrt(256) == 16
    assert math.sqrt(256 / 2) == pytest.approx(11, abs=0.4)
    assert math.sqrt(2 / 784) == pytest.approx(0.0505, abs=5e-5)
    assert math.sqrt(2 / (784 + 256)) == pytest.approx(0.0439, abs=5e-5)
    bound = 1 / math.sqrt(300)
    assert nn.Linear(300, 50).weight.abs().max().item() <= bound
    uniform_var = (2 * bound) ** 2 / 12  # variance of U(-bound, bound)
    assert uniform_var == pytest.approx(1 / (3 * 300))
    assert uniform_var / (2 / 300) == pytest.approx(1 / 6)
    shows(text, "√256 = 16", "0.0505", "1,040", "0.0439", "1 / (3 n_in), a sixth")


def test_neural_networks_how_should_the_weights_start_experiments():
    text = section("04-neural-networks", "How should the weights start?")
    sizes = {}
    for line in run_block(text, "ten ReLU layers").splitlines():
        name, value = line.split(" typical size after 10 layers: ")
        sizes[name.strip()] = float(value)
    assert 1e9 < sizes["std 1"] < 1e11
    assert 1e-11 < sizes["std 0.01"] < 1e-9
    assert 0.5 < sizes["He"] < 2
    rows = re.findall(r"\[([-\d., ]+)\]", run_block(text, "constant_"))
    assert len(rows) == 3 and len(set(rows)) == 1  # three identical hidden rows


def test_neural_networks_exercises():
    text = section("04-neural-networks", "Exercises")
    z = 0.2 * 1 + 0.4 * (-2) + (-0.1) * 3 + 0.3
    assert z == pytest.approx(-0.6)
    assert sigmoid(z) == pytest.approx(0.354, abs=5e-4)
    net = nn.Sequential(nn.Linear(784, 128), nn.Linear(128, 10))
    assert (count(net[0]), count(net[1]), count(net)) == (100_480, 1_290, 101_770)
    assert sum(math.exp(s) for s in (1, 0, -1)) == pytest.approx(4.086, abs=5e-4)
    assert softmax([1, 0, -1]) == pytest.approx([0.665, 0.245, 0.090], abs=5e-4)
    assert math.sqrt(2 / 512) == 0.0625
    assert math.sqrt(2 / 1024) == pytest.approx(0.0442, abs=5e-5)
    shows(text, "−0.6", "0.354", "100,480", "1,290", "101,770", "4.086", "0.0625", "0.0442")


# --- 05-training -----------------------------------------------------------------


def test_training_how_do_we_measure_how_wrong_a_model_is():
    text = section("05-training", "How do we measure how wrong a model is?")
    mse = nn.functional.mse_loss(torch.tensor([2.5, 0.0, 2.0]), torch.tensor([3.0, -0.5, 2.0]))
    assert mse.item() == pytest.approx(0.167, abs=5e-4)
    for p, loss in [(0.9, 0.105), (0.7, 0.357), (0.1, 2.303)]:
        assert -math.log(p) == pytest.approx(loss, abs=5e-4)
    shows(text, "0.167", "0.105", "0.357", "2.303")


def test_training_how_does_gradient_descent_work_one_parameter():
    text = section("05-training", "How does gradient descent work?")
    w, steps = 0.0, []
    for _ in range(2):
        w -= 0.1 * 2 * (w - 3)
        steps.append(w)
    assert steps == pytest.approx([0.6, 1.08])
    assert pytest.approx(0.8) == (3 - 0.6) / 3  # a fifth of the distance covered
    shows(text, "0.6", "1.08", "−4.8")


def test_training_how_does_backpropagation_compute_the_gradients():
    text = section("05-training", "How does backpropagation compute the gradients?")
    w1 = torch.tensor(0.5, requires_grad=True)
    w2 = torch.tensor(2.0, requires_grad=True)
    loss = (w2 * (w1 * 1.0) - 2.0) ** 2
    loss.backward()
    assert loss.item() == 1 and (w1.grad.item(), w2.grad.item()) == (-4, -1)
    new1, new2 = 0.5 - 0.1 * -4, 2 - 0.1 * -1
    assert (new1, new2) == (pytest.approx(0.9), pytest.approx(2.1))
    assert new1 * new2 == pytest.approx(1.89)
    assert (new1 * new2 - 2) ** 2 == pytest.approx(0.0121)
    shows(text, "= −4", "= −1", "= −2", "= 0.9", "= 2.1", "1.89", "0.012")


def test_training_batches_mini_batches_and_epochs():
    text = section("05-training", "Batches, mini-batches and epochs")
    assert 50_000 // 100 == 500 and 10 * 500 == 5_000
    shows(text, "500 iterations", "5,000 weight updates")


@pytest.mark.slow
def test_training_a_training_loop_in_pytorch_accuracy():
    text = section("05-training", "A training loop in PyTorch")
    assert math.ceil(1000 / 32) == 32 and 1000 / 32 == 31.25
    out = run_block(text, "make_moons")
    accuracy = float(out.split(":")[-1])
    assert 0.86 <= accuracy <= 0.92
    shows(text, "31.25", "0.900", "about 90%")


def test_training_exercises():
    text = section("05-training", "Exercises")
    assert pytest.approx(1.667, abs=5e-4) == (1 + 4 + 0) / 3
    assert -math.log(0.5) == pytest.approx(0.693, abs=5e-4)
    assert -math.log(0.99) == pytest.approx(0.010, abs=5e-4)
    w, path = 0.0, []
    for _ in range(10):
        w = 0.8 * w + 0.6
        path.append(w)
    assert path[:3] == pytest.approx([0.6, 1.08, 1.464])
    assert path[-1] == pytest.approx(3 * (1 - 0.8**10)) == pytest.approx(2.678, abs=5e-4)
    w1 = torch.tensor(1.0, requires_grad=True)
    w2 = torch.tensor(0.5, requires_grad=True)
    loss = (w2 * (w1 * 2.0) - 3.0) ** 2
    loss.backward()
    assert loss.item() == 4 and (w1.grad.item(), w2.grad.item()) == (-4, -8)
    new1, new2 = 1 - 0.05 * -4, 0.5 - 0.05 * -8
    assert (new2 * new1 * 2 - 3) ** 2 == pytest.approx(0.7056)
    assert math.ceil(60_000 / 64) == 938 and 60_000 - 937 * 64 == 32 and 5 * 938 == 4_690
    shows(text, "1.667", "0.693", "1.464", "2.678", "0.7056", "938 iterations", "4,690")


# --- 06-optimizers ---------------------------------------------------------------


def test_optimizers_why_does_the_learning_rate_matter():
    text = section("06-optimizers", "Why does the learning rate matter so much?")
    assert pytest.approx(0.13, abs=5e-3) == 0.98**100
    assert pytest.approx(0.107, abs=5e-4) == 0.8**10
    assert [(-1.2) ** k for k in range(4)] == pytest.approx([1, -1.2, 1.44, -1.728])
    shows(text, "0.13", "0.107", "1.44, −1.73")


def test_optimizers_how_does_momentum_help_velocity():
    text = section("06-optimizers", "How does momentum help gradient descent?")
    assert pytest.approx(10) == 1 / (1 - 0.9)
    w = torch.tensor([0.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05, momentum=0.9)
    seen = {}
    for step in range(1, 51):
        opt.zero_grad()
        (3 * w.sum()).backward()
        opt.step()
        seen[step] = opt.state[w]["momentum_buffer"].item()
    assert seen[1] == 3 and seen[2] == pytest.approx(5.7)
    assert seen[10] == pytest.approx(19.54, abs=5e-3)
    assert seen[50] == pytest.approx(29.845, abs=5e-4)
    assert seen[50] == pytest.approx(3 * (1 - 0.9**50) / 0.1, rel=1e-5)
    shows(text, "10g", "5.7", "19.54", "29.845", "= 30")


def adam_updates(gradients: list[float]) -> list[float]:
    """The size of each update torch's Adam makes for a sequence of gradients."""
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([w], lr=1e-3)
    updates = []
    for g in gradients:
        before = w.item()
        opt.zero_grad()
        (g * w.sum()).backward()
        opt.step()
        updates.append(w.item() - before)
    return updates


def test_optimizers_adams_first_step_by_hand():
    text = section("06-optimizers", "How does Adam combine momentum and RMSprop?")
    m, v = 0.1 * 0.5, 0.001 * 0.25
    assert (m, v) == (pytest.approx(0.05), pytest.approx(0.00025))
    assert (m / 0.1, v / 0.001) == (pytest.approx(0.5), pytest.approx(0.25))
    assert adam_updates([0.5])[0] == pytest.approx(-1e-3, rel=1e-4)
    assert adam_updates([50.0])[0] == pytest.approx(-1e-3, rel=1e-4)
    m2 = 0.9 * 0.05 + 0.1 * -0.5
    assert m2 == pytest.approx(-0.005)
    assert m2 / (1 - 0.9**2) == pytest.approx(-0.0263, abs=5e-5)
    second = adam_updates([0.5, -0.5])[1]
    assert second == pytest.approx(0.05 * 1e-3, rel=0.06)  # "about 0.05 × lr"
    assert adam_updates([0.5, 0.5])[1] == pytest.approx(-1e-3, rel=1e-4)
    shows(text, "0.00025", "a step of 0.001", "−0.005", "−0.0263", "0.05 × lr")


def test_optimizers_what_is_a_learning_rate_schedule():
    text = section("06-optimizers", "What is a learning-rate schedule?")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    step = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    rates = []
    for _ in range(90):
        rates.append(step.get_last_lr()[0])
        opt.step()
        step.step()
    assert rates[29] == pytest.approx(0.1) and rates[30] == pytest.approx(0.01)
    assert rates[59] == pytest.approx(0.01) and rates[89] == pytest.approx(0.001)
    assert pytest.approx(0.060, abs=5e-4) == 0.1 * 0.95**10
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
    for _ in range(50):
        opt.step()
        cosine.step()
    assert cosine.get_last_lr()[0] == pytest.approx(5e-4)
    shows(text, "0.060", "5e-4")


def test_optimizers_warmup_and_linear_decay():
    text = section("06-optimizers", "What is a learning-rate schedule?")
    out = run_block(text, "LambdaLR")
    printed = dict(re.findall(r"step\s+(\d+): lr = (\S+)", out))
    assert {k: float(v) for k, v in printed.items()} == {
        "0": 0.0,
        "50": pytest.approx(1e-5),
        "100": pytest.approx(2e-5),
        "550": pytest.approx(1e-5),
        "999": pytest.approx(2e-5 / 900, rel=1e-2),
    }
    shows(text, "1e-5 at step 50", "2e-5 at step 100", "1e-5 at step 550", "2.22e-08")


@pytest.mark.slow
def test_optimizers_how_do_you_choose_hyperparameters():
    text = section("06-optimizers", "How do you choose hyperparameters?")
    assert 3 * 3 == 9 and 5**4 == 625
    out = run_block(text, "random search")
    curve = {
        float(lr): float(acc) for lr, acc in re.findall(r"lr ([\d.]+)\s+accuracy ([\d.]+)", out)
    }
    assert curve[0.001] == pytest.approx(0.81, abs=0.03)
    assert curve[0.1] == pytest.approx(0.91, abs=0.03) and curve[1.0] == pytest.approx(
        0.91, abs=0.03
    )
    # lr 10 diverges, and where a diverged run lands depends on the machine's
    # floating point (0.62 on one, 0.497 on another): the text says "towards chance"
    assert 0.45 <= curve[10.0] <= 0.7
    shows(text, "5^4 = 625", "0.81", "0.91", "0.5 to 0.6")


def test_optimizers_exercises():
    text = section("06-optimizers", "Exercises")
    for lr, path in [(0.25, [0.5, 0.25]), (0.5, [0, 0]), (1.0, [-1, 1])]:
        w, seen = 1.0, []
        for _ in range(2):
            w *= 1 - 2 * lr
            seen.append(w)
        assert seen == pytest.approx(path)
    v, seen = 0.0, []
    for _ in range(3):
        v = 0.9 * v + 2
        seen.append(v)
    assert seen == pytest.approx([2, 3.8, 5.42]) and pytest.approx(20) == 2 / (1 - 0.9)
    assert (pytest.approx(-0.2), pytest.approx(0.004)) == (0.1 * -2, 0.001 * 4)
    assert adam_updates([-2.0])[0] == pytest.approx(1e-3, rel=1e-4)
    assert 5 * 4 * 3 * 3 == 180 and 30 // 5 == 6
    shows(text, "3.8", "5.42", "= 20", "0.004", "w + 0.001", "180 runs", "30 / 5 = 6")


# --- 07-regularization -----------------------------------------------------------


def test_regularization_how_do_l1_and_l2_work_penalties_and_decay():
    text = section("07-regularization", "How do L1 and L2 regularization work?")
    w = np.array([2, -1, 0.5])
    assert 0.01 * (w**2).sum() == pytest.approx(0.0525)
    assert 0.01 * np.abs(w).sum() == pytest.approx(0.035)
    assert pytest.approx(0.998) == 1 - 2 * 0.1 * 0.01
    out = run_block(text, "weight_decay=2 * lam")
    assert out.strip().splitlines()[-1] == "True"
    shows(text, "0.0525", "0.035", "0.998", "weight_decay=0.02")


def test_regularization_how_does_dropout_work_printed_output():
    text = section("07-regularization", "How does dropout work?")
    torch.manual_seed(0)
    drop = nn.Dropout(p=0.5)
    x = torch.tensor([2.0, 4.0, 6.0, 8.0])
    assert drop(x).tolist() == [0, 0, 12, 0]
    drop.eval()
    assert drop(x).tolist() == [2, 4, 6, 8]
    assert 1 / (1 - 0.5) == 2
    shows(text, "tensor([ 0.,  0., 12.,  0.])", "tensor([2., 4., 6., 8.])")


def early_stop(losses: list[float], patience: int) -> tuple[int, int]:
    """(epoch training stops after, epoch whose weights are kept), epochs from 1."""
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(losses, 1):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(losses), best_epoch


def test_regularization_what_is_early_stopping():
    text = section("07-regularization", "What is early stopping?")
    losses = [0.90, 0.71, 0.60, 0.55, 0.53, 0.54, 0.56, 0.55]
    assert early_stop(losses, patience=3) == (8, 5)
    shows(text, "patience 3", "epoch 5", "after epoch 8")


def test_regularization_exercises():
    text = section("07-regularization", "Exercises")
    w = np.array([3, -0.5, 2])
    l2, l1 = 0.001 * (w**2).sum(), 0.001 * np.abs(w).sum()
    assert (l2, l1) == (pytest.approx(0.01325), pytest.approx(0.0055))
    assert pytest.approx(0.68, abs=5e-3) == 9 / 13.25 and pytest.approx(0.55, abs=5e-3) == 3 / 5.5
    assert 2 * 0.0005 == 0.001 and pytest.approx(0.9999) == 1 - 0.1 * 0.001
    kept = np.array([4, 0, 12, 16]) / (1 - 0.25)
    assert kept.round(2).tolist() == [5.33, 0, 16, 21.33]
    losses = [1.00, 0.80, 0.70, 0.72, 0.69, 0.70, 0.71, 0.68, 0.70, 0.73]
    assert early_stop(losses, patience=2) == (7, 5)
    assert early_stop(losses, patience=3) == (10, 8)
    shows(text, "0.01325", "0.0055", "68%", "55%", "0.9999", "(5.33, 0, 16, 21.33)")


# --- 09-cnns ---------------------------------------------------------------------


def out_size(w: int, k: int, p: int, s: int) -> int:
    return (w - k + 2 * p) // s + 1


def conv_width(w: int, k: int, p: int, s: int) -> int:
    return nn.Conv2d(1, 1, k, stride=s, padding=p)(torch.zeros(1, 1, w, w)).shape[-1]


def test_cnns_what_is_a_cnn_dense_layer_size():
    text = section("09-cnns", "What is a convolutional neural network?")
    assert 224 * 224 * 3 == 150_528
    assert pytest.approx(150e6, rel=0.01) == 150_528 * 1_000
    shows(text, "150,528", "150 million")


def test_cnns_how_does_convolution_work():
    text = section("09-cnns", "How does convolution work?")
    kernel = torch.tensor([[1.0, 0, -1]] * 3)
    edge = torch.tensor([[9.0, 9, 0]] * 3)
    assert (kernel * edge).sum().item() == 27
    assert (kernel * torch.full((3, 3), 5.0)).sum().item() == 0
    assert nn.Conv2d(16, 1, 3).weight.numel() == 3 * 3 * 16 == 144
    stacked = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3))
    assert stacked(torch.zeros(1, 1, 5, 5)).shape[-1] == 1  # one value sees 5x5
    shows(text, "27", "144 weights", "5×5 patch")


def test_cnns_stride_padding_and_output_size():
    text = section("09-cnns", "Stride, padding and output size")
    for w, k, p, s, expected in [
        (5, 3, 0, 1, 3),
        (5, 3, 1, 1, 5),
        (5, 3, 0, 2, 2),
        (32, 5, 0, 1, 28),
    ]:
        assert out_size(w, k, p, s) == conv_width(w, k, p, s) == expected
    assert out_size(5, 5, 2, 1) == 5
    shows(text, "= 3", "= 5", "= 2", "= 28")


def test_cnns_pooling_layers():
    text = section("09-cnns", "Pooling layers")
    grid = torch.tensor([[1.0, 3, 2, 0], [4, 2, 1, 1], [0, 6, 5, 8], [1, 2, 7, 3]])[None, None]
    assert nn.functional.max_pool2d(grid, 2).flatten().tolist() == [4, 2, 6, 8]
    assert nn.functional.avg_pool2d(grid, 2).flatten().tolist() == [2.5, 1.0, 2.25, 5.75]
    shows(text, "4, 2, 6 and 8", "2.5, 1.0, 2.25 and 5.75")


def test_cnns_from_features_to_class_scores():
    text = section("09-cnns", "From features to class scores")
    assert 32 * 2 * 2 == 128 and count(nn.Linear(128, 10)) == 1_290
    shows(text, "128", "1,290")


def digits_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128, 10),
    )


def test_cnns_a_small_cnn_in_pytorch_parameters():
    text = section("09-cnns", "A small CNN in PyTorch")
    model = digits_cnn()
    assert model(torch.zeros(4, 1, 8, 8)).shape == (4, 10)
    assert [count(model[i]) for i in (0, 3, 7)] == [160, 4_640, 1_290]
    assert count(model) == 6_090
    assert count(nn.BatchNorm2d(16)) + count(nn.BatchNorm2d(32)) == 96
    shows(text, "6,090", "160", "4,640", "1,290", "= 96")


@pytest.mark.slow
def test_cnns_a_small_cnn_in_pytorch_trained_accuracy():
    text = section("09-cnns", "A small CNN in PyTorch")
    out = run_block(text, "load_digits")
    accuracy = float(re.search(r"test accuracy: ([\d.]+) on 450 images", out).group(1))
    assert accuracy >= 0.95
    shows(text, "0.984", "450 held-out images")


def test_cnns_exercises():
    text = section("09-cnns", "Exercises")
    assert conv_width(28, 5, 2, 1) == 28 and 28 // 2 == 14
    assert conv_width(14, 3, 0, 2) == out_size(14, 3, 0, 2) == 6
    assert count(nn.Conv2d(3, 64, 3)) == 1_792
    assert count(nn.Linear(3_072, 64)) == 196_672
    assert pytest.approx(110, rel=0.01) == 196_672 / 1_792
    grid = torch.tensor([[2.0, 0, 1, 5], [3, 1, 4, 2], [7, 6, 0, 0], [1, 8, 3, 1]])[None, None]
    assert nn.functional.max_pool2d(grid, 2).flatten().tolist() == [3, 5, 8, 3]
    assert nn.functional.avg_pool2d(grid, 2).flatten().tolist() == [1.5, 3, 5.5, 1]
    three = nn.Sequential(*[nn.Conv2d(1, 1, 3) for _ in range(3)])
    assert three(torch.zeros(1, 1, 7, 7)).shape[-1] == 1  # 7x7 receptive field
    assert 2 * 9 == 18 < 25
    shows(text, "6.5", "1,792", "196,672", "3, 5, 8 and 3", "5.5", "7×7", "18 weights")


# --- 10-rnns ---------------------------------------------------------------------


def test_rnns_how_does_the_hidden_state_work_a_tiny_step():
    text = section("10-rnns", "How does the hidden state work?")
    h, states = 0.0, []
    for x in (1, 1, -1):
        h = math.tanh(0.5 * x + 0.8 * h)
        states.append(h)
    assert states == pytest.approx([0.462, 0.701, 0.061], abs=5e-4)
    assert 0.5 + 0.8 * states[0] == pytest.approx(0.870, abs=5e-4)
    assert math.tanh(-0.5) == pytest.approx(-0.46, abs=5e-3)
    shows(text, "0.462", "0.701", "0.870", "0.061", "−0.46")


def test_rnns_vanishing_and_exploding_gradients():
    text = section("10-rnns", "Vanishing and exploding gradients")
    assert pytest.approx(1e-6, rel=0.05) == 0.5**20
    assert pytest.approx(3_300, rel=0.01) == 1.5**20
    shows(text, "0.000001", "3,300")


def test_rnns_lstm_and_gru_gates_parameter_counts():
    text = section("10-rnns", "LSTM and GRU gates")
    block = 64 * 10 + 64 * 64 + 2 * 64
    assert block == 4_864
    sizes = [count(cell(10, 64)) for cell in (nn.RNN, nn.GRU, nn.LSTM)]
    assert sizes == [block, 3 * block, 4 * block] == [4_864, 14_592, 19_456]
    assert sizes[1] / sizes[2] == 0.75
    shows(text, "4,864", "14,592", "19,456", "0.75")


@pytest.mark.slow
def test_rnns_a_character_level_language_model():
    text = section("10-rnns", "A character-level language model")
    assert len(set("hello hello help")) == 6 and math.log(6) == pytest.approx(1.79, abs=5e-3)
    assert count(nn.Embedding(6, 16)) == 96
    out = run_block(text, "CharRNN")
    first, last = (float(v) for v in re.findall(r"loss ([\d.]+)", out))
    assert first == pytest.approx(1.867, abs=0.02)
    assert last < 0.01
    assert "'hello hello help'" in out
    shows(text, "1.867", "ln 6 ≈ 1.79", "96 parameters", "'hello hello help'")


def pad(seqs: list[list[int]], length: int, front: bool) -> list[list[int]]:
    """Cut and pad with id 0, at the front (Keras's default) or at the end."""
    out = []
    for s in seqs:
        s = s[-length:] if front else s[:length]
        fill = [0] * (length - len(s))
        out.append(fill + s if front else s + fill)
    return out


def test_rnns_padding_truncation_and_masks():
    text = section("10-rnns", "Padding, truncation and masks")
    reviews = [[12, 7, 3, 9, 41, 5], [8, 2], [6, 6, 30]]
    assert pad(reviews, 4, front=False) == [[12, 7, 3, 9], [8, 2, 0, 0], [6, 6, 30, 0]]
    assert pad(reviews, 4, front=True) == [[3, 9, 41, 5], [0, 0, 8, 2], [0, 6, 6, 30]]
    out = run_block(text, "pack_padded_sequence")
    assert out.split()[-2:] == ["True", "False"]
    shows(text, "[3, 9, 41, 5]", "[0, 0, 8, 2]")


def test_rnns_exercises():
    text = section("10-rnns", "Exercises")
    h, states = 0.0, []
    for x in (2, 0, 0):
        h = math.tanh(1 * x + 0.5 * h)
        states.append(h)
    assert states == pytest.approx([0.964, 0.448, 0.220], abs=5e-4)
    block = 128 * 32 + 128 * 128 + 2 * 128
    assert block == 20_736
    assert count(nn.LSTM(32, 128)) == 4 * block == 82_944
    assert count(nn.GRU(32, 128)) == 3 * block == 62_208
    batch = pad([[4, 9, 2, 7, 7], [3], [5, 8, 1]], 4, front=False)
    assert batch == [[4, 9, 2, 7], [3, 0, 0, 0], [5, 8, 1, 0]]
    assert sum(v == 0 for row in batch for v in row) == 4
    assert pytest.approx(0.0052, abs=5e-5) == 0.9**50
    assert pytest.approx(0.955, abs=5e-4) == 0.01 ** (1 / 100)
    shows(text, "0.964", "0.448", "0.220", "20,736", "82,944", "62,208", "0.0052", "0.955")


# --- 11-transformers -------------------------------------------------------------


def test_transformers_how_does_self_attention_work_worked_example():
    text = section("11-transformers", "How does self-attention work?")
    q = torch.tensor([[1.0, 0, 1, 0]])
    keys = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1], [1, 1, 0, 0]])
    values = torch.tensor([[1.0, 0], [0, 1], [1, 1]])
    scores = q @ keys.T
    assert scores.flatten().tolist() == [2, 0, 1]
    assert (scores / 2).flatten().tolist() == [1, 0, 0.5]
    assert math.e + 1 + math.exp(0.5) == pytest.approx(5.367, abs=5e-4)
    weights = (scores / 2).softmax(dim=-1)
    assert weights.flatten().tolist() == pytest.approx([0.5065, 0.1863, 0.3072], abs=5e-5)
    assert (weights @ values).flatten().tolist() == pytest.approx([0.8137, 0.4935], abs=5e-5)
    sdpa = nn.functional.scaled_dot_product_attention(q, keys, values)
    assert sdpa.flatten().tolist() == pytest.approx([0.8137, 0.4935], abs=5e-5)
    shows(text, "2, 0 and 1", "5.367", "0.51, 0.19 and 0.31", "[0.81, 0.49]", "0.5065")


def test_transformers_multi_head_attention_head_width():
    text = section("11-transformers", "Multi-head attention")
    assert 768 // 12 == 64 and 512 // 8 == 64
    shows(text, "768 / 12 = 64", "8 heads of 64 each")


def test_transformers_positional_encoding_values():
    text = section("11-transformers", "Positional encoding")
    d_model, pos = 4, 1
    pe = []
    for i in range(d_model // 2):
        angle = pos / 10000 ** (2 * i / d_model)
        pe += [math.sin(angle), math.cos(angle)]
    assert pe == pytest.approx([0.841, 0.540, 0.010, 1.000], abs=5e-4)
    shows(text, "0.841", "0.540", "sin(0.01) ≈ 0.010", "1.000")


def test_transformers_encoder_and_decoder_blocks_parameters():
    text = section("11-transformers", "Encoder and decoder blocks")
    block = nn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048)
    attention = 3 * (512 * 512 + 512) + (512 * 512 + 512)
    ffn = (512 * 2048 + 2048) + (2048 * 512 + 512)
    assert (3 * (512 * 512 + 512), 512 * 512 + 512) == (787_968, 262_656)
    assert (512 * 2048 + 2048, 2048 * 512 + 512) == (1_050_624, 1_049_088)
    assert count(block.self_attn) == attention == 1_050_624
    assert count(block) == attention + ffn + 2 * 2 * 512 == 3_152_384
    assert ffn / count(block) == pytest.approx(2 / 3, abs=0.01)
    shows(text, "787,968", "262,656", "1,050,624", "1,049,088", "2,048", "3,152,384")


def test_transformers_vision_transformers_patches():
    text = section("11-transformers", "Vision transformers")
    assert (224 // 16) ** 2 == 196 and 16 * 16 * 3 == 768
    patchify = nn.Conv2d(3, 768, kernel_size=16, stride=16)
    assert count(patchify) == 768 * 768 + 768 == 590_592
    assert patchify(torch.zeros(1, 3, 224, 224)).flatten(2).shape == (1, 768, 196)
    shows(text, "14 × 14 = 196", "16 × 16 × 3 = 768", "590,592", "197")


def test_transformers_exercises():
    text = section("11-transformers", "Exercises")
    weights = softmax([2 / math.sqrt(2), 0])
    assert math.exp(2 / math.sqrt(2)) == pytest.approx(4.113, abs=5e-4)
    assert weights == pytest.approx([0.804, 0.196], abs=5e-4)
    assert [10 * weights[0], 10 * weights[1]] == pytest.approx([8.04, 1.96], abs=5e-3)
    assert 4096 // 32 == 128 and 32 * 128 == 4096
    bert_block = nn.TransformerEncoderLayer(d_model=768, nhead=12, dim_feedforward=3072)
    assert count(bert_block.self_attn) == 4 * (768 * 768 + 768) == 2_362_368
    assert 768 * 3072 + 3072 + 3072 * 768 + 768 == 4_722_432
    assert count(bert_block) == 7_087_872
    assert pytest.approx(85e6, rel=0.01) == 12 * 7_087_872
    assert (224 // 8) ** 2 + 1 == 785 and 785**2 == 616_225 and 197**2 == 38_809
    assert pytest.approx(15.9, abs=0.05) == 785**2 / 197**2
    shows(text, "0.804", "[8.04, 1.96]", "128", "2,362,368", "4,722,432", "7,087,872")
    shows(text, "616,225", "38,809", "15.9")


# --- quiz items that carry a worked number ----------------------------------------


@cache
def quiz_items(stem: str) -> dict[str, dict]:
    items = yaml.safe_load((CONTENT / f"{stem}.quiz.yaml").read_text(encoding="utf-8"))
    return {item["id"]: item for item in items}


@pytest.mark.parametrize(
    ("stem", "item_id", "expected"),
    [
        ("01-large-models", "lm-count-linear", f"{1024 * 4096 + 4096:,}"),
        ("01-large-models", "lm-tokens-words", f"{round(300 * 0.75)} billion"),
        ("04-neural-networks", "nn-param-count", f"{784 * 128 + 128 + 128 * 10 + 10:,}"),
        ("04-neural-networks", "nn-he-init", f"about {math.sqrt(2 / 784):.4f}"),
        ("05-training", "tr-iterations", f"{50_000 // 100 * 10:,}"),
        ("05-training", "tr-backprop-hidden-grad", f"{-2 * 2}"),
        ("06-optimizers", "opt-momentum-limit", f"{3 / (1 - 0.9):.0f}"),
        ("06-optimizers", "opt-grid-cost", f"{5**4}"),
        ("07-regularization", "reg-l2-calc", f"{0.01 * 5.25:.4f}"),
        ("07-regularization", "reg-wd-factor", f"{2 * 0.01:.2f}"),
        ("09-cnns", "cnn-output-size", f"{out_size(32, 5, 0, 1)}"),
        ("09-cnns", "cnn-stride2-size", f"{out_size(14, 3, 0, 2)}"),
        ("10-rnns", "rnn-lstm-params", f"{4 * 4_864:,}"),
        ("11-transformers", "tf-heads-size", f"{768 // 12}"),
        ("11-transformers", "tf-vit-tokens", f"{(224 // 16) ** 2 + 1}"),
    ],
)
def test_quiz_numeric_answers(stem: str, item_id: str, expected: str):
    item = quiz_items(stem)[item_id]
    assert item["answer"] == expected
    assert expected in item["choices"]
