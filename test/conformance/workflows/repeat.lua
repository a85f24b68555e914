-- repeat: a step runs again, seeing its previous output as inputs.previous, until its
-- `until` holds; past `max` iterations it fails with LoopLimitError.
-- (repeat and until are Lua keywords: a Lua file writes them as ["repeat"] and ["until"].)
workflow = {
  name = "repeat",
  params = { goal = { type = "integer", default = 40 } },
  steps = {
    double = {
      language = "python",
      ["repeat"] = { ["until"] = "output.value >= params.goal", max = 10 },
      code = [[
def run(inputs):
    prev = inputs.get("previous")
    return {"value": 1 if prev is None else prev["value"] * 2}
]],
    },
    poll = {
      language = "shell",
      ["repeat"] = { ["until"] = "output.tries == 3", max = 5 },
      code = [[
if [ -n "$INPUT_PREVIOUS" ]; then n=$(parse_input previous | sed 's/[^0-9]//g'); else n=0; fi
echo "{\"tries\": $((n + 1))}"
]],
    },
    words = {
      language = "javascript",
      ["repeat"] = { ["until"] = "size(output) >= 3", max = 5 },
      code = [[function run(inputs) { return (inputs.previous || []).concat(["w" + sandflow.attempt]); }]],
    },
    endless = {
      language = "lua",
      ["repeat"] = { ["until"] = "output < 0", max = 3 },
      code = [[function run(inputs) return (inputs.previous or 0) + 1 end]],
    },
    report = {
      depends_on = { "double", "poll" },
      code = [[function run(inputs) return { value = inputs.double.value, tries = inputs.poll.tries } end]],
    },
  },
}
