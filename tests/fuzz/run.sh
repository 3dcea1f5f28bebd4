#!/bin/sh
# run.sh: run libFuzzer targets one after the other and print one summary row each.
#
#   tests/fuzz/run.sh BUILD_DIR runs N TARGET...      each target for N executions
#   tests/fuzz/run.sh BUILD_DIR seconds N TARGET...   each target for N seconds
#
# TARGET:M gives that target its own M.
#
# Each target starts from tests/fuzz/corpus_TARGET (copied: libFuzzer writes what it
# finds into its corpus). With `seconds` the grown corpus is kept in
# BUILD_DIR/fuzz/seconds/work_TARGET for the next run. Findings (crash-, leak-, timeout-,
# oom- files) and the log stay in BUILD_DIR/fuzz/MODE/; copy a finding into the corpus
# once it is fixed. Exit status 1 if any target found anything.
set -u
build=$1 mode=$2 n=$3
shift 3
bins=$build/fuzz
out=$bins/$mode # runs and seconds can go on side by side
mkdir -p "$out"
fail=0
printf '%-11s %12s %8s %9s %8s %6s %9s %6s %6s\n' target executions seconds exec/s \
	crashes leaks timeouts ooms ubsan
for arg in "$@"; do
	t=${arg%%:*}
	m=$n
	[ "$t" != "$arg" ] && m=${arg#*:}
	bin=$bins/fuzz_$t
	art=$out/findings_$t
	log=$out/fuzz_$t.log
	rm -rf "$art"
	mkdir -p "$art"
	if [ "$mode" = runs ]; then
		corpus=$(mktemp -d)
		limit="-runs=$m"
	else
		corpus=$out/work_$t
		mkdir -p "$corpus"
		limit="-max_total_time=$m"
	fi
	cp tests/fuzz/corpus_$t/* "$corpus"/
	start=$(date +%s.%N)
	# -timeout: one input taking 10 s is a finding (an endless loop), not a slow run.
	"$bin" $limit -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "$corpus" </dev/null >"$log" 2>&1
	rc=$?
	end=$(date +%s.%N)
	[ "$mode" = runs ] && rm -rf "$corpus"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	secs=$(echo "$end - $start" | bc)
	rate=$(echo "${execs:-0} / $secs" | bc)
	count() { ls "$art" | grep -c "^$1-" ; }
	crashes=$(count crash) leaks=$(count leak) timeouts=$(count timeout) ooms=$(count oom)
	ubsan=$(grep -c 'runtime error:' "$log")
	printf '%-11s %12s %8.1f %9s %8s %6s %9s %6s %6s\n' "$t" "${execs:-?}" "$secs" \
		"${rate:-?}" "$crashes" "$leaks" "$timeouts" "$ooms" "$ubsan"
	if [ $rc -ne 0 ] || [ -z "$execs" ] || [ "$crashes$leaks$timeouts$ooms$ubsan" != 00000 ]; then
		fail=1
		echo "fuzz_$t: exit $rc; log $log, findings in $art:" >&2
		ls "$art" >&2
		grep -A12 -m1 'ERROR\|runtime error' "$log" >&2
	fi
done
exit $fail
