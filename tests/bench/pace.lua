-- wrk script for traffic_cost.py: each connection waits MS ms (the script's argument,
-- default 10) before each request, so wrk -cN sends about N * 1000 / (MS + latency)
-- requests per second however fast the endpoint answers: a rate cap with keep-alive.
local ms = 10

function init(args)
    if args[1] then
        ms = tonumber(args[1])
    end
end

function delay()
    return ms
end
