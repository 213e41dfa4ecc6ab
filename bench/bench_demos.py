"""Time and final metric of every live demo at its default size (and its --quick size).

Runs on the CPU, and on CUDA too whenever a CUDA device is present, and writes
bench/results/demos.json. Wall seconds exclude importing torch and the demo module
(paid once per process); the attention demo's seconds include loading MiniLM.
CPU seconds are this process's CPU time during the run: on a busy shared machine
they are the better guide to what an idle machine's wall time would be.

    .venv/bin/python bench/bench_demos.py [--only NAME ...] [--no-quick]
"""

from __future__ import annotations

import argparse
import os
import time

from common import write_results

from tutor.demos import DEMOS, run_demo

# The number that says whether a demo worked, per demo (all metrics are kept too).
HEADLINE = {
    "mlp": ["test_accuracy"],
    "cnn": ["test_accuracy"],
    "rnn": ["rnn_val_loss", "lstm_val_loss", "chance_loss"],
    "attention": ["tokens", "learned_sim_adjacent", "learned_sim_far"],
    "regularization": ["val_loss_plain", "val_loss_dropout", "val_loss_l2", "val_loss_early_stop"],
    "optimizers": ["loss_sgd", "loss_momentum", "loss_rmsprop", "loss_adam", "loss_adam_cosine"],
    "transfer": ["test_accuracy_scratch", "test_accuracy_finetune", "test_accuracy_frozen"],
}
LIMIT_S = 30.0


def measure(name: str, device: str, quick: bool) -> dict:
    load_before = os.getloadavg()[0]
    cpu0 = time.process_time()
    result = run_demo(name, device=device, quick=quick)
    cpu = time.process_time() - cpu0
    return {
        "demo": name,
        "size": "quick" if quick else "default",
        "device": result.device,
        "seconds": round(result.seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "load_average_1m": round(load_before, 2),
        "headline": {k: result.metrics.get(k) for k in HEADLINE[name]},
        "metrics": result.metrics,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=list(DEMOS), help="Only these demos.")
    parser.add_argument("--no-quick", action="store_true", help="Skip the --quick sizes.")
    args = parser.parse_args()

    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    sizes = [False] if args.no_quick else [False, True]
    names = args.only or list(DEMOS)
    rows = []
    print(f"{'demo':<15}{'size':<9}{'device':<8}{'wall s':>8}{'cpu s':>8}{'load':>6}  headline")
    for device in devices:
        for quick in sizes:
            for name in names:
                row = measure(name, device, quick)
                rows.append(row)
                head = ", ".join(f"{k}={v}" for k, v in row["headline"].items())
                print(
                    f"{name:<15}{row['size']:<9}{row['device']:<8}{row['seconds']:>8.2f}"
                    f"{row['cpu_seconds']:>8.2f}{row['load_average_1m']:>6.1f}  {head}",
                    flush=True,
                )
    cpu_default = [r for r in rows if r["device"] == "cpu" and r["size"] == "default"]
    write_results(
        "demos",
        {
            "torch": torch.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "cpu_threads_per_demo": int(os.environ.get("TUTOR_DEMO_THREADS", 1)),
            "limit_s": LIMIT_S,
            "all_default_cpu_under_limit": all(r["seconds"] < LIMIT_S for r in cpu_default),
            "runs": rows,
        },
    )


if __name__ == "__main__":
    main()
