-- Conditions and trigger rules:
--   sandflow run workflows/conditions.lua --param region=eu --param dry_run=true
workflow = {
  name = "conditions",
  params = {
    region = { type = "string", default = "us" },
    dry_run = { type = "boolean", default = false },
  },
  steps = {
    check = { language = "python", code = [[
def run():
    return {"changes": 3, "healthy": True}
]] },
    deploy = {
      depends_on = { "check" },
      when = "!params.dry_run && inputs.check.changes > 0",
      code = [[function run(inputs) return { deployed = inputs.check.changes, region = sandflow.params.region } end]],
    },
    eu_notice = {
      language = "shell",
      when = 'params.region == "eu"',
      code = [[echo "{\"notice\": $(param region)}"]],
    },
    summary = {
      depends_on = { "deploy", "eu_notice" },
      trigger_rule = "none_failed", -- runs when deploy or eu_notice was skipped by its condition
      language = "javascript",
      code = [[function run(inputs) { return { deployed: inputs.deploy !== null, notice: inputs.eu_notice }; }]],
    },
    cleanup = {
      depends_on = { "deploy" },
      trigger_rule = "all_done", -- runs whatever became of deploy; the run still fails if it failed
      code = [[function run() return "cleaned" end]],
    },
  },
}
