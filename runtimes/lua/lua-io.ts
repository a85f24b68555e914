/**
 * Lua's standard `io` library and the file functions of `os`, over the step's virtual
 * workspace (the same files `sandflow.read_file` sees): `io.open`, `io.lines`, file
 * `read`/`write`/`lines`/`seek`/`close`, `io.write` to the step's stdout, `os.remove`,
 * `os.rename` and `os.tmpname`. A file's text is read whole when opened and written back
 * on `flush`, `close` and when the step ends. No `io.popen`, no `os.execute`.
 *
 * The chunk is called with `host` (the sandbox's host call) and returns
 * `{ io = ..., remove = ..., rename = ..., tmpname = ..., flush_all = ... }`.
 */
export const LUA_IO_SOURCE = String.raw`
local host = ...
local type, tostring, tonumber, select, error, setmetatable, getmetatable, pairs =
      type, tostring, tonumber, select, error, setmetatable, getmetatable, pairs
local pack, unpack = table.pack, table.unpack
local sfind, ssub, sformat, smatch = string.find, string.sub, string.format, string.match
local concat = table.concat

-- host(op, path, data) -> text, or "!message" on failure
local function try(op, path, data)
  local r = host(op, path, data)
  if type(r) == "string" and ssub(r, 1, 1) == "!" then return nil, ssub(r, 2) end
  return r or ""
end

local open_files = {}
local File = {}
File.__index = File
File.__name = "FILE*"
File.__tostring = function(f) return f.closed and "file (closed)" or "file (" .. f.path .. ")" end

local function check(f, name)
  if getmetatable(f) ~= File then error("bad argument #1 to '" .. name .. "' (FILE* expected)", 3) end
  if f.closed then error("attempt to use a closed file", 3) end
end

local function flush(f)
  if f.dirty and not f.std then
    local ok, err = try("write", f.path, f.data)
    if ok == nil then return nil, err end
    f.dirty = false
  end
  return f
end

local function read_number(f)
  local s, e = sfind(f.data, "^%s*[-+]?[%w%.]+", f.pos)
  if not s then return nil end
  local n = tonumber(smatch(ssub(f.data, s, e), "^%s*(.-)$"))
  if n ~= nil then f.pos = e + 1 end
  return n
end

local function read_one(f, fmt)
  local data, pos = f.data, f.pos
  if type(fmt) == "number" then
    if pos > #data and fmt >= 0 then return nil end
    local chunk = ssub(data, pos, pos + fmt - 1)
    f.pos = pos + #chunk
    return chunk
  end
  fmt = type(fmt) == "string" and (ssub(fmt, 1, 1) == "*" and ssub(fmt, 2, 2) or ssub(fmt, 1, 1)) or fmt
  if fmt == "a" then
    f.pos = #data + 1
    return ssub(data, pos)
  elseif fmt == "l" or fmt == "L" then
    if pos > #data then return nil end
    local nl = sfind(data, "\n", pos, true)
    local stop = nl or #data
    f.pos = stop + 1
    if fmt == "L" or not nl then return ssub(data, pos, stop) end
    return ssub(data, pos, stop - 1)
  elseif fmt == "n" then
    return read_number(f)
  end
  error("bad argument to 'read' (invalid format)", 3)
end

function File:read(...)
  check(self, "read")
  if not self.readable then return nil, self.path .. ": Bad file descriptor", 9 end
  local n = select("#", ...)
  if n == 0 then return read_one(self, "l") end
  local out = {}
  for i = 1, n do
    local v = read_one(self, (select(i, ...)))
    out[i] = v
    if v == nil then return unpack(out, 1, i) end
  end
  return unpack(out, 1, n)
end

function File:write(...)
  check(self, "write")
  if not self.writable then return nil, self.path .. ": Bad file descriptor", 9 end
  local parts = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    local t = type(v)
    if t ~= "string" and t ~= "number" then
      error("bad argument #" .. i .. " to 'write' (string expected, got " .. t .. ")", 2)
    end
    parts[i] = tostring(v)
  end
  local text = concat(parts)
  if self.std then
    host("emit", self.std, text)
    return self
  end
  if self.append then self.pos = #self.data + 1 end
  local data = self.data
  self.data = ssub(data, 1, self.pos - 1) .. text .. ssub(data, self.pos + #text)
  self.pos = self.pos + #text
  self.dirty = true
  return self
end

function File:lines(...)
  check(self, "lines")
  local fmts = pack(...)
  return function()
    if self.closed then error("file is already closed", 2) end
    if fmts.n == 0 then return read_one(self, "l") end
    return self:read(unpack(fmts, 1, fmts.n))
  end
end

function File:seek(whence, offset)
  check(self, "seek")
  whence = whence or "cur"
  offset = offset or 0
  local base
  if whence == "set" then base = 0
  elseif whence == "cur" then base = self.pos - 1
  elseif whence == "end" then base = #self.data
  else error("bad argument #1 to 'seek' (invalid option '" .. tostring(whence) .. "')", 2) end
  local at = base + offset
  if at < 0 then return nil, "Invalid argument", 22 end
  self.pos = at + 1
  return at
end

function File:flush()
  check(self, "flush")
  return flush(self)
end

function File:setvbuf() check(self, "setvbuf") return true end

function File:close()
  check(self, "close")
  if self.std then return nil, "cannot close standard file" end
  local ok, err = flush(self)
  self.closed = true
  open_files[self] = nil
  if ok == nil then return nil, err end
  return true
end

local function new_file(path, data, mode)
  local m = ssub(mode, 1, 1)
  local plus = sfind(mode, "+", 1, true) ~= nil
  local f = setmetatable({
    path = path, data = data, pos = 1, dirty = false, closed = false,
    readable = m == "r" or plus, writable = m ~= "r" or plus, append = m == "a",
  }, File)
  open_files[f] = true
  return f
end

local io = {}

function io.open(path, mode)
  if type(path) ~= "string" then error("bad argument #1 to 'open' (string expected, got " .. type(path) .. ")", 2) end
  mode = mode or "r"
  if not smatch(mode, "^[rwa]%+?b?$") then error("bad argument #2 to 'open' (invalid mode '" .. tostring(mode) .. "')", 2) end
  local m = ssub(mode, 1, 1)
  local data = ""
  if m ~= "w" then
    local text, err = try("read", path)
    if text == nil then
      if m == "r" then return nil, err, 2 end
    else
      data = text
    end
  end
  if m ~= "r" then
    -- Creates (or truncates) the file now, as fopen does, and fails early where it cannot.
    local ok, err = try("write", path, data)
    if ok == nil then return nil, err, 2 end
  end
  local f = new_file(path, data, mode)
  f.dirty = false
  return f
end

function io.lines(path, ...)
  if path == nil then error("io.lines needs a file name: a step has no standard input", 2) end
  local f, err = io.open(path, "r")
  if not f then error(err, 2) end
  local fmts = pack(...)
  return function()
    if f.closed then return nil end
    local v
    if fmts.n == 0 then v = read_one(f, "l") else v = f:read(unpack(fmts, 1, fmts.n)) end
    if v == nil then f:close() end
    return v
  end
end

io.stdout = setmetatable({ path = "stdout", data = "", pos = 1, std = 1, writable = true }, File)
io.stderr = setmetatable({ path = "stderr", data = "", pos = 1, std = 2, writable = true }, File)
function io.write(...) return io.stdout:write(...) end
function io.read() return nil end
function io.type(f)
  if getmetatable(f) ~= File then return nil end
  return f.closed and "closed file" or "file"
end
function io.close(f)
  if f == nil then return nil, "cannot close standard file" end
  return f:close()
end
function io.output(f)
  if f ~= nil and f ~= io.stdout then error("sandflow: io.output can only be the step's stdout", 2) end
  return io.stdout
end

local function remove(path)
  local ok, err = try("remove", path)
  if ok == nil then return nil, err, 2 end
  return true
end

local function rename(from, to)
  local text, err = try("read", from)
  if text == nil then return nil, err, 2 end
  local ok, werr = try("write", to, text)
  if ok == nil then return nil, werr, 2 end
  try("remove", from)
  return true
end

local tmp_count = 0
local function tmpname()
  for _ = 1, 1000 do
    tmp_count = tmp_count + 1
    local name = sformat("/tmp/lua_%06d", tmp_count)
    if try("read", name) == nil then
      local ok, err = try("write", name, "")
      if ok == nil then error(err, 2) end
      return name
    end
  end
  error("sandflow: no free temporary file name", 2)
end

-- Writes back every file still open (the step ended without closing it).
local function flush_all()
  for f in pairs(open_files) do
    if not f.closed then flush(f) end
  end
  open_files = {}
end

return { io = io, remove = remove, rename = rename, tmpname = tmpname, flush_all = flush_all }
`;
