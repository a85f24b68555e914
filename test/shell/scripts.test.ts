import { describe, expect, test } from "vitest";
import { output, runStep } from "./helpers.js";

const enc = new TextEncoder();

describe("workflow-like scripts", () => {
  test("a report from a dependency's JSON with functions, local, $(...) and here-docs", async () => {
    const code = `
run() {
  rows=$(parse_input fetch | sed 's/[][{}"]//g' | tr ',' '\\n' | grep -c 'name:')
  total=0
  for n in $(parse_input fetch | grep -o '"n": *[0-9]*' | grep -o '[0-9]*$'); do
    total=$((total + n))
  done
  label() { local word=$1; echo "$word" | tr a-z A-Z; }
  cat <<EOF
{"rows": $rows, "total": $total, "label": "$(label report)"}
EOF
}`;
    const inputs = {
      fetch: [
        { name: "a", n: 2 },
        { name: "b", n: 40 },
      ],
    };
    const r = await runStep(code, { inputs });
    expect(output(r.outcome)).toEqual({ rows: 2, total: 42, label: "REPORT" });
  });

  test("find -exec, xargs and awk over workspace files", async () => {
    const files = {
      "/workspace/logs/a.log": enc.encode("INFO start\nERROR disk\nINFO done\n"),
      "/workspace/logs/b.log": enc.encode("ERROR net\nERROR disk\n"),
      "/workspace/logs/skip.txt": enc.encode("ERROR not a log\n"),
    };
    const code = `
set -eu
find logs -name '*.log' -exec grep -h ERROR {} + | awk '{c[$2]++} END {for (k in c) printf "%s %d\\n", k, c[k]}' | sort > /tmp/counts
find logs -name '*.log' | sort | xargs -n1 wc -l | awk '{printf "%s=%s\\n", $2, $1}' > /tmp/lines
{
  printf '{"errors": {'
  awk '{printf "%s\\"%s\\": %d", (NR > 1 ? ", " : ""), $1, $2}' /tmp/counts
  printf '}, "lines": "%s"}\\n' "$(tr '\\n' ' ' < /tmp/lines | sed 's/ $//')"
} > "$SANDFLOW_OUTPUT"`;
    const r = await runStep(code, { files });
    expect(output(r.outcome)).toEqual({ errors: { disk: 2, net: 1 }, lines: "logs/a.log=3 logs/b.log=2" });
  });

  test("set -e stops at the first failure; traps run on exit", async () => {
    const r = await runStep(`set -e
trap 'echo "cleanup ran" >&2' EXIT
echo one
false
echo never`);
    expect(r.outcome).toMatchObject({ ok: false, error: { name: "StepRuntimeError" } });
    if (!r.outcome.ok) expect(r.outcome.error.message).toBe("shell step exited with status 1: cleanup ran");
    expect(r.emitted.stdout).toBe("one\n");
  });

  test("getopts, case, arithmetic and string operations", async () => {
    const code = `
parse() {
  local OPTIND opt verbose=0 name=none
  while getopts "vn:" opt; do
    case $opt in v) verbose=1 ;; n) name=$OPTARG ;; *) return 2 ;; esac
  done
  shift $((OPTIND - 1))
  echo "$verbose $name $#"
}
s="hello-world.tar.gz"
echo "{\\"parsed\\": \\"$(parse -v -n x a b)\\", \\"base\\": \\"\${s%%.*}\\", \\"ext\\": \\"\${s#*.}\\", \\"len\\": \${#s}, \\"sum\\": $(( (3 + 4) * 6 ))}"`;
    const r = await runStep(code);
    expect(output(r.outcome)).toEqual({
      parsed: "1 x 2",
      base: "hello-world",
      ext: "tar.gz",
      len: 18,
      sum: 42,
    });
  });

  test("sed, sort, uniq, cut, tr, paste, comm and date", async () => {
    const code = `
printf 'b,2\\na,1\\nb,3\\nc,1\\n' > data.csv
cut -d, -f1 data.csv | sort | uniq -c | awk '{print $2":"$1}' | paste -sd, - > counts
printf 'a\\nb\\nc\\n' > l1; printf 'b\\nc\\nd\\n' > l2
comm -12 l1 l2 | tr '\\n' ' ' > common
sed -n 's/^\\([a-z]\\),\\([0-9]\\)$/\\2\\1/p' data.csv | sort -n | head -1 > first
y=$(date -u -d @0 +%Y)
echo "{\\"counts\\": \\"$(cat counts)\\", \\"common\\": \\"$(cat common)\\", \\"first\\": \\"$(cat first)\\", \\"epoch\\": $y}"`;
    const r = await runStep(code);
    expect(output(r.outcome)).toEqual({ counts: "a:1,b:2,c:1", common: "b c ", first: "1a", epoch: 1970 });
  });

  test("read loops, IFS and eval", async () => {
    const code = `
printf 'k1=v1\\nk2=v two\\n' > kv
out=""
while IFS== read -r k v; do
  eval "cfg_$k=\\"\\$v\\""
  out="$out$k;"
done < kv
echo "[\\"$out\\", \\"$cfg_k2\\"]"`;
    const r = await runStep(code);
    expect(output(r.outcome)).toEqual(["k1;k2;", "v two"]);
  });
});
