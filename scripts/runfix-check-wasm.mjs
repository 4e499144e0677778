#!/usr/bin/env node
// Check the runtime conformance fixtures (fixtures/run/**) against the real
// MicroPython VM: the WebAssembly port, pyscript variant (npm package
// @micropython/micropython-webassembly-pyscript).
//
// Usage:
//   node scripts/runfix-check-wasm.mjs [options] [FILTER ...]
//
// Every test fixture (fixtures/run/<area>/NNN_*.py) whose path contains one
// of the FILTER strings (all fixtures without FILTER) runs as source in a
// fresh MicroPython instance: the other .py files of its directory (support
// modules and packages, i.e. everything not named NNN_*.py) are copied into
// the instance's current directory first, then the program's text is run
// with runPython().  What it produced is built the same way the test runner
// builds it for `upyc run NAME.py` (see fixtures/run/README.md):
//
//   stdout (then stderr)
//   + for an uncaught exception: MicroPython's traceback text and "# exit 1"
//   (the port names the source "<stdin>" in tracebacks; that is renamed to
//   the fixture's file name, which is what `micropython NAME.py` prints)
//   + for SystemExit(N) with N != 0: "# exit N"
//
// and compared with the fixture's .exp (first line "# reason: ..." skipped)
// or else its .out.  Fixtures listed in fixtures/run/WASM_SKIP are run too
// and reported, but a mismatch there is expected; a skipped fixture that
// matches is reported as a stale entry.
//
// Options:
//   --pkg DIR        directory of the npm package (default: $MICROPYTHON_WASM_PKG,
//                    else the one under tests/wasm/node_modules); the fixtures
//                    are checked against version 1.29.0-6
//   --timeout MS     time limit per fixture (default 20000)
//   --heapsize N     MicroPython heap per instance in bytes (default 8 MiB)
//   --diff           print expected/actual for every failure
//   --json           print one JSON result per fixture instead of text
//
// Exit status: 0 if every fixture not in WASM_SKIP matched, 1 otherwise,
// 2 on bad usage.

import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const FIX = path.join(ROOT, "fixtures", "run");
const PKG_NAME = "@micropython/micropython-webassembly-pyscript";
const TEST_RE = /^\d{3}_[A-Za-z0-9_]+\.py$/;

if (isMainThread) {
  await main();
} else {
  await workerMain();
}

// ------------------------------------------------------------------ worker

async function workerMain() {
  // Emscripten reports some VM conditions (e.g. "Cannot enlarge memory" when a
  // fixture exhausts the heap on purpose) through console.error; that is not
  // the program's output, so it is kept out of the report.
  console.error = () => {};
  console.warn = () => {};
  const { loadMicroPython } = await import(pathToFileURL(path.join(workerData.pkg, "micropython.mjs")).href);
  parentPort.on("message", async (task) => {
    parentPort.postMessage(await runOne(loadMicroPython, task));
  });
  parentPort.postMessage({ ready: true });
}

async function runOne(loadMicroPython, task) {
  const out = [];
  const err = [];
  const res = { status: "ok", stdout: "", stderr: "", error: null, errorType: null };
  try {
    const mp = await loadMicroPython({
      heapsize: task.heapsize,
      linebuffer: false,
      stdout: (bytes) => {
        for (const b of bytes) out.push(b);
      },
      stderr: (bytes) => {
        for (const b of bytes) err.push(b);
      },
    });
    const cwd = mp.FS.cwd();
    for (const f of task.support) {
      let cur = cwd === "/" ? "" : cwd;
      const parts = f.rel.split("/");
      for (const dir of parts.slice(0, -1)) {
        cur += "/" + dir;
        try {
          mp.FS.mkdir(cur);
        } catch (e) {
          // exists
        }
      }
      mp.FS.writeFile(cur + "/" + parts[parts.length - 1], f.data);
    }
    try {
      mp.runPython(task.source);
    } catch (e) {
      if (e && e.name === "PythonError") {
        res.status = "error";
        res.error = String(e.message);
        res.errorType = e.type;
      } else {
        throw e;
      }
    }
  } catch (e) {
    res.status = "crash";
    res.error = String((e && e.stack) || e);
  }
  const dec = new TextDecoder("utf-8");
  res.stdout = dec.decode(new Uint8Array(out));
  res.stderr = dec.decode(new Uint8Array(err));
  return res;
}

// ------------------------------------------------------------------ main

function usage(msg) {
  if (msg) process.stderr.write("runfix-check-wasm: " + msg + "\n");
  process.stderr.write(
    "usage: node scripts/runfix-check-wasm.mjs [--pkg DIR] [--timeout MS] [--heapsize N] [--diff] [--json] [FILTER ...]\n",
  );
  process.exit(2);
}

function findPkg(opt) {
  const candidates = [];
  if (opt) candidates.push(opt);
  if (process.env.MICROPYTHON_WASM_PKG) candidates.push(process.env.MICROPYTHON_WASM_PKG);
  candidates.push(path.join(ROOT, "tests", "wasm", "node_modules", ...PKG_NAME.split("/")));
  for (const c of candidates) {
    if (fs.existsSync(path.join(c, "micropython.mjs"))) return path.resolve(c);
  }
  usage("MicroPython webassembly package not found (tried " + candidates.join(", ") + ")");
}

function walk(dir, rel = "") {
  const out = [];
  for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? rel + "/" + ent.name : ent.name;
    if (ent.isDirectory()) {
      if (ent.name !== "__pycache__") out.push(...walk(dir, r));
    } else out.push(r);
  }
  return out.sort();
}

function readSkip() {
  const skip = new Map();
  const file = path.join(FIX, "WASM_SKIP");
  if (!fs.existsSync(file)) return skip;
  for (const raw of fs.readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf("#");
    const name = (i < 0 ? line : line.slice(0, i)).trim();
    skip.set(name, i < 0 ? "" : line.slice(i + 1).trim());
  }
  return skip;
}

// Expected text: the .exp (minus its "# reason:" line) or else the .out.
function expected(absPy) {
  const base = absPy.slice(0, -3);
  if (fs.existsSync(base + ".exp")) {
    let t = fs.readFileSync(base + ".exp", "utf8");
    if (t.startsWith("# reason:")) t = t.slice(t.indexOf("\n") + 1);
    return { kind: "exp", text: t };
  }
  if (fs.existsSync(base + ".out")) return { kind: "out", text: fs.readFileSync(base + ".out", "utf8") };
  return { kind: "none", text: null };
}

// What `upyc run NAME.py` is compared on: stdout, then the traceback of an
// uncaught exception, then the exit line.
function actual(res, fileName) {
  if (res.status === "crash") return null;
  // runPython() names the source "<stdin>"; `micropython NAME.py` names it NAME.py
  // (in uncaught tracebacks and in sys.print_exception output alike).
  const rename = (t) => t.split('File "<stdin>"').join('File "' + fileName + '"');
  let text = rename(res.stdout + res.stderr);
  if (res.status === "error") {
    if (res.errorType === "SystemExit") {
      const lines = res.error.trimEnd().split("\n");
      const last = lines[lines.length - 1];
      // The last line is "SystemExit: " + str(arg) ("" without an argument).
      const arg = last.startsWith("SystemExit:") ? last.slice("SystemExit:".length).trim() : "";
      let code = 0;
      if (/^-?\d+$/.test(arg)) code = Number(arg) & 255;
      else if (arg !== "" && arg !== "None") {
        // sys.exit("message"): the message is printed, exit status 1.
        text += arg + "\n";
        code = 1;
      }
      if (code !== 0) text += "# exit " + code + "\n";
    } else {
      text += rename(res.error);
      if (!text.endsWith("\n")) text += "\n";
      text += "# exit 1\n";
    }
  }
  return text;
}

async function main() {
  const argv = process.argv.slice(2);
  const opts = { pkg: null, timeout: 20000, heapsize: 8 * 1024 * 1024, diff: false, json: false, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--pkg") opts.pkg = argv[++i];
    else if (a === "--timeout") opts.timeout = Number(argv[++i]);
    else if (a === "--heapsize") opts.heapsize = Number(argv[++i]);
    else if (a === "--diff") opts.diff = true;
    else if (a === "--json") opts.json = true;
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("--")) usage("unknown option " + a);
    else opts.filters.push(a);
  }
  if (!(opts.timeout > 0) || !(opts.heapsize > 0)) usage("bad number");
  const pkg = findPkg(opts.pkg);
  const version = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).version;

  if (!version.startsWith("1.29")) {
    process.stderr.write(
      `note: the fixtures target MicroPython 1.29; ${pkg} is ${version} ` +
        "(install 1.29.0-6 with `npm install --prefix DIR " + PKG_NAME + "@1.29.0-6` and pass --pkg)\n",
    );
  }
  const all = walk(FIX).filter((r) => r.endsWith(".py"));
  const tests = all.filter((r) => TEST_RE.test(path.basename(r)));
  const selected = tests.filter((r) => opts.filters.length === 0 || opts.filters.some((f) => r.includes(f)));
  const skip = readSkip();
  for (const name of skip.keys()) {
    if (!tests.includes(name)) process.stderr.write("WASM_SKIP names a missing fixture: " + name + "\n");
  }

  let worker = null;
  let ready = null;
  const spawn = () => {
    worker = new Worker(fileURLToPath(import.meta.url), { workerData: { pkg } });
    ready = new Promise((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
  };
  const run = async (task) => {
    if (worker === null) spawn();
    await ready;
    return await new Promise((resolve) => {
      const timer = setTimeout(() => {
        worker.removeAllListeners();
        worker.terminate();
        worker = null;
        resolve({ status: "timeout", stdout: "", stderr: "", error: "timed out", errorType: null });
      }, opts.timeout);
      worker.once("message", (msg) => {
        clearTimeout(timer);
        worker.removeAllListeners("error");
        resolve(msg);
      });
      worker.once("error", (e) => {
        clearTimeout(timer);
        worker.removeAllListeners();
        worker = null;
        resolve({ status: "crash", stdout: "", stderr: "", error: String(e), errorType: null });
      });
      worker.postMessage(task);
    });
  };

  const counts = { pass: 0, fail: 0, skip: 0, stale: 0, noexp: 0 };
  const t0 = performance.now();
  for (const rel of selected) {
    const abs = path.join(FIX, rel);
    const dir = path.dirname(rel);
    const support = all
      .filter((r) => r.startsWith(dir + "/") && !TEST_RE.test(path.basename(r)))
      .map((r) => ({ rel: r.slice(dir.length + 1), data: fs.readFileSync(path.join(FIX, r)) }));
    const exp = expected(abs);
    const res = await run({ source: fs.readFileSync(abs, "utf8"), support, heapsize: opts.heapsize });
    const got = actual(res, path.basename(rel));
    let verdict;
    if (exp.text === null) verdict = "noexp";
    else if (got === exp.text) verdict = skip.has(rel) ? "stale" : "pass";
    else verdict = skip.has(rel) ? "skip" : "fail";
    counts[verdict]++;
    if (opts.json) {
      process.stdout.write(JSON.stringify({ fixture: rel, verdict, expected: exp.kind, status: res.status, actual: got, error: res.error }) + "\n");
      continue;
    }
    if (verdict === "pass") continue;
    const why = verdict === "skip" ? " (WASM_SKIP: " + skip.get(rel) + ")" : verdict === "stale" ? " (listed in WASM_SKIP but matches)" : "";
    process.stdout.write(`${verdict.toUpperCase()} ${rel} [${res.status}]${why}\n`);
    if (opts.diff && (verdict === "fail" || verdict === "noexp")) {
      process.stdout.write("--- expected (" + exp.kind + ")\n" + (exp.text ?? "") + "--- actual\n" + (got ?? res.error) + "\n");
    }
  }
  if (worker !== null) await worker.terminate();
  const ms = Math.round(performance.now() - t0);
  const summary =
    `micropython-webassembly-pyscript ${version}: ${selected.length} fixtures, ${counts.pass} pass, ` +
    `${counts.skip} skipped (WASM_SKIP), ${counts.fail} fail, ${counts.stale} stale skips, ` +
    `${counts.noexp} without expected output, ${ms} ms\n`;
  if (opts.json) process.stderr.write(summary);
  else process.stdout.write(summary);
  process.exit(counts.fail + counts.noexp + counts.stale > 0 ? 1 : 0);
}
