-- wrk script of scripts/bench-http.sh: POST /v1/messages with merchants'
-- messages in turn, each request in a conversation of its own
-- ("bench-<run>-<thread>-<n>"), so that no conversation meets posbot's
-- per-conversation limit and none starts a new one without an id (the
-- per-address limit). Prints one RESULT line for the script to read.

local messages = {
  "刷卡显示交易失败51", "机器一直通讯失败", "错误码：A0", "刷卡失败了怎么办", "插卡没反应读不出来",
  "顾客的卡刷了好几次都提示余额不足", "pos机显示请先签到", "交易失败 应答码05", "终端显示密码错误次数超限",
  "card declined with code 55", "刷卡提示无效商户", "机器打不出小票了", "扫码付款成功但是机器没反应",
  "刷卡失败，显示 96 系统故障", "昨天还好好的，今天所有卡都刷不了",
}

local run = os.time() % 100000
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local n = 0

function request()
  n = n + 1
  local body = string.format('{"conversation_id":"bench-%d-%d-%d","text":"%s"}',
    run, tid, n, messages[(n % #messages) + 1])
  return wrk.format("POST", "/v1/messages", { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
