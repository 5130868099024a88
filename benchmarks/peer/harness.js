// The peer side of the RedisSessions benchmark: express-session's store API over connect-redis and node-redis, driven
// the way express-session drives a store on each request, with a fixed number of operations in flight.
//
// Not meant to be run by hand: RedisSessions.Benchmarks starts it and talks to it over stdin/stdout, one JSON object
// per line, so that the .NET program resets and reads the Redis statistics around each phase for both sides alike and
// can alternate the sides phase by phase. Sessions are kept in one array; a phase works on the range [from, from+count).
//
//   -> {"cmd":"init","urls":["redis://127.0.0.1:1234"],"cluster":false,"concurrency":64,"maxAgeMs":1800000,"name":"..."}
//   -> {"cmd":"warmup","seconds":2}                   <- {"ok":true}
//   -> {"cmd":"create","from":0,"count":20000}        login: store.set of a new session
//                                                     <- {"ops":...,"seconds":...,"p50Ms":...,"p99Ms":...,"errors":0,"cpuMs":...}
//   -> {"cmd":"get","from":0,"count":N,"seconds":5}   request cycle: store.get + Session.touch() + store.touch
//   -> {"cmd":"touch",...}                            store.touch alone
//   -> {"cmd":"setData",...}                          store.get + one field changed + store.set
//   -> {"cmd":"terminate","from":0,"count":N}         store.destroy (logout)
//   -> {"cmd":"sample","index":0}                     <- {"sid":...,"key":...,"value":...} (one stored session)
//   -> {"cmd":"reset"}                                forgets every session (after the harness flushed Redis)
//   -> {"cmd":"quit"}
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient, createCluster } from "redis";

const { Cookie, Session } = session;

let client;
let store;
let concurrency = 64;
let maxAgeMs = 30 * 60 * 1000;
let ids = [];
let sessions = [];

// express-session's default id generator is uid-safe with 24 random bytes: 32 base64url characters.
const newId = () => randomBytes(24).toString("base64url");

// The same session shape as the .NET side: three small data fields.
function newSession(sid) {
  const s = new Session({ sessionID: sid, sessionStore: store });
  s.cookie = new Cookie({ maxAge: maxAgeMs, httpOnly: true, path: "/" });
  s.role = "member";
  s.theme = "dark";
  s.csrf = randomBytes(16).toString("base64url");
  return s;
}

// What express-session does with the stored JSON at the start of a request.
function load(sid, data) {
  const req = { sessionID: sid, sessionStore: store };
  store.createSession(req, data);
  return req.session;
}

const ops = {
  async create(i) {
    const sid = newId();
    const s = newSession(sid);
    await store.set(sid, s);
    ids[i] = sid;
    sessions[i] = s;
  },
  // One request that reads the session and changes nothing: express-session calls store.touch at the end.
  async get(i) {
    const sid = ids[i];
    const data = await store.get(sid);
    if (!data) throw new Error(`session ${sid} not found`);
    const s = load(sid, data);
    s.touch();
    await store.touch(sid, s);
  },
  async touch(i) {
    const s = sessions[i];
    s.touch();
    await store.touch(ids[i], s);
  },
  // One request that changes one field: express-session saves the whole session with store.set.
  async setData(i, n) {
    const sid = ids[i];
    const data = await store.get(sid);
    if (!data) throw new Error(`session ${sid} not found`);
    const s = load(sid, data);
    s.theme = n % 2 === 0 ? "light" : "dark";
    s.touch();
    await store.set(sid, s);
  },
  async terminate(i) {
    await store.destroy(ids[i]);
  },
};

const nowNs = () => process.hrtime.bigint();

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

// Runs `op` with `concurrency` loops in flight over [from, from + count). Worker w uses from + w, from + w + C, ...:
// once each when `seconds` is 0, else round and round until the time is up. The same shape as LoadRunner.cs.
async function run(op, from, count, seconds) {
  const latencies = [];
  let errors = 0;
  let firstError = null;
  const cpuBefore = process.cpuUsage();
  const started = nowNs();
  const deadline = seconds > 0 ? started + BigInt(Math.round(seconds * 1e9)) : 0n;
  let counter = 0;
  const worker = async (w) => {
    const mine = [];
    if (w >= count) return mine;
    let i = w;
    for (;;) {
      if (seconds > 0) {
        if (nowNs() >= deadline) break;
      } else if (i >= count) {
        break;
      }
      const t0 = nowNs();
      try {
        await op(from + i, counter++);
      } catch (err) {
        errors++;
        firstError ??= String(err?.message ?? err);
      }
      mine.push(Number(nowNs() - t0) / 1e6);
      i += concurrency;
      if (seconds > 0 && i >= count) i = w;
    }
    return mine;
  };
  const all = await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = Number(nowNs() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  for (const part of all) for (const x of part) latencies.push(x);
  const sorted = Float64Array.from(latencies).sort();
  return {
    ops: sorted.length,
    seconds: elapsed,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors,
    firstError,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

async function handle(message) {
  switch (message.cmd) {
    case "init": {
      concurrency = message.concurrency ?? 64;
      maxAgeMs = message.maxAgeMs ?? maxAgeMs;
      // The connection names itself, so the harness can tell its commands apart in the slow log.
      const name = message.name ?? "connect-redis";
      client = message.cluster
        ? createCluster({ rootNodes: message.urls.map((url) => ({ url })), defaults: { name } })
        : createClient({ url: message.urls[0], name });
      client.on("error", (err) => process.stderr.write(`peer: redis error: ${err}\n`));
      await client.connect();
      store = new RedisStore({ client, prefix: "sess:" });
      return { ok: true };
    }
    case "warmup": {
      const n = Math.max(concurrency * 20, 2000);
      ids = [];
      sessions = [];
      await run(ops.create, 0, n, 0);
      for (const name of ["get", "touch", "setData"]) await run(ops[name], 0, n, message.seconds);
      await run(ops.terminate, 0, n, 0);
      ids = [];
      sessions = [];
      return { ok: true };
    }
    case "create":
    case "get":
    case "touch":
    case "setData":
    case "terminate":
      return run(ops[message.cmd], message.from ?? 0, message.count ?? ids.length, message.seconds ?? 0);
    case "sample": {
      const sid = ids[message.index ?? 0];
      return { sid, key: `sess:${sid}`, value: await client.get(`sess:${sid}`) };
    }
    case "reset":
      ids = [];
      sessions = [];
      return { ok: true };
    case "quit":
      await client?.close();
      return { ok: true, quit: true };
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (err) {
    answer = { error: String(err?.stack ?? err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
  if (answer.quit) break;
}
process.exit(0);
