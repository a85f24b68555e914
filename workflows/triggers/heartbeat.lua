-- Runs every minute on a server that registered this folder:
--   sandflow serve --workflows workflows/triggers; sandflow schedules
return {
  name = "heartbeat",
  schedule = "* * * * *",
  timezone = "UTC",
  steps = {
    ping = { language = "shell", code = "echo alive" },
  },
}
