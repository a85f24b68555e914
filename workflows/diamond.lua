-- A diamond: one Python step fans out to a Lua and a Python branch, and a Lua step joins them.
workflow = {
  name = "diamond",
  description = "Fetch numbers, summarise them in two branches, join the results",
  steps = {
    fetch = {
      language = "python",
      code = [[
import sandflow

def run():
    print(f"fetching (attempt {sandflow.attempt})")
    return {"numbers": [3, 1, 4, 1, 5, 9, 2, 6]}
]],
    },
    stats = {
      language = "lua",
      depends_on = { "fetch" },
      code = [[
function run(inputs)
  local sum, max = 0, -math.huge
  for _, n in ipairs(inputs.fetch.numbers) do
    sum = sum + n
    if n > max then max = n end
  end
  print("sum is " .. sum)
  return { sum = sum, max = max, count = #inputs.fetch.numbers }
end
]],
    },
    sorted = {
      language = "python",
      depends_on = { "fetch" },
      code = [[
def run(inputs):
    return {"sorted": sorted(inputs["fetch"]["numbers"])}
]],
    },
    report = {
      language = "lua",
      depends_on = { "stats", "sorted" },
      code = [[
function run(inputs)
  local s = inputs.sorted.sorted
  return {
    summary = string.format("%d numbers, sum %d, max %d", inputs.stats.count, inputs.stats.sum, inputs.stats.max),
    median = (s[4] + s[5]) / 2,
  }
end
]],
    },
  },
}
