-- Timeouts in every language: a spinning step is interrupted (Python, Lua, shell), one that
-- ignores the interrupt has its worker replaced, and the steps after them still run.
workflow = {
  name = "timeouts",
  steps = {
    py_spin = {
      language = "python",
      timeout = 1,
      code = [[
def run():
    while True:
        pass
]],
    },
    py_stubborn = {
      language = "python",
      timeout = 1,
      code = [[
def run():
    while True:
        try:
            while True:
                pass
        except KeyboardInterrupt:
            pass
]],
    },
    lua_spin = {
      language = "lua",
      timeout = 1,
      code = "function run() while true do end end",
    },
    sh_spin = {
      language = "shell",
      timeout = 1,
      code = "while true; do :; done",
    },
    after_timeout = {
      language = "lua",
      depends_on = { "py_spin" },
      code = "function run() return 'never' end",
    },
    after_stubborn = {
      language = "python",
      depends_on = { "py_stubborn" },
      code = "def run():\n    return 'never'\n",
    },
    quick = {
      language = "python",
      code = "def run():\n    return 'done'\n",
    },
    later = {
      language = "shell",
      depends_on = { "quick" },
      code = 'echo "{\\"after\\": $(parse_input quick)}"',
    },
  },
}
