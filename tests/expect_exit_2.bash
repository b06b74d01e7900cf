# Sourced by the scripts' bad-input tests: expect_exit_2 EXPECTED_TEXT COMMAND... runs COMMAND and
# counts a failure (in $failures) unless it exits 2 with exactly one line on stderr that contains
# EXPECTED_TEXT, and leaves $out (the output directory the caller passed it, if any) uncreated.
failures=0
expect_exit_2() {
  local expected=$1
  shift
  local stderr code
  stderr=$("$@" 2>&1 >/dev/null)
  code=$?
  if [ "$code" != 2 ] || [ "$(wc -l <<<"$stderr")" != 1 ] || [[ $stderr != *"$expected"* ]] ||
    [ -e "$out" ]; then
    echo "FAIL: $*: exit $code, stderr: $stderr" >&2
    failures=$((failures + 1))
  fi
}
