#!/usr/bin/env bash
# One run of every GPU check, for a machine with an NVIDIA GPU, CuPy and CUDA torch:
#   MINIGRAD_MNIST_DIR=/path/to/mnist OUT=/tmp/gpu bash benchmarks/gpu_check.sh
# Each step has its own time limit, so one that hangs leaves the others' logs.
# Logs go to $OUT (default /tmp/minigrad-gpu).
set -u
OUT=${OUT:-/tmp/minigrad-gpu}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  $PY -c "import cupy, numpy, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'torch', torch.__version__, 'cuda', torch.version.cuda)"
  $PY -c "import minigrad; print('minigrad sees a GPU:', minigrad.cuda.is_available())"
} > "$OUT/machine.txt" 2>&1
step() {  # step NAME SECONDS COMMAND...: run with a limit, log to $OUT/NAME.log
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  echo "$name: exit $? in $((SECONDS - start)) s" >> "$OUT/machine.txt"
}
step cuda_tests 150 $PY -m pytest -q -m cuda -p no:cacheprovider -n 4 -rfE tests
step mnist_lstm 150 $PY examples/mnist_lstm.py --device cuda --epochs 3 \
     --checkpoint /tmp/mnist_lstm.ckpt --plot /tmp/mnist_lstm.png
step bench_rnn 60 $PY benchmarks/bench_rnn.py --device cuda --rounds 3
step bench_transformer 45 $PY benchmarks/bench_transformer.py --device cuda --repeats 3
step bench_core 60 $PY benchmarks/bench_core.py --device cuda --rounds 2 --seconds 1
# where a GPU LSTM training step's time goes (LSTM(28, 64, 2 layers) + Linear, batch 64)
step profile_lstm_step 60 $PY - <<'PROFILE'
import cProfile, pstats, sys
sys.path.insert(0, "benchmarks")
import bench_rnn, minigrad
step = bench_rnn.training_step(minigrad, 64, 64, device="cuda")
for _ in range(3):
    step()
minigrad.cuda.synchronize()
cProfile.run("for _ in range(10): step()\nminigrad.cuda.synchronize()", "/tmp/lstm_step.prof")
stats = pstats.Stats("/tmp/lstm_step.prof")
stats.sort_stats("tottime").print_stats(30)
stats.sort_stats("cumtime").print_stats(40)
PROFILE
cat "$OUT/machine.txt"
