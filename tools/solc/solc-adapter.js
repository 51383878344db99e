#!/usr/bin/env node
// A native-solc command line over solcjs (the npm `solc` package), for tools that run a
// `solc` executable: py-solc-x / Brownie (`--version`, `--standard-json`) and slither's
// crytic-compile (`--combined-json`).
//
// Output goes to the file named by OPENMERIT_SOLC_OUT, never to stdout directly: node cuts
// piped stdout short when the process exits right after a large write, so the shell wrapper
// (`solc-v<version>`) copies the file to stdout once node has exited. Anything the compiler
// library itself prints is sent to stderr so that stdout carries only the answer.
"use strict";

const fs = require("fs");
const path = require("path");

const out = process.env.OPENMERIT_SOLC_OUT;
if (!out) {
  process.stderr.write("solc-adapter: run it through its solc-v<version> wrapper\n");
  process.exit(2);
}
console.log = (...args) => process.stderr.write(args.join(" ") + "\n");
console.warn = console.log;

const solc = require(require.resolve("solc", { paths: [path.resolve(__dirname, "../..")] }));

function answer(text) {
  fs.writeFileSync(out, text);
}

function fail(message) {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { files: [], remappings: [], allowPaths: [], includePaths: [], basePath: null };
  const withValue = new Set([
    "--allow-paths", "--base-path", "--include-path", "--combined-json", "--optimize-runs",
    "--evm-version", "--output-dir", "-o",
  ]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (withValue.has(arg)) {
      const value = argv[++i];
      if (value === undefined) fail(`option ${arg} needs a value`);
      if (arg === "--allow-paths") opts.allowPaths.push(...value.split(","));
      else if (arg === "--include-path") opts.includePaths.push(value);
      else if (arg === "--base-path") opts.basePath = value;
      else if (arg === "--combined-json") opts.combinedJson = value.split(",");
      else if (arg === "--optimize-runs") opts.optimizeRuns = parseInt(value, 10);
      else if (arg === "--evm-version") opts.evmVersion = value;
    } else if (arg === "--version") opts.version = true;
    else if (arg === "--standard-json") opts.standardJson = true;
    else if (arg === "--optimize") opts.optimize = true;
    else if (arg === "-") opts.stdin = true;
    else if (arg.startsWith("--")) fail(`unrecognised option '${arg}'`);
    else if (arg.includes("=") && !fs.existsSync(arg)) opts.remappings.push(arg);
    else opts.files.push(arg);
  }
  return opts;
}

// Imports the compiler asks for that were not in the input: looked up under the base path,
// the include paths and the allowed paths, in that order, as native solc does.
function importCallback(opts) {
  const roots = [opts.basePath || process.cwd(), ...opts.includePaths, ...opts.allowPaths];
  return (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, "utf8") };
      }
    }
    return { error: `File not found: ${importPath}` };
  };
}

function compile(input, opts) {
  return JSON.parse(solc.compile(JSON.stringify(input), { import: importCallback(opts) }));
}

function standardJson(opts) {
  const text = fs.readFileSync(0, "utf8");
  let input;
  try {
    input = JSON.parse(text);
  } catch (err) {
    // native solc answers malformed input with a JSON error, not a crash
    answer(JSON.stringify({ errors: [{ type: "JSONError", component: "general", severity: "error",
      message: `Input is not valid JSON: ${err.message}`, formattedMessage: err.message }] }));
    return;
  }
  answer(JSON.stringify(compile(input, opts)));
}

const COMBINED_SELECTION = {
  abi: ["abi"],
  bin: ["evm.bytecode.object"],
  "bin-runtime": ["evm.deployedBytecode.object"],
  srcmap: ["evm.bytecode.sourceMap"],
  "srcmap-runtime": ["evm.deployedBytecode.sourceMap"],
  userdoc: ["userdoc"],
  devdoc: ["devdoc"],
  hashes: ["evm.methodIdentifiers"],
  metadata: ["metadata"],
  "storage-layout": ["storageLayout"],
  opcodes: ["evm.bytecode.opcodes"],
  asm: ["evm.legacyAssembly"],
};

function combinedJson(opts) {
  if (opts.files.length === 0) fail("--combined-json needs at least one source file");
  const sources = {};
  for (const file of opts.files) {
    if (!fs.existsSync(file)) fail(`${file}: No such file or directory`);
    sources[file] = { content: fs.readFileSync(file, "utf8") };
  }
  const contractOutputs = [];
  for (const item of opts.combinedJson) {
    if (item === "ast" || item === "compact-format") continue;
    const selection = COMBINED_SELECTION[item];
    if (!selection) fail(`Invalid option to --combined-json: ${item}`);
    contractOutputs.push(...selection);
  }
  const settings = {
    remappings: opts.remappings,
    optimizer: { enabled: !!opts.optimize, runs: opts.optimizeRuns || 200 },
    outputSelection: { "*": { "*": contractOutputs, "": opts.combinedJson.includes("ast") ? ["ast"] : [] } },
  };
  if (opts.evmVersion) settings.evmVersion = opts.evmVersion;
  const output = compile({ language: "Solidity", sources, settings }, opts);
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) process.stderr.write(e.formattedMessage || e.message);
  if (errors.length) process.exit(1);

  const combined = { contracts: {}, sourceList: Object.keys(output.sources || {}), version: solc.version() };
  for (const [file, contracts] of Object.entries(output.contracts || {})) {
    for (const [name, c] of Object.entries(contracts)) {
      const entry = {};
      const evm = c.evm || {};
      for (const item of opts.combinedJson) {
        if (item === "abi") entry.abi = c.abi;
        else if (item === "bin") entry.bin = evm.bytecode && evm.bytecode.object;
        else if (item === "bin-runtime") entry["bin-runtime"] = evm.deployedBytecode && evm.deployedBytecode.object;
        else if (item === "srcmap") entry.srcmap = evm.bytecode && evm.bytecode.sourceMap;
        else if (item === "srcmap-runtime") entry["srcmap-runtime"] = evm.deployedBytecode && evm.deployedBytecode.sourceMap;
        else if (item === "userdoc") entry.userdoc = c.userdoc;
        else if (item === "devdoc") entry.devdoc = c.devdoc;
        else if (item === "hashes") entry.hashes = evm.methodIdentifiers;
        else if (item === "metadata") entry.metadata = c.metadata;
        else if (item === "storage-layout") entry["storage-layout"] = c.storageLayout;
        else if (item === "opcodes") entry.opcodes = evm.bytecode && evm.bytecode.opcodes;
        else if (item === "asm") entry.asm = evm.legacyAssembly;
      }
      combined.contracts[`${file}:${name}`] = entry;
    }
  }
  if (opts.combinedJson.includes("ast")) {
    combined.sources = {};
    for (const [file, source] of Object.entries(output.sources || {})) {
      combined.sources[file] = { AST: source.ast, id: source.id };
    }
  }
  answer(JSON.stringify(combined));
}

const opts = parseArgs(process.argv.slice(2));
if (opts.version) {
  answer(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
} else if (opts.standardJson) {
  standardJson(opts);
} else if (opts.combinedJson) {
  combinedJson(opts);
} else {
  fail("this adapter answers --version, --standard-json and --combined-json only");
}
