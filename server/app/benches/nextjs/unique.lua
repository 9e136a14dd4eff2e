-- Every request a URL of its own (`?n=<counter>`, unique across runs): no page cache answers it.
local counter = os.time() * 100000
request = function()
  counter = counter + 1
  return wrk.format("GET", wrk.path .. "?n=" .. counter)
end
