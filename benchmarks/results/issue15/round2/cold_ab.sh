# Alternate before/after six times (BEFORE and AFTER: source trees, e.g. `git archive` of a commit with and
# without the changes); output as in cold_ab.txt
for i in 1 2 3 4 5 6; do
  for t in "$BEFORE" "$AFTER"; do
    echo -n "$(basename "$t"): "
    PYTHONPATH="$t" python "$(dirname "$0")/cold_ab.py" "$t"
  done
done
