#!/usr/bin/env bash
# Runs the same M/M/c model (λ = 8/h, μ = 1/h, c = 10, 200,000 h) once in corridor (Rust,
# examples/mmc.rs) and once in SimPy 4 (mmc_simpy.py), and prints both wall times and their
# ratio. Needs python3 with venv and access to PyPI; the tests never need any of this.
#
# Usage: benches/peers/run.sh [HORIZON_HOURS]
# The venv is created under the cargo target directory ($CARGO_TARGET_DIR or ./target).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
horizon=${1:-200000}
venv="$target/peers-venv"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'simpy==4.*'

(cd "$root" && cargo build --quiet --release --example mmc)

echo "== corridor (Rust)"
rust_out=$("$target/release/examples/mmc" "$horizon")
echo "$rust_out"
echo "== SimPy"
py_out=$("$venv/bin/python" "$here/mmc_simpy.py" "$horizon")
echo "$py_out"

rust_s=$(printf '%s\n' "$rust_out" | sed -n 's/^wall_s=//p')
py_s=$(printf '%s\n' "$py_out" | sed -n 's/^wall_s=//p')
echo "== wall time: corridor ${rust_s} s, SimPy ${py_s} s"
awk -v r="$rust_s" -v p="$py_s" 'BEGIN { printf "== SimPy / corridor = %.0fx\n", p / r }'
