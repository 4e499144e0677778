#!/usr/bin/env node
// Run .mpy modules in the real MicroPython VM (WebAssembly port, pyscript
// variant, npm package @micropython/micropython-webassembly-pyscript) and
// report what each one printed.
//
// Usage:
//   node tests/wasm/run.mjs [options] DIR [MODULE ...]
//
// Every MODULE (a file DIR/MODULE.mpy; a trailing ".mpy" is accepted and
// dropped) is imported in a fresh MicroPython instance: the .mpy file is
// written to /lib in the instance's in-memory filesystem and imported with
// __import__("MODULE").  Without MODULE arguments every *.mpy in DIR is run,
// in sorted order.
//
// Options:
//   --format json|text   report format (default json, see README.md)
//   --timeout MS         per-module time limit in milliseconds (default 20000)
//   --jobs N             modules run in parallel worker threads (default: CPUs)
//   --heapsize BYTES     MicroPython GC heap per instance (default 16777216)
//   --pystack WORDS      MicroPython pystack size per instance (default 65536)
//   --copy-all           also copy every other .mpy/.py file under DIR into
//                        /lib (so modules can import each other)
//   --strict             exit with status 1 unless every module ran to completion
//
// Exit status: 0 when the report was produced (whatever the modules did),
// 1 with --strict if a module did not finish with status "ok", 2 on bad usage.

import { Worker, isMainThread, parentPort } from "node:worker_threads";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PKG = "@micropython/micropython-webassembly-pyscript";
const HERE = path.dirname(fileURLToPath(import.meta.url));

if (isMainThread) {
  await main();
} else {
  await workerMain();
}

// ---------------------------------------------------------------- worker

async function workerMain() {
  const { loadMicroPython } = await import(PKG);
  parentPort.on("message", async (task) => {
    const res = await runOne(loadMicroPython, task);
    res.done = true;
    parentPort.postMessage(res);
  });
  parentPort.postMessage({ ready: true });
}

async function runOne(loadMicroPython, task) {
  const t0 = performance.now();
  const stdout = [];
  const stderr = [];
  // Completed lines are also sent to the main thread as they are printed, so
  // that a module that later hangs still shows its output in the report.
  let sent = 0;
  const res = { module: task.module, status: "ok", stdout: "", stderr: "", error: null, error_type: null, ms: 0 };
  try {
    const mp = await loadMicroPython({
      heapsize: task.heapsize,
      pystack: task.pystack,
      linebuffer: false,
      stdout: (bytes) => {
        for (const b of bytes) {
          stdout.push(b);
          if (b === 10) {
            parentPort.postMessage({ partial: Uint8Array.from(stdout.slice(sent)) });
            sent = stdout.length;
          }
        }
      },
      stderr: (bytes) => {
        for (const b of bytes) stderr.push(b);
      },
    });
    mkdirp(mp.FS, "/lib");
    for (const f of task.files) {
      mkdirp(mp.FS, path.posix.dirname("/lib/" + f.rel));
      mp.FS.writeFile("/lib/" + f.rel, f.data);
    }
    try {
      mp.runPython(`__import__(${JSON.stringify(task.module)})`);
    } catch (e) {
      if (e && e.name === "PythonError") {
        res.status = "error";
        res.error = e.message;
        res.error_type = e.type;
      } else {
        throw e;
      }
    }
  } catch (e) {
    // The VM itself failed (wasm trap, abort, ...).
    res.status = "crash";
    res.error = String((e && e.stack) || e);
  }
  const dec = new TextDecoder("utf-8");
  res.stdout = dec.decode(new Uint8Array(stdout));
  res.stderr = dec.decode(new Uint8Array(stderr));
  res.ms = Math.round(performance.now() - t0);
  return res;
}

function mkdirp(FS, dir) {
  let cur = "";
  for (const part of dir.split("/").filter(Boolean)) {
    cur += "/" + part;
    try {
      FS.mkdir(cur);
    } catch (e) {
      // already exists
    }
  }
}

// ---------------------------------------------------------------- main

function usage(msg) {
  if (msg) process.stderr.write("run.mjs: " + msg + "\n");
  process.stderr.write(
    "usage: node run.mjs [--format json|text] [--timeout MS] [--jobs N] [--heapsize BYTES]\n" +
      "                    [--pystack WORDS] [--copy-all] [--strict] DIR [MODULE ...]\n",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    format: "json",
    timeout: 20000,
    jobs: Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length),
    heapsize: 16 * 1024 * 1024,
    pystack: 65536,
    copyAll: false,
    strict: false,
    dir: null,
    modules: [],
  };
  const num = (i) => {
    const v = Number(argv[i]);
    if (!Number.isInteger(v) || v <= 0) usage("bad number for " + argv[i - 1]);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--format") {
      opts.format = argv[++i];
      if (opts.format !== "json" && opts.format !== "text") usage("bad --format");
    } else if (a === "--timeout") opts.timeout = num(++i);
    else if (a === "--jobs") opts.jobs = num(++i);
    else if (a === "--heapsize") opts.heapsize = num(++i);
    else if (a === "--pystack") opts.pystack = num(++i);
    else if (a === "--copy-all") opts.copyAll = true;
    else if (a === "--strict") opts.strict = true;
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("--")) usage("unknown option " + a);
    else if (opts.dir === null) opts.dir = a;
    else opts.modules.push(a.endsWith(".mpy") ? a.slice(0, -4) : a);
  }
  if (opts.dir === null) usage("missing DIR");
  return opts;
}

function listFiles(dir, exts, prefix = "") {
  const out = [];
  for (const ent of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? prefix + "/" + ent.name : ent.name;
    if (ent.isDirectory()) out.push(...listFiles(dir, exts, rel));
    else if (exts.some((e) => ent.name.endsWith(e))) out.push(rel);
  }
  return out.sort();
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opts.dir) || !fs.statSync(opts.dir).isDirectory()) usage("not a directory: " + opts.dir);
  if (opts.modules.length === 0) {
    opts.modules = fs
      .readdirSync(opts.dir)
      .filter((f) => f.endsWith(".mpy"))
      .sort()
      .map((f) => f.slice(0, -4));
  }
  for (const m of opts.modules) {
    if (!/^[A-Za-z0-9_]+$/.test(m)) usage("bad module name " + JSON.stringify(m));
  }
  const shared = opts.copyAll
    ? listFiles(opts.dir, [".mpy", ".py"]).map((rel) => ({ rel, data: fs.readFileSync(path.join(opts.dir, rel)) }))
    : [];

  const version = JSON.parse(
    fs.readFileSync(path.join(HERE, "node_modules", ...PKG.split("/"), "package.json"), "utf8"),
  ).version;

  const results = new Array(opts.modules.length);
  let next = 0;
  const t0 = performance.now();

  const taskFor = (module) => {
    const own = module + ".mpy";
    const file = path.join(opts.dir, own);
    if (!fs.existsSync(file)) return null;
    const files = shared.filter((f) => f.rel !== own);
    files.push({ rel: own, data: fs.readFileSync(file) });
    return { module, files, heapsize: opts.heapsize, pystack: opts.pystack };
  };

  // A pool of workers; each task gets a fresh MicroPython instance inside
  // the worker.  A worker that overruns the time limit is terminated and
  // replaced.
  async function lane() {
    let worker = null;
    let ready = null;
    const spawn = () => {
      worker = new Worker(fileURLToPath(import.meta.url));
      ready = new Promise((resolve, reject) => {
        worker.once("message", () => resolve());
        worker.once("error", reject);
      });
    };
    try {
      while (next < opts.modules.length) {
        const idx = next++;
        const module = opts.modules[idx];
        const task = taskFor(module);
        if (task === null) {
          results[idx] = { module, status: "missing", stdout: "", stderr: "", error: "no such file: " + module + ".mpy", error_type: null, ms: 0 };
          continue;
        }
        if (worker === null) spawn();
        await ready;
        const start = performance.now();
        results[idx] = await new Promise((resolve) => {
          const partial = [];
          const partialText = () => new TextDecoder("utf-8").decode(Buffer.concat(partial));
          const abandon = () => {
            worker.removeAllListeners();
            worker.terminate();
            worker = null;
          };
          const timer = setTimeout(() => {
            abandon();
            resolve({ module, status: "timeout", stdout: partialText(), stderr: "", error: "timed out after " + opts.timeout + " ms", error_type: null, ms: Math.round(performance.now() - start) });
          }, opts.timeout);
          const onMessage = (msg) => {
            if (msg.partial) {
              partial.push(Buffer.from(msg.partial));
              return;
            }
            clearTimeout(timer);
            worker.off("message", onMessage);
            worker.off("error", onError);
            delete msg.done;
            resolve(msg);
          };
          const onError = (err) => {
            clearTimeout(timer);
            abandon();
            resolve({ module, status: "crash", stdout: partialText(), stderr: "", error: String((err && err.stack) || err), error_type: null, ms: Math.round(performance.now() - start) });
          };
          worker.on("message", onMessage);
          worker.once("error", onError);
          worker.postMessage(task);
        });
      }
    } finally {
      if (worker !== null) await worker.terminate();
    }
  }

  await Promise.all(Array.from({ length: Math.min(opts.jobs, opts.modules.length) }, lane));
  const totalMs = Math.round(performance.now() - t0);

  if (opts.format === "json") {
    // One JSON document; one result object per line for readability.
    const lines = results.map((r) => "  " + JSON.stringify(r));
    process.stdout.write(
      '{"micropython": ' + JSON.stringify(version) + ', "total_ms": ' + totalMs + ', "results": [\n' + lines.join(",\n") + "\n]}\n",
    );
  } else {
    for (const r of results) {
      process.stdout.write(`=== ${r.module} ${r.status} ${r.ms}ms\n`);
      process.stdout.write(r.stdout);
      if (r.stdout && !r.stdout.endsWith("\n")) process.stdout.write("\n");
      if (r.stderr) process.stdout.write("--- stderr\n" + r.stderr + (r.stderr.endsWith("\n") ? "" : "\n"));
      if (r.error) process.stdout.write("--- error\n" + r.error + (r.error.endsWith("\n") ? "" : "\n"));
    }
    process.stdout.write(`=== end ${results.length} modules ${totalMs}ms\n`);
  }
  if (opts.strict && results.some((r) => r.status !== "ok")) process.exit(1);
}
