"""Should the encoder ship int8? Dynamic int8 quantization against fp32, in one run.

Quantizes the exported encoder with `onnxruntime.quantization.quantize_dynamic`,
then, for fp32 and for int8 alike: the cosine of int8 vectors to fp32 on course
text, encode throughput, and retrieval quality (hit@1, hit@3, MRR, scope kept
and rejected; `bench_retrieval.evaluate`) on both question sets, each with a
course index built by that encoder in a temporary folder. int8 ships only if
every retrieval figure stays within noise (one question) of fp32.

    .venv/bin/python bench/bench_quantize.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench_retrieval import SETS, evaluate, load_set
from common import write_results

from tutor import embed, onnx_cache, paths
from tutor.answer import Answerer
from tutor.chunking import chunk_lesson
from tutor.course import load_course
from tutor.index import IndexStore, build_course_index


def session_for(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def measure(label: str, model: Path, course, texts: list[str], tmp: Path) -> dict:
    embed._session = session_for(model)  # the bench swaps the encoder under the library
    embed.encode(texts[:32])
    t0 = time.perf_counter()
    vectors = embed.encode(texts)
    throughput = len(texts) / (time.perf_counter() - t0)
    folder = tmp / f"index-{label}"
    build_course_index(course, folder)
    answerer = Answerer([IndexStore(folder)])
    sets = {}
    for name in SETS:
        questions, offtopic = load_set(name)
        r = evaluate(answerer, questions, offtopic)["hybrid+sentence"]
        sets[name] = {
            k: r[k] for k in ("hit@1", "hit@3", "mrr", "in_scope_kept", "offtopic_rejected")
        }
        sets[name]["questions"] = len(questions)
    return {
        "file_mb": round(model.stat().st_size / 1e6, 1),
        "texts_per_s": round(throughput, 1),
        "sets": sets,
        "_vectors": vectors,
    }


def main() -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = onnx_cache.ensure_encoder(embed.model_path())
    course = load_course(paths.content_dir())
    chunks = [c for lesson in course.lessons for c in chunk_lesson(lesson)]
    texts = [c.embed_text for c in chunks]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        int8 = tmp / "model-int8.onnx"
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        results = {
            "fp32": measure("fp32", fp32, course, texts, tmp),
            "int8": measure("int8", int8, course, texts, tmp),
        }
    a, b = results["fp32"].pop("_vectors"), results["int8"].pop("_vectors")
    cosine = (a * b).sum(axis=1)
    results["int8_vs_fp32_cosine"] = {
        "mean": round(float(cosine.mean()), 4),
        "min": round(float(cosine.min()), 4),
    }
    within = all(
        abs(results["int8"]["sets"][s][k] - results["fp32"]["sets"][s][k])
        <= 1 / results["fp32"]["sets"][s]["questions"] + 1e-9
        for s in SETS
        for k in ("hit@1", "hit@3", "mrr", "in_scope_kept")
    )
    results["ship_int8"] = within
    for label in ("fp32", "int8"):
        r = results[label]
        print(f"{label}: {r['file_mb']} MB, {r['texts_per_s']} texts/s")
        for name, s in r["sets"].items():
            print(f"  {name:9} " + "  ".join(f"{k} {v}" for k, v in s.items()))
    print("int8 vs fp32 cosine:", results["int8_vs_fp32_cosine"], "ship int8:", within)
    write_results("quantize", results)


if __name__ == "__main__":
    main()
