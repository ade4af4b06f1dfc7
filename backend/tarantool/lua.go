package tarantool

// The Lua the Backend evaluates on the server (IPROTO_EVAL, which needs the
// execute privilege on the universe). Arguments come as eval arguments,
// never spliced into the code, so a space name or a prefix cannot inject
// anything.

// ensureLua creates the space when it is missing, with its two TREE
// indexes (0: the key, unique; 1: the deadline, not unique), checks the
// shape of a space that exists, and returns its ID. Creating needs the
// create privilege (on the universe, or on spaces); a space created
// beforehand by an init script with the same indexes needs only read and
// write on it.
const ensureLua = `
local name = ...
local fiber = require('fiber')
-- Two connections (or instances) starting together both find the space
-- missing; DDL yields, so one create may fail on the other's row. Each
-- step is retried after such a failure until the object is there.
local function ensure(get, make)
    local err
    for _ = 1, 100 do
        local v = get()
        if v ~= nil then return v end
        local ok, e = pcall(make)
        if not ok then err = e end
        v = get()
        if v ~= nil then return v end
        fiber.sleep(0.01)
    end
    error(err or "could not create the space or its indexes")
end
local s = ensure(function() return box.space[name] end,
    function() box.schema.space.create(name, {if_not_exists = true}) end)
ensure(function() return s.index[0] end,
    function() s:create_index('key', {if_not_exists = true, type = 'TREE', parts = {{1, 'string'}}}) end)
ensure(function() return s.index[1] end,
    function() s:create_index('deadline', {if_not_exists = true, type = 'TREE', unique = false, parts = {{2, 'integer'}}}) end)
local key, deadline = s.index[0], s.index[1]
if key.type ~= 'TREE' or #key.parts ~= 1 or key.parts[1].fieldno ~= 1 or key.parts[1].type ~= 'string' or
    deadline.type ~= 'TREE' or #deadline.parts ~= 1 or deadline.parts[1].fieldno ~= 2 or deadline.parts[1].type ~= 'integer' then
    error(string.format("space %q exists with other indexes than hitbox's " ..
        "(0: TREE on field 1, string; 1: TREE on field 2, integer)", name))
end
return s.id
`

// sweepLua deletes, in one transaction, up to limit tuples whose deadline
// field is at or below now, and returns how many it deleted, then the space's
// number of tuples and their size in bytes. Reading and deleting in one
// transaction without a yield between them, it never deletes a tuple that
// a concurrent write has just renewed.
const sweepLua = `
local id, now, limit = ...
local s = box.space[id]
if s == nil then box.error(box.error.NO_SUCH_SPACE, tostring(id)) end
local keys = {}
box.begin()
for _, t in s.index[1]:pairs(now, {iterator = 'LE'}) do
    if #keys >= limit then break end
    keys[#keys + 1] = t[1]
end
for _, k in ipairs(keys) do s:delete(k) end
box.commit()
return #keys, s:len(), s:bsize()
`

// purgeLua deletes, in one transaction, up to limit tuples whose key
// starts with prefix (every tuple for an empty prefix), and returns how
// many it deleted.
const purgeLua = `
local id, prefix, limit = ...
local s = box.space[id]
if s == nil then box.error(box.error.NO_SUCH_SPACE, tostring(id)) end
local keys = {}
box.begin()
for _, t in s.index[0]:pairs(prefix, {iterator = 'GE'}) do
    local k = t[1]
    if #keys >= limit or k:sub(1, #prefix) ~= prefix then break end
    keys[#keys + 1] = k
end
for _, k in ipairs(keys) do s:delete(k) end
box.commit()
return #keys
`
