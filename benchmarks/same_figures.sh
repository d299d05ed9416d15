#!/usr/bin/env bash
# Do two commits give the same evaluation figures? (issue #14: a reshaping must not change
# them). Each commit is checked out into a temporary worktree and run with this repo's
# .venv (PYTHONPATH puts that commit's src first) on MovieLens 100K:
#   popular, itemknn, ease, seqknn, als and bpr tuned with 3 trials; the default hybrid;
#   sasrec and two_tower at 3 epochs; EASE on the random protocol.
# NDCG@10 and Recall@10 are printed to one file per commit,
# then compared.      usage: benchmarks/same_figures.sh OLD_COMMIT NEW_COMMIT
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=$REPO/.venv/bin/python
DATA=${TAILORWISE_DATA_DIR:-$REPO/../shared/data}/movielens-100k
WORK=$(mktemp -d)
trap 'git -C "$REPO" worktree remove --force "$WORK/old" 2>/dev/null; git -C "$REPO" worktree remove --force "$WORK/new" 2>/dev/null; rm -rf "$WORK"' EXIT

figures() {  # $1: a checked-out tree, $2: the output file
  local db=$WORK/ml-$RANDOM.duckdb run="$PY -m tailorwise.cli"
  export PYTHONPATH=$1/src
  (cd "$WORK" && $run ingest "$DATA" --format movielens --db "$db" > /dev/null)
  printf '[model]\nname = "sasrec"\n[model.params]\nepochs = 3\nearly_stopping = false\n' > "$WORK/sas.toml"
  printf '[model]\nname = "two_tower"\n[model.params]\nepochs = 3\n' > "$WORK/tt.toml"
  {
    for m in popular itemknn ease seqknn als bpr; do
      echo "== $m, 3 trials"; $run evaluate --model "$m" --tune-trials 3 --k 10 --db "$db" 2>&1 | grep -E "│ (ndcg|recall) "
    done
    echo "== hybrid"; $run evaluate --model hybrid --k 10 --db "$db" 2>&1 | grep -E "│ (ndcg|recall) "
    echo "== sasrec, 3 epochs"; $run evaluate --config "$WORK/sas.toml" --k 10 --db "$db" 2>&1 | grep -E "│ (ndcg|recall) "
    echo "== two_tower, 3 epochs"; $run evaluate --config "$WORK/tt.toml" --k 10 --db "$db" 2>&1 | grep -E "│ (ndcg|recall) "
    echo "== ease, random protocol"; $run evaluate --model ease --protocol random --k 10 --db "$db" 2>&1 | grep -E "│ (ndcg|recall) "
  } > "$2"
}

git -C "$REPO" worktree add -q "$WORK/old" "$1"
git -C "$REPO" worktree add -q "$WORK/new" "$2"
figures "$WORK/old" "$WORK/old.txt"
figures "$WORK/new" "$WORK/new.txt"
cat "$WORK/new.txt"
if diff "$WORK/old.txt" "$WORK/new.txt"; then echo "SAME: every figure repeats"; else echo "DIFFERENT"; exit 1; fi
