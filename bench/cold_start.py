"""cold_start_ratio_max: the slowest function's import (its cold start, before the first event) against a bare
boto3 + Powertools handler, each measured in fresh interpreters in the same run (median of N).

Both run as Lambda would run them: on exactly the layer's pinned packages (installed once under .bench/layer for
this machine's platform), with no site-packages of the developer's virtualenv in sight, and on our package as the
layer ships it: compiled to bytecode (layers/shared/Makefile), since Lambda's /opt is read-only and a module without
its .pyc is compiled again on every cold start. Probed from the sources instead, in an environment that writes no
bytecode (PYTHONDONTWRITEBYTECODE), each function's import would count ~40 ms of compiling that Lambda never does.
"""

import compileall
import json
import py_compile
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.local.template import ROOT, read_stack

LAYER = ROOT / ".bench" / "layer"
BUILT = ROOT / ".bench" / "package"

_PROBE = """
import importlib.util, os, sys, time
sys.path[:0] = [{packages!r}, {layer!r}]
os.environ.update({env!r})
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler_under_test", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(time.perf_counter() - start)
"""


def _placeholder(value: Any, parameters: dict[str, str]) -> str:
    """Template intrinsics resolved to plausible values: imports need the variables set, not real resources."""
    if isinstance(value, dict):
        if "Ref" in value:
            name = str(value["Ref"])
            return parameters.get(name, f"https://sqs.us-east-1.amazonaws.com/123456789012/bench-{name}")
        if "Fn::Sub" in value:
            return str(value["Fn::Sub"]).replace("${Stage}", parameters.get("Stage", "bench"))
        if "Fn::GetAtt" in value:
            return f"arn:aws:bench:us-east-1:123456789012:{value['Fn::GetAtt'][0]}"
    return str(value)


def layer_packages() -> Path:
    """The layer's pinned dependencies installed for this machine (once per requirements file)."""
    requirements = ROOT / "layers" / "shared" / "requirements.txt"
    stamp = LAYER / ".requirements"
    wanted = requirements.read_text(encoding="utf-8")
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != wanted:
        subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--upgrade",
                "--target",
                str(LAYER),
                "--requirement",
                str(requirements),
            ],
            check=True,
        )
        stamp.write_text(wanted, encoding="utf-8")
    return LAYER


def layer_package() -> Path:
    """Our package as the layer's build ships it: copied, then compiled as layers/shared/Makefile compiles it (fresh
    for every run, so it is always the working tree's code)."""
    shutil.rmtree(BUILT, ignore_errors=True)
    shutil.copytree(
        ROOT / "layers" / "shared" / "proativo", BUILT / "proativo", ignore=shutil.ignore_patterns("__pycache__")
    )
    compileall.compile_dir(BUILT, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return BUILT


def _import_seconds(path: Path, env: dict[str, str]) -> float:
    code = _PROBE.format(packages=str(LAYER), layer=str(BUILT), env=env, path=str(path))
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def measure(repeat: int = 9) -> dict[str, Any]:
    """Median import time of every function and of the bare baseline, and the worst ratio."""
    layer_packages()
    layer_package()
    stack = read_stack()
    parameters = {k: v for k, v in stack.parameter_defaults().items()}
    base_env = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    bare = Path(__file__).with_name("bare_handler.py")
    floor = Path(__file__).with_name("floor_handler.py")
    queue_floor = Path(__file__).with_name("queue_floor_handler.py")
    targets: dict[str, tuple[Path, dict[str, str]]] = {}
    for name, fn in stack.functions.items():
        env = {**base_env, **{k: _placeholder(v, parameters) for k, v in fn.environment.items()}}
        targets[name] = (fn.code_uri / f"{fn.handler.rpartition('.')[0]}.py", env)
    samples: dict[str, list[float]] = {"": [], "floor": [], "queue floor": [], **{name: [] for name in targets}}
    # Interleaved rounds: drift in the machine's load touches the baseline and the functions alike.
    for _ in range(repeat):
        samples[""].append(_import_seconds(bare, base_env))
        samples["floor"].append(_import_seconds(floor, base_env))
        samples["queue floor"].append(_import_seconds(queue_floor, base_env))
        for name, (path, env) in targets.items():
            samples[name].append(_import_seconds(path, env))
    baseline = statistics.median(samples.pop(""))
    validating = statistics.median(samples.pop("floor"))
    parsing = statistics.median(samples.pop("queue floor"))
    per_function = {name: statistics.median(values) for name, values in samples.items()}
    worst = max(per_function, key=lambda k: per_function[k])
    return {
        "cold_start_ratio_max": per_function[worst] / baseline,
        "cold_start_baseline_ms": baseline * 1000,
        "cold_start_floor_ratio": validating / baseline,
        "cold_start_queue_floor_ratio": parsing / baseline,
        "cold_start_worst_function": worst,
        "cold_start_ms": {k: round(v * 1000, 1) for k, v in sorted(per_function.items())},
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
