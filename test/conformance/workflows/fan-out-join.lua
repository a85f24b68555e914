-- Fan-out to all three languages and a join: JSON passes between Python, Lua and shell.
workflow = {
  name = "fan-out-join",
  description = "One Python source, three branches (Python, Lua, shell), a Lua join",
  steps = {
    source = {
      language = "python",
      code = [[
import sandflow

def run():
    print("source: attempt", sandflow.attempt, "step", sandflow.step_id)
    return {"words": ["delta", "alpha", "charlie", "bravo"], "ratio": 0.25, "text": "héllo ✓"}
]],
    },
    py_sort = {
      language = "python",
      depends_on = { "source" },
      code = [[
def run(inputs):
    return sorted(inputs["source"]["words"])
]],
    },
    lua_lengths = {
      language = "lua",
      depends_on = { "source" },
      code = [[
function run(inputs)
  local lengths = {}
  for i, word in ipairs(inputs.source.words) do lengths[i] = #word end
  print("lengths", table.concat(lengths, ","))
  return { lengths = lengths, text = inputs.source.text, ratio = inputs.source.ratio * 4 }
end
]],
    },
    sh_upper = {
      language = "shell",
      depends_on = { "source" },
      code = [[
run() {
  words=$(parse_input source | tr ',' '\n' | grep -c 'a')
  echo "shell: $words fields contain an a" >&2
  printf '{"upper": "%s", "attempt": %s}\n' "$(echo alpha | tr a-z A-Z)" "$SANDFLOW_ATTEMPT"
}
]],
    },
    join = {
      language = "lua",
      depends_on = { "py_sort", "lua_lengths", "sh_upper" },
      code = [[
function run(inputs)
  return {
    first = inputs.py_sort[1],
    count = #inputs.py_sort,
    lengths = inputs.lua_lengths.lengths,
    upper = inputs.sh_upper.upper,
    text = inputs.lua_lengths.text,
  }
end
]],
    },
  },
}
