-- wrk script for bench/http_bench.py: one scenario per run, chosen by BENCH_SCENARIO.
--
-- Environment (set by the harness):
--   BENCH_SCENARIO    get_book | get_book_big_head | list_by_title | list_by_phrase |
--                     list_by_author | page_deep | get_author | post_author | post_book |
--                     post_book_bare | add_author | mixed
--   BENCH_DATA_DIR    book_ids.txt, author_ids.txt, words.txt, cursors.txt (one per line)
--   BENCH_ISBN_BASE   first number of this run's ISBNs (unique per wrk run, see below)
--   BENCH_PAGE_LIMIT  page size of the list scenarios
--   BENCH_DELAY_MS    optional pause before each request of a connection (steady soak rate)
--
-- Ids are 64-bit and stay strings here (LuaJIT numbers are doubles). Each POST /books
-- gets a fresh valid ISBN-13: 978, nine digits (base + thread * 10^6 + counter), check digit.
-- done() prints one line, "BENCH_RESULT {json}", that the harness parses.

local scenario = os.getenv("BENCH_SCENARIO") or "get_book"
local data_dir = os.getenv("BENCH_DATA_DIR") or "."
local isbn_base = tonumber(os.getenv("BENCH_ISBN_BASE") or "100000000")
local page_limit = os.getenv("BENCH_PAGE_LIMIT") or "20"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")

local JSON_HEADERS = { ["Content-Type"] = "application/json" }

-- ---------------------------------------------------------------------------------- setup
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- -------------------------------------------------------------------------------- running
local book_ids, author_ids, words, cursors
local counter = 0
local pending_cursors = {}
-- Globals, so that done() can collect them from each thread (thread:get reads globals).
statuses = {}
deepest = "" -- the largest id a cursor pointed after (zero-padded: compares as a string)
chain_ends = 0 -- deep paging: chains that reached the last page

local function read_lines(name)
  local lines = {}
  local f = io.open(data_dir .. "/" .. name, "r")
  if not f then
    error("cannot open " .. data_dir .. "/" .. name)
  end
  for line in f:lines() do
    if #line > 0 then
      lines[#lines + 1] = line
    end
  end
  f:close()
  return lines
end

-- The id a cursor points after, as 19 digits. A cursor is URL-safe base64 of the JSON
-- ["id","<digest of the filters>",null,<id>] (modules/kernel/paging.py).
local BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function cursor_id(cursor)
  local bits = cursor:gsub(".", function(c)
    local value, six = BASE64URL:find(c, 1, true) - 1, ""
    for _ = 1, 6 do
      six = (value % 2) .. six
      value = math.floor(value / 2)
    end
    return six
  end)
  local payload = bits:sub(1, #bits - #bits % 8):gsub("%d%d%d%d%d%d%d%d", function(byte)
    return string.char(tonumber(byte, 2))
  end)
  local id = payload:match("(%d+)%]$") or ""
  return string.rep("0", 19 - #id) .. id
end

local function pick(list)
  return list[math.random(#list)]
end

local function isbn13(n)
  local body = string.format("978%09d", n)
  local total = 0
  for i = 1, 12 do
    local digit = body:byte(i) - 48
    if i % 2 == 1 then
      total = total + digit
    else
      total = total + 3 * digit
    end
  end
  return body .. tostring((10 - total % 10) % 10)
end

local function next_number()
  counter = counter + 1
  if counter >= 1000000 then
    error("more than 10^6 POSTs in one thread of one run: ISBNs would repeat")
  end
  return isbn_base + (tid or 0) * 1000000 + counter
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919 + isbn_base % 100003)
  book_ids = read_lines("book_ids.txt")
  author_ids = read_lines("author_ids.txt")
  words = read_lines("words.txt")
  cursors = read_lines("cursors.txt")
end

-- requests --------------------------------------------------------------------------------

local function get_book()
  return wrk.format("GET", "/books/" .. pick(book_ids))
end

-- 40 headers, about 8.6 KiB: a head half the size MAX_HEADER_BYTES allows, so the edge's
-- checks of a head (the server's and the app's) show what they cost where they count most.
local BIG_HEAD = {}
for i = 1, 40 do
  BIG_HEAD["X-Filler-" .. i] = string.rep("x", 200)
end

local function get_book_big_head()
  return wrk.format("GET", "/books/" .. pick(book_ids), BIG_HEAD)
end

local function get_author()
  return wrk.format("GET", "/authors/" .. pick(author_ids))
end

local function list_by_title()
  return wrk.format("GET", "/books?limit=" .. page_limit .. "&title=" .. pick(words))
end

-- A title as someone who knows it types it: "<word> of the <word>", a few books in a million
-- (the single words above are in about one title in a hundred).
local function list_by_phrase()
  return wrk.format(
    "GET",
    "/books?limit=" .. page_limit .. "&title=" .. pick(words) .. "%20of%20the%20" .. pick(words)
  )
end

local function list_by_author()
  return wrk.format("GET", "/books?limit=" .. page_limit .. "&author_id=" .. pick(author_ids))
end

-- Deep paging: as many chains as connections, each following next_cursor. A chain starts
-- at a position spread over the whole list (cursors.txt: the cursor a client holds after
-- paging there) and goes on from whatever next_cursor the server answered; at the end of
-- the list it starts again from the top.
local function page_deep()
  local cursor = table.remove(pending_cursors)
  if cursor == nil then
    cursor = pick(cursors)
  end
  if cursor == "" then
    return wrk.format("GET", "/books?limit=" .. page_limit)
  end
  return wrk.format("GET", "/books?limit=" .. page_limit .. "&cursor=" .. cursor)
end

local function post_author()
  local n = next_number()
  local body = string.format(
    '{"first_name":"Bench%d","last_name":"Writer %s","age":%d,"biography":%s}',
    n,
    pick(words),
    math.random(18, 99),
    (n % 3 == 0) and '"Writes about ' .. pick(words) .. ' and ' .. pick(words) .. '."' or "null"
  )
  return wrk.format("POST", "/authors", JSON_HEADERS, body)
end

local function book_body(with_authors)
  local n = next_number()
  local authors = "[]"
  if with_authors then
    local first = pick(author_ids)
    local second = pick(author_ids)
    while second == first do
      second = pick(author_ids)
    end
    authors = '["' .. first .. '","' .. second .. '"]'
  end
  return string.format(
    '{"title":"The %s of %s %d","isbn":"%s","pages":%d,"price":%d,'
      .. '"publication_year":%d,"author_ids":%s}',
    pick(words),
    pick(words),
    n,
    isbn13(n),
    math.random(48, 1200),
    math.random(50, 600) * 100,
    math.random(1950, 2025),
    authors
  )
end

local function post_book()
  return wrk.format("POST", "/books", JSON_HEADERS, book_body(true))
end

local function post_book_bare()
  return wrk.format("POST", "/books", JSON_HEADERS, book_body(false))
end

local function add_author()
  local path = "/books/" .. pick(book_ids) .. "/authors/" .. pick(author_ids)
  return wrk.format("POST", path)
end

-- Soak: mostly reads, some writes, as a catalogue is used.
local MIX = {
  { 40, get_book },
  { 15, get_author },
  { 10, list_by_author },
  { 5, list_by_title },
  { 10, page_deep },
  { 8, post_book },
  { 2, post_book_bare },
  { 5, post_author },
  { 5, add_author },
}
local mix_total = 0
for _, entry in ipairs(MIX) do
  mix_total = mix_total + entry[1]
end

local function mixed()
  local roll = math.random() * mix_total
  for _, entry in ipairs(MIX) do
    roll = roll - entry[1]
    if roll <= 0 then
      return entry[2]()
    end
  end
  return get_book()
end

local SCENARIOS = {
  get_book = get_book,
  get_book_big_head = get_book_big_head,
  get_author = get_author,
  list_by_title = list_by_title,
  list_by_phrase = list_by_phrase,
  list_by_author = list_by_author,
  page_deep = page_deep,
  post_author = post_author,
  post_book = post_book,
  post_book_bare = post_book_bare,
  add_author = add_author,
  mixed = mixed,
}
local make_request = SCENARIOS[scenario]
if make_request == nil then
  error("unknown BENCH_SCENARIO " .. scenario)
end

function request()
  return make_request()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if scenario == "page_deep" or scenario == "mixed" then
    local cursor = body and body:match('"next_cursor":"([%w_-]+)"')
    if cursor then
      local id = cursor_id(cursor)
      if id > deepest then
        deepest = id
      end
      if scenario == "page_deep" then
        pending_cursors[#pending_cursors + 1] = cursor
      end
    elseif scenario == "page_deep" and status == 200 then
      chain_ends = chain_ends + 1
      pending_cursors[#pending_cursors + 1] = "" -- the end: start again from the top
    end
  end
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

-- ----------------------------------------------------------------------------------- done
local function to_json(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    for k, v in pairs(value) do
      parts[#parts + 1] = string.format("%q:%s", tostring(k), to_json(v))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "string" then
    return string.format("%q", value)
  elseif kind == "number" then
    return string.format("%.17g", value)
  elseif value == nil then
    return "null"
  end
  return tostring(value)
end

function done(summary, latency, requests)
  local merged = {}
  local deepest_seen = ""
  local ends = 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      merged[tostring(status)] = (merged[tostring(status)] or 0) + count
    end
    local d = thread:get("deepest") or ""
    if d > deepest_seen then
      deepest_seen = d
    end
    ends = ends + (thread:get("chain_ends") or 0)
  end
  local result = {
    scenario = scenario,
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    errors = summary.errors,
    latency_us = {
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p99 = latency:percentile(99),
      max = latency.max,
      mean = latency.mean,
    },
    statuses = merged,
    deepest_id = deepest_seen,
    chain_ends = ends,
  }
  io.write("BENCH_RESULT " .. to_json(result) .. "\n")
end
