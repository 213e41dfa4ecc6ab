"""The live model demos: each one really learns, on the CPU, at its --quick size.

Thresholds are set well above chance and well below what the quick runs reach on
this machine, so they catch a demo that stopped learning without being flaky.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from tutor.cli import cli
from tutor.demos import DEMOS, get_demo, run_demo
from tutor.demos.events import Event
from tutor.errors import TutorError

_RUNS: dict[str, tuple[object, list[Event]]] = {}


def quick_run(name: str, **kwargs):
    """Each demo's quick CPU run, done once and shared by the tests below."""
    if name not in _RUNS:
        events: list[Event] = []
        result = run_demo(name, quick=True, device="cpu", on_event=events.append, **kwargs)
        _RUNS[name] = (result, events)
    return _RUNS[name]


def test_registry_names_and_lessons():
    assert list(DEMOS) == [
        "mlp",
        "cnn",
        "rnn",
        "attention",
        "regularization",
        "optimizers",
        "transfer",
    ]
    assert DEMOS["cnn"].lesson_id == "cnns"
    assert DEMOS["transfer"].lesson_id == "transfer-learning"
    with pytest.raises(TutorError, match="choose one of: mlp, cnn"):
        get_demo("gan")


def test_mlp_learns():
    result, _ = quick_run("mlp")
    m = result.metrics
    assert result.device == "cpu" and not result.cancelled
    assert m["loss"] < 0.5 * m["initial_loss"]  # starts near ln 2 = 0.69
    # Two noisy moons: chance is 50%, a straight line gets about 85%; quick runs reach ~97%.
    assert m["test_accuracy"] >= 0.9


def test_mlp_snapshots_draw_a_boundary():
    _, events = quick_run("mlp")
    snaps = [e for e in events if e.kind == "snapshot"]
    assert len(snaps) >= 5
    grid = snaps[-1].payload["boundary"]
    assert len(grid) == 20 and len(grid[0]) == 48
    flat = [p for row in grid for p in row]
    assert min(flat) < 0.1 and max(flat) > 0.9  # both classes are confidently present


def test_cnn_learns_digits():
    result, _ = quick_run("cnn")
    m = result.metrics
    # Ten classes: chance is 10%. Five quick epochs reach ~96%; the default size reaches >=97%.
    assert m["test_accuracy"] >= 0.85
    assert m["loss"] < m["initial_loss"] / 3
    confusion = result.payload["confusion"]
    assert sum(map(sum, confusion)) == 450  # the 25% test split of 1,797 digits
    assert len(result.payload["misclassified"]) == min(8, int(m["errors"]))


def test_rnn_learns_course_text():
    result, events = quick_run("rnn")
    m = result.metrics
    # Untrained, both sit at ln(vocab) (~4.6 nats, a uniform guess); 80 quick steps bring
    # held-out loss to ~2.8. Demand at least one nat below the uniform guess.
    for cell in ("rnn", "lstm"):
        assert m[f"{cell}_initial_val_loss"] > m["chance_loss"] - 0.3
        assert m[f"{cell}_val_loss"] < m["chance_loss"] - 1.0
    samples = result.payload["samples"]
    assert set(samples) == {"rnn", "lstm"} and all(len(s) > 100 for s in samples.values())
    assert any(e.kind == "snapshot" and "samples" in e.payload for e in events)


def test_attention_weights_are_real():
    result, _ = quick_run("attention", text="The cat sat on the mat.")
    m, payload = result.metrics, result.payload
    assert payload["tokens"][0] == "[CLS]" and payload["tokens"][-1] == "[SEP]"
    attn = payload["attention"]
    assert len(attn) == 6 and len(attn[0]) == 12  # MiniLM-L6: 6 layers, 12 heads
    n = len(payload["tokens"])
    for row in attn[2][5]:
        assert len(row) == n and abs(sum(row) - 1.0) < 0.01  # softmax rows sum to 1
    # Learned position embeddings: neighbours are more alike than positions 16 apart.
    assert m["learned_sim_adjacent"] > m["learned_sim_far"]
    assert m["sinusoidal_sim_adjacent"] > m["sinusoidal_sim_far"]


def test_regularization_shows_overfitting_and_cures():
    m = quick_run("regularization")[0].metrics
    # The plain network memorises 60 points and its validation loss climbs past its minimum.
    assert m["train_loss_plain"] < 0.05
    assert m["val_loss_plain"] > 2 * m["min_val_loss_plain"]
    for cure in ("dropout", "l2", "early_stop"):
        assert m[f"val_loss_{cure}"] < m["val_loss_plain"]
    assert m["early_stop_step"] < m["steps"]


def test_optimizers_all_learn():
    m = quick_run("optimizers")[0].metrics
    for name in ("sgd", "momentum", "rmsprop", "adam", "adam_cosine"):
        assert m[f"loss_{name}"] < m[f"initial_loss_{name}"]
    # Adaptive and momentum methods get below 0.5 in 150 steps (from ln 10 = 2.3).
    for name in ("momentum", "rmsprop", "adam"):
        assert m[f"loss_{name}"] < 0.5
        assert m[f"test_accuracy_{name}"] >= 0.85  # chance 10%


def test_transfer_learns_from_few_examples():
    m = quick_run("transfer")[0].metrics
    assert m["pretrain_accuracy"] >= 0.9  # digits 0-4: chance 20%
    # 25 labelled images (5 per digit 5-9): chance is 20%; quick runs reach ~90%.
    for name in ("scratch", "finetune", "frozen"):
        assert m[f"test_accuracy_{name}"] >= 0.6


@pytest.mark.parametrize("name", list(DEMOS))
def test_questions_are_computed_from_the_run(name):
    result, events = quick_run(name)
    questions = DEMOS[name].questions(result.metrics)
    assert 2 <= len(questions) <= 3
    for q in questions:
        assert q.answer in q.choices and len(set(q.choices)) == len(q.choices)
        assert q.prompt and q.explanation and q.id.startswith(f"demo-{name}-")
    # Events are plain data: the TUI and --json can use them as they are.
    for event in events:
        json.dumps(event.to_dict())
    assert events[0].kind == "start" and events[-1].kind == "done"
    assert events[0].payload["device"] == "cpu"


def test_optimizer_question_follows_the_metrics():
    m = dict(quick_run("optimizers")[0].metrics)
    m.update(loss_sgd=0.001, loss_momentum=0.2, loss_rmsprop=0.3, loss_adam=0.4)
    first = DEMOS["optimizers"].questions(m)[0]
    assert first.answer == "SGD"


def test_same_seed_same_run():
    a = run_demo("mlp", quick=True, device="cpu", seed=3).metrics
    b = run_demo("mlp", quick=True, device="cpu", seed=3).metrics
    c = run_demo("mlp", quick=True, device="cpu", seed=4).metrics
    assert a == b
    assert a != c
    cnn_a = run_demo("cnn", quick=True, device="cpu", seed=1, epochs=2).metrics
    cnn_b = run_demo("cnn", quick=True, device="cpu", seed=1, epochs=2).metrics
    assert cnn_a == cnn_b


@pytest.mark.parametrize("name", ["cnn", "rnn", "regularization"])
def test_cancel_stops_cleanly(name):
    cancel = threading.Event()
    seen: list[Event] = []

    def on_event(event: Event) -> None:
        seen.append(event)
        if event.kind == "progress" and event.step >= 2:
            cancel.set()

    result = run_demo(name, quick=True, device="cpu", cancel=cancel, on_event=on_event)
    assert result.cancelled and seen[-1].kind == "done"
    assert seen[-1].payload["cancelled"] is True
    steps = [e.step for e in seen if e.kind == "progress"]
    assert max(steps) <= 3 < seen[0].total


def test_cli_json_output():
    out = CliRunner().invoke(cli, ["demo", "mlp", "--quick", "--json", "--device", "cpu"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data) == {"demo", "device", "seconds", "metrics"}
    assert data["demo"] == "mlp" and data["device"] == "cpu"
    assert data["metrics"]["test_accuracy"] >= 0.9


def test_cli_errors_are_one_line():
    runner = CliRunner()
    out = runner.invoke(cli, ["demo", "nope"])
    assert out.exit_code != 0
    assert "unknown demo 'nope'" in out.output and "mlp" in out.output
    out = runner.invoke(cli, ["demo", "mlp", "--device", "tpu"])
    assert out.exit_code != 0 and "unknown device" in out.output
    out = runner.invoke(cli, ["demo", "mlp", "--text", "hello"])
    assert out.exit_code != 0 and "--text" in out.output


def test_demo_list_does_not_import_torch():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from tutor.cli import cli\n"
        "out = CliRunner().invoke(cli, ['demo', '--list'])\n"
        "assert out.exit_code == 0 and 'transfer-learning' in out.output, out.output\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pick_device():
    import torch

    from tutor.demos.device import pick_device

    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device(None).type in ("cpu", "cuda", "mps")
    with pytest.raises(TutorError, match="unknown device"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(TutorError, match="CUDA is not available"):
            pick_device("cuda")


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", ["mlp", "cnn", "optimizers"])
def test_demos_learn_on_cuda(name):
    result = run_demo(name, quick=True, device="cuda")
    assert result.device.startswith("cuda")
    assert run_demo(name, quick=True).device.startswith("cuda")  # picked by itself
    m = result.metrics
    if name == "mlp":
        assert m["test_accuracy"] >= 0.9
    elif name == "cnn":
        assert m["test_accuracy"] >= 0.85
    else:
        assert m["loss_adam"] < 0.5
