#!/usr/bin/env bash
# Build (or check) the project's virtual environment in .venv, idempotently.
#
#   bash tools/setup_env.sh            # create/complete .venv, then verify mmcv ops
#
# Environment:
#   EIANET_VENV       where the environment lives (default: <repo>/.venv)
#   EIANET_WHEELHOUSE a folder of prebuilt wheels (mmcv compiled for this torch);
#                     defaults to ../shared/wheelhouse when it exists.
#   EIANET_PYTHON     the interpreter used to create the venv (default: python3)
#
# GPU users: create the venv, install the CUDA torch you want into it first, then run this
# script; an installed torch is kept and mmcv is compiled against it (FORCE_CUDA=1).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${EIANET_VENV:-$repo/.venv}"
python_bin="${EIANET_PYTHON:-python3}"
wheelhouse="${EIANET_WHEELHOUSE:-}"
if [ -z "$wheelhouse" ] && [ -d "$repo/../shared/wheelhouse" ]; then
  wheelhouse="$(cd "$repo/../shared/wheelhouse" && pwd)"
fi
stamp="$venv/.eianet_setup_ok"
req_hash=$(cat "$repo"/requirements/*.txt "$repo/setup.py" "$0" | sha256sum | cut -c1-16)

log() { echo "[setup] $*"; }

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$req_hash" ] && [ -x "$venv/bin/python" ]; then
  if "$venv/bin/python" -c "import eianet_mm, mmdet.models; from mmcv.ops import nms, RoIAlign" 2>/dev/null; then
    log "environment in $venv is complete (nothing to do)"
    exit 0
  fi
fi

if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv"
  "$python_bin" -m venv "$venv"
fi
py="$venv/bin/python"
pip=("$py" -m pip install --disable-pip-version-check)

# 1. torch: keep a torch that is already installed (e.g. a CUDA build); else the pinned CPU build.
if "$py" -c "import torch" 2>/dev/null; then
  log "keeping installed torch $("$py" -c 'import torch; print(torch.__version__)')"
else
  log "installing torch (requirements/torch.txt)"
  "${pip[@]}" -r "$repo/requirements/torch.txt"
fi

# 2. build tools, mmcv's and mmengine's own requirements, then mmengine without its opencv-python.
"${pip[@]}" -q -r "$repo/requirements/build.txt"
"${pip[@]}" -q --no-deps "$(grep '^mmengine' "$repo/requirements/mmlab.txt")"

# 3. mmcv with compiled ops: a matching prebuilt wheel, else compile from the registry's source.
mmcv_ok() { "$py" -c "from mmcv.ops import nms, RoIAlign" 2>/dev/null; }
if ! mmcv_ok; then
  torch_ver=$("$py" -c "import torch; print(torch.__version__)")
  wheel=""
  if [ -n "$wheelhouse" ] && [ -d "$wheelhouse" ]; then
    wheel=$(ls "$wheelhouse"/mmcv-2.1.0-*.whl 2>/dev/null | head -n 1 || true)
  fi
  if [ -n "$wheel" ]; then
    log "installing prebuilt mmcv from $wheel"
    "${pip[@]}" -q --no-deps --force-reinstall "$wheel"
    if ! mmcv_ok; then
      log "the prebuilt wheel does not load beside torch $torch_ver; compiling instead"
      "$py" -m pip uninstall -y -q mmcv
      wheel=""
    fi
  fi
  if [ -z "$wheel" ]; then
    log "compiling mmcv 2.1.0 with its ops against torch $torch_ver."
    log "This takes about HALF AN HOUR on 2 cores (set EIANET_WHEELHOUSE to a folder with a prebuilt wheel to skip it)."
    cuda_flag=0
    "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" && cuda_flag=1 || true
    MMCV_WITH_OPS=1 FORCE_CUDA=$cuda_flag MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      "${pip[@]}" --no-deps --no-build-isolation --no-binary mmcv "$(grep '^mmcv' "$repo/requirements/mmlab.txt")"
  fi
fi

# 4. the rest of the runtime, the tests, and the package itself (editable).
"${pip[@]}" -q -r "$repo/requirements/runtime.txt" -r "$repo/requirements/tests.txt"
"${pip[@]}" -q --no-deps "$(grep '^mmdet' "$repo/requirements/mmlab.txt")"
"${pip[@]}" -q --no-build-isolation --no-deps -e "$repo"

# 5. verify.
if ! "$py" -c "from mmcv.ops import nms, RoIAlign" ; then
  echo "[setup] ERROR: mmcv is installed without its compiled ops (mmcv._ext missing)." >&2
  echo "[setup] Remove it ('$py -m pip uninstall mmcv') and re-run this script; it compiles mmcv" >&2
  echo "[setup] with MMCV_WITH_OPS=1 and --no-build-isolation, or point EIANET_WHEELHOUSE at a" >&2
  echo "[setup] folder holding an mmcv-2.1.0 wheel built for your torch." >&2
  exit 1
fi
if ! "$py" -c "import mmdet.models, eianet_mm"; then
  echo "[setup] ERROR: 'import mmdet.models, eianet_mm' failed (see the traceback above)." >&2
  exit 1
fi
"$py" -c "import torch, mmcv, mmdet, mmengine, eianet_mm; print('[setup] ok: torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmdet', mmdet.__version__, '| mmengine', mmengine.__version__, '| eianet_mm', eianet_mm.__version__)"
echo "$req_hash" > "$stamp"
