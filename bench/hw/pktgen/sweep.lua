-- SPDX-License-Identifier: BSD-3-Clause
-- Frame size sweep for the Sluice hardware profiles (pktgen-dpdk, Lua).
-- Load a profile first (pktgen ... -f xconnect.pkt), then at the prompt:
--   script sweep.lua        (or: pktgen ... -f profile.pkt -f sweep.lua)
-- For each size it sends at 100 % of line rate on the tx ports, waits
-- SWEEP_WARMUP seconds, then counts SWEEP_SECONDS seconds of what every port
-- sent and received (the NIC counters), and prints and appends a CSV line:
-- what the generator got back is what Sluice forwarded. Environment:
--   SWEEP_SIZES    frame sizes with FCS (default 64,128,256,512,1024,1518;
--                  IPv6/UDP needs at least 66, use 78 as RFC 5180 does)
--   SWEEP_TX       ports that send (default "all"; l2-flood: "0")
--   SWEEP_SECONDS  measured seconds per size (default 10)
--   SWEEP_WARMUP   seconds before the window (default 2: L2 learning)
--   SWEEP_CSV      file to append to (default sluice-sweep.csv)
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local function env_num(name, default)
	return tonumber(os.getenv(name) or "") or default
end

local sizes = {}
for s in string.gmatch(os.getenv("SWEEP_SIZES") or "64,128,256,512,1024,1518", "%d+") do
	sizes[#sizes + 1] = tonumber(s)
end
local tx_ports = os.getenv("SWEEP_TX") or "all"
local seconds = env_num("SWEEP_SECONDS", 10)
local warmup = env_num("SWEEP_WARMUP", 2)
local csv = os.getenv("SWEEP_CSV") or "sluice-sweep.csv"

-- Cumulative NIC counters {pid = {rx, tx}}. pktgen.portStats takes one
-- argument and nests them under .curr since 24.x, two arguments before.
local function counters()
	local ok, t = pcall(pktgen.portStats, "all")
	if not ok then
		t = pktgen.portStats("all", "port")
	end
	local c = {}
	for pid, s in pairs(t) do
		if type(pid) == "number" then
			local cur = s.curr or s
			c[pid] = { rx = cur.ipackets, tx = cur.opackets }
		end
	end
	return c
end

local f = io.open(csv, "a")
f:write("size,seconds,tx_mpps,rx_mpps,rx_mpps_per_port,rx_over_tx\n")
for _, size in ipairs(sizes) do
	pktgen.stop("all")
	pktgen.delay(500)
	pktgen.range.pkt_size("all", "start", size)
	pktgen.range.pkt_size("all", "min", size)
	pktgen.range.pkt_size("all", "max", size)
	pktgen.range.pkt_size("all", "inc", 0)
	pktgen.set("all", "size", size)
	pktgen.set(tx_ports, "rate", 100)
	pktgen.clr()
	pktgen.start(tx_ports)
	pktgen.delay(warmup * 1000)
	local a = counters()
	pktgen.delay(seconds * 1000)
	local b = counters()
	pktgen.stop("all")
	local rx, tx, per = 0, 0, {}
	for pid, x in pairs(b) do
		local drx = x.rx - a[pid].rx
		rx = rx + drx
		tx = tx + (x.tx - a[pid].tx)
		per[#per + 1] = string.format("%d:%.3f", pid, drx / seconds / 1e6)
	end
	local line = string.format("%d,%d,%.3f,%.3f,%s,%.4f", size, seconds, tx / seconds / 1e6,
		rx / seconds / 1e6, table.concat(per, " "), tx > 0 and rx / tx or 0)
	print("sweep: " .. line)
	f:write(line .. "\n")
	f:flush()
end
f:close()
