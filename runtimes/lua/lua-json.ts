/**
 * Lua source of sandflow's strict JSON codec, loaded into every sandboxed Lua state.
 * Encoding: tables with keys 1..n become arrays, others objects (keys sorted, so output is
 * the same everywhere); functions, userdata, cycles, NaN and infinities are errors that
 * name the place. Decoding: arrays are marked so that empty arrays and nulls round-trip.
 */
export const LUA_JSON_SOURCE = String.raw`
local type, next, pairs, tostring, tonumber, error, setmetatable, getmetatable, rawget, rawset, select =
      type, next, pairs, tostring, tonumber, error, setmetatable, getmetatable, rawget, rawset, select
local sformat, sbyte, ssub, sfind, sgsub, smatch = string.format, string.byte, string.sub, string.find, string.gsub, string.match
local concat, sort = table.concat, table.sort
local mtype, huge, tointeger = math.type, math.huge, math.tointeger
local uchar = utf8.char

local ARRAY = setmetatable({}, { __metatable = false })
local array_len = setmetatable({}, { __mode = "k" })
local NOTJSON = {}
-- Lua cannot tell an empty list from an empty table; a key named here encodes {} as [].
local empty_array_suffix

local function fail(path, what) error(setmetatable({ path = path, what = what }, NOTJSON), 0) end

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function esc(c) return escapes[c] or sformat("\\u%04x", sbyte(c)) end

local function key_path(path, k)
  if type(k) == "string" and sfind(k, "^[%a_][%w_]*$") then return path .. "." .. k end
  return path .. "[" .. sformat("%q", k) .. "]"
end

local encode_value
local function encode_table(t, buf, n, path, seen, depth)
  if seen[t] then fail(path, "a table that contains itself (a cycle)") end
  if depth > 200 then fail("result", "nested deeper than 200 levels") end
  seen[t] = true
  local count, max, allint = 0, 0, true
  for k in next, t do
    count = count + 1
    if mtype(k) == "integer" and k > 0 then
      if k > max then max = k end
    else
      allint = false
    end
  end
  local marked = getmetatable(t) == ARRAY
  if count == 0 and not marked and empty_array_suffix and ssub(path, -#empty_array_suffix) == empty_array_suffix then
    seen[t] = nil
    n = n + 1; buf[n] = "[]"
    return n
  end
  if marked or (count > 0 and allint and max == count) then
    local len = marked and (array_len[t] or max) or max
    if marked and max > len then len = max end
    n = n + 1; buf[n] = "["
    for i = 1, len do
      if i > 1 then n = n + 1; buf[n] = "," end
      n = encode_value(rawget(t, i), buf, n, path .. "[" .. i .. "]", seen, depth + 1)
    end
    n = n + 1; buf[n] = "]"
  else
    local keys, kn = {}, 0
    for k in next, t do
      local kt = type(k)
      if kt ~= "string" and kt ~= "number" then fail(path, "a table with a " .. kt .. " key") end
      if kt == "number" and (k ~= k or k == huge or k == -huge) then fail(path, "a table with a NaN or infinite key") end
      kn = kn + 1; keys[kn] = k
    end
    if kn > 1 then sort(keys, function(a, b) return tostring(a) < tostring(b) end) end
    n = n + 1; buf[n] = "{"
    for i = 1, kn do
      local k = keys[i]
      local ks = type(k) == "string" and k or (mtype(k) == "integer" and sformat("%d", k) or sformat("%.17g", k))
      n = n + 1; buf[n] = (i > 1 and ',"' or '"') .. sgsub(ks, '[%c"\\]', esc) .. '":'
      n = encode_value(rawget(t, k), buf, n, key_path(path, k), seen, depth + 1)
    end
    n = n + 1; buf[n] = "}"
  end
  seen[t] = nil
  return n
end

encode_value = function(v, buf, n, path, seen, depth)
  local t = type(v)
  if t == "string" then
    n = n + 1; buf[n] = '"' .. sgsub(v, '[%c"\\]', esc) .. '"'
  elseif t == "number" then
    if v ~= v or v == huge or v == -huge then fail(path, tostring(v) .. " (JSON has no NaN or infinity)") end
    n = n + 1; buf[n] = mtype(v) == "integer" and sformat("%d", v) or sformat("%.17g", v)
  elseif t == "boolean" then
    n = n + 1; buf[n] = v and "true" or "false"
  elseif t == "nil" then
    n = n + 1; buf[n] = "null"
  elseif t == "table" then
    n = encode_table(v, buf, n, path, seen, depth)
  else
    fail(path, "a " .. t)
  end
  return n
end

local function encode(v, path, empty_array_key)
  local buf = {}
  empty_array_suffix = empty_array_key and ("." .. empty_array_key) or nil
  local n = encode_value(v, buf, 0, path or "value", {}, 0)
  return concat(buf, "", 1, n)
end

local unescapes = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t' }

local function decode(s)
  local pos = 1
  local function skip()
    pos = sfind(s, "[^ \t\r\n]", pos) or (#s + 1)
  end
  local function bad(what) error("invalid JSON at byte " .. pos .. ": " .. what, 0) end
  local value
  local function str()
    local i, parts, pn = pos + 1, {}, 0
    while true do
      local j = sfind(s, '["\\]', i)
      if not j then bad("unterminated string") end
      if j > i then pn = pn + 1; parts[pn] = ssub(s, i, j - 1) end
      if sbyte(s, j) == 34 then pos = j + 1; return concat(parts) end
      local c = ssub(s, j + 1, j + 1)
      if c == "u" then
        local cp = tonumber(ssub(s, j + 2, j + 5), 16) or bad("bad \\u escape")
        i = j + 6
        if cp >= 0xD800 and cp <= 0xDBFF and ssub(s, i, i + 1) == "\\u" then
          local lo = tonumber(ssub(s, i + 2, i + 5), 16)
          if lo and lo >= 0xDC00 and lo <= 0xDFFF then
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            i = i + 6
          end
        end
        pn = pn + 1; parts[pn] = uchar(cp)
      else
        pn = pn + 1; parts[pn] = unescapes[c] or bad("bad escape")
        i = j + 2
      end
    end
  end
  value = function()
    skip()
    local c = sbyte(s, pos)
    if c == 123 then -- {
      local obj = {}
      pos = pos + 1; skip()
      if sbyte(s, pos) == 125 then pos = pos + 1; return obj end
      while true do
        skip()
        if sbyte(s, pos) ~= 34 then bad("expected a string key") end
        local k = str()
        skip()
        if sbyte(s, pos) ~= 58 then bad("expected ':'") end
        pos = pos + 1
        obj[k] = value()
        skip()
        local d = sbyte(s, pos); pos = pos + 1
        if d == 125 then return obj end
        if d ~= 44 then bad("expected ',' or '}'") end
      end
    elseif c == 91 then -- [
      local arr, n = setmetatable({}, ARRAY), 0
      pos = pos + 1; skip()
      if sbyte(s, pos) == 93 then pos = pos + 1; array_len[arr] = 0; return arr end
      while true do
        n = n + 1
        arr[n] = value()
        skip()
        local d = sbyte(s, pos); pos = pos + 1
        if d == 93 then array_len[arr] = n; return arr end
        if d ~= 44 then bad("expected ',' or ']'") end
      end
    elseif c == 34 then
      return str()
    elseif c == 116 and ssub(s, pos, pos + 3) == "true" then pos = pos + 4; return true
    elseif c == 102 and ssub(s, pos, pos + 4) == "false" then pos = pos + 5; return false
    elseif c == 110 and ssub(s, pos, pos + 3) == "null" then pos = pos + 4; return nil
    else
      local num = smatch(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      if not num or num == "" then bad("unexpected character") end
      pos = pos + #num
      local v = tonumber(num)
      return tointeger(v) or v
    end
  end
  local v = value()
  skip()
  if pos <= #s then bad("trailing characters") end
  return v
end

local function array(t)
  t = t or {}
  local n = 0
  for k in next, t do if mtype(k) == "integer" and k > n then n = k end end
  array_len[t] = n
  return setmetatable(t, ARRAY)
end

local function describe(e)
  if getmetatable(e) == NOTJSON then return e.path .. " is " .. e.what .. ", which is not JSON" end
  return tostring(e)
end

return { encode = encode, decode = decode, array = array, describe = describe, NOTJSON = NOTJSON }
`;
