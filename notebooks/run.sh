#!/bin/sh
# Executes every notebook (NN-*.ipynb) headless, in place, and fails when a cell fails. Installs what it needs:
# the Debian packages (jupyter-nbconvert, python3-ipykernel...) as root or with passwordless sudo, else names
# them; the .NET Interactive tool and its Jupyter kernel as the user (a dotnet global tool from NuGet).
# Needs: `make build` (the notebooks #r the Release build) and `make all` (they read data/processed).
#   notebooks/run.sh [notebook.ipynb ...]        default: all of them
# Set RESEARCH_PIPELINE_PROCESSED=dir to read another published folder (the outputs then describe that folder).
set -eu
cd "$(dirname "$0")"

DOTNET_INTERACTIVE_VERSION=1.0.712001
export PATH="$PATH:${DOTNET_TOOLS:-$HOME/.dotnet/tools}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1

DEBIAN_PACKAGES="jupyter-nbconvert jupyter-client python3-nbformat python3-ipykernel"
have_jupyter() { command -v jupyter-nbconvert >/dev/null 2>&1 && command -v jupyter >/dev/null 2>&1; }
if ! have_jupyter; then
    as_root=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root="sudo -n"; else as_root="none"; fi
    fi
    if [ "$as_root" != none ] && command -v apt-get >/dev/null 2>&1; then
        echo "notebooks: installing Debian packages: $DEBIAN_PACKAGES"
        export DEBIAN_FRONTEND=noninteractive
        $as_root apt-get install -y -qq --no-install-recommends $DEBIAN_PACKAGES >/dev/null \
            || { $as_root apt-get update -qq >/dev/null && $as_root apt-get install -y -qq --no-install-recommends $DEBIAN_PACKAGES >/dev/null; } \
            || { echo "notebooks: apt-get could not install $DEBIAN_PACKAGES" >&2; exit 2; }
    fi
    if ! have_jupyter; then
        echo "notebooks: missing Debian packages; as root: apt-get install -y $DEBIAN_PACKAGES" >&2
        exit 2
    fi
fi
command -v dotnet >/dev/null 2>&1 || { echo "notebooks: the .NET SDK (dotnet) is not on PATH" >&2; exit 2; }

if ! command -v dotnet-interactive >/dev/null 2>&1; then
    echo "notebooks: installing the .NET Interactive tool $DOTNET_INTERACTIVE_VERSION (dotnet tool install -g)"
    dotnet tool install -g Microsoft.dotnet-interactive --version "$DOTNET_INTERACTIVE_VERSION"
fi
if ! [ -f "${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/.net-csharp/kernel.json" ]; then
    echo "notebooks: registering the .NET (C#) Jupyter kernel (dotnet interactive jupyter install)"
    # It writes into the user's kernel folder and fails when that folder does not exist yet.
    mkdir -p "${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels"
    dotnet interactive jupyter install
fi

[ -f ../pipeline/ResearchPipeline.Cli/bin/Release/net10.0/ResearchPipeline.dll ] || { echo "notebooks: no Release build; run make build" >&2; exit 2; }
[ -f "${RESEARCH_PIPELINE_PROCESSED:-../data/processed}/captures.parquet" ] || { echo "notebooks: no published tables in ${RESEARCH_PIPELINE_PROCESSED:-data/processed}; run make all" >&2; exit 2; }

# strip_volatile.py needs nbformat, which the interpreter running nbconvert has.
python=$(sed -n '1s/^#! *//p' "$(command -v jupyter-nbconvert)")
[ -n "$python" ] || python=python3

log=$(mktemp)
trap 'rm -f "$log"' EXIT
[ $# -gt 0 ] || set -- [0-9][0-9]-*.ipynb
for notebook in "$@"; do
    echo "notebooks: executing $notebook"
    # nbconvert stops at the first failing cell, prints it and leaves the file as it was; the kernel's web
    # host chatter (Microsoft.Hosting.Lifetime) is dropped from the log.
    if ! jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 --log-level=WARN "$notebook" >"$log" 2>&1; then
        grep -v -e 'Microsoft.Hosting.Lifetime' -e '^      ' "$log" >&2
        echo "notebooks: $notebook failed" >&2
        exit 1
    fi
    $python strip_volatile.py "$notebook"
done
