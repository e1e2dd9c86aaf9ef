#!/usr/bin/env bash
# Run the replications of one scenario as a Slurm job array of 10 shards, then merge the
# shard folders into the files one unsharded run would write (byte for byte, apart from
# provenance.json and the report, which record how the run went). See examples/README.md.
#
# Submit from the repository root (or anywhere the scenario path resolves):
#
#     bash examples/slurm-array.sh scenarios/baseline-2025.toml
#
# which submits this script as the array and a merge job that starts once every task has
# succeeded (afterok). Submitting the array by hand works too:
#
#     sbatch examples/slurm-array.sh scenarios/baseline-2025.toml
#
# and then, when it is done: corridor merge results/shard-* --out results/merged
#
# Settings, as environment variables at submission:
#   CORRIDOR  the corridor binary (default: corridor on PATH)
#   RESULTS   the results folder on a file system every node sees (default: results)
#   REPS      replications (default: the scenario's run.replications)
#
#SBATCH --job-name=corridor
#SBATCH --array=0-9
#SBATCH --cpus-per-task=4
#SBATCH --mem=2G
#SBATCH --time=04:00:00
#SBATCH --output=logs/corridor-%A_%a.out
# A pre-empted or failed task can be requeued: --resume below keeps what it finished.
#SBATCH --requeue

set -euo pipefail

SCENARIO=${1:?usage: slurm-array.sh SCENARIO.toml}
CORRIDOR=${CORRIDOR:-corridor}
RESULTS=${RESULTS:-results}
REPS=${REPS:-}

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
    # Not inside the array: submit it, then the merge behind it. The shard folders do not
    # exist yet, so the glob must be expanded by the merge job's shell, not here.
    mkdir -p logs "$RESULTS"
    array=$(sbatch --parsable --export=ALL "$0" "$SCENARIO")
    array=${array%%;*} # "jobid;cluster" on federated clusters
    merge=$(sbatch --parsable --export=ALL \
        --job-name=corridor-merge \
        --dependency="afterok:${array}" \
        --kill-on-invalid-dep=yes \
        --cpus-per-task=1 --mem=2G --time=00:30:00 \
        --output=logs/corridor-merge-%j.out \
        --wrap="'$CORRIDOR' merge '$RESULTS'/shard-* --out '$RESULTS/merged'")
    echo "submitted array job ${array} and merge job ${merge%%;*} (runs after every task succeeds)"
    exit 0
fi

# Shard K of N takes work items i with i mod N = K (items: every replication of the
# scenario, numbered from 0). --array must be a contiguous range starting at 0 for
# TASK_ID/TASK_COUNT to be K/N; for --array=1-10, drop --shard and let corridor read
# SLURM_ARRAY_TASK_ID, _COUNT and _MIN itself.
shard="${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}"
out="${RESULTS}/shard-${SLURM_ARRAY_TASK_ID}"

# --resume: a requeued task continues where it stopped; on a fresh folder it is a plain run.
# --jobs: one thread per allocated CPU, not per core of the node.
"$CORRIDOR" run "$SCENARIO" \
    --shard "$shard" \
    --out "$out" \
    --jobs "${SLURM_CPUS_PER_TASK:-1}" \
    ${REPS:+--reps "$REPS"} \
    --resume \
    --quiet
