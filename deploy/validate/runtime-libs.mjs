// Does the Dockerfile's runtime stage install every shared library the binaries need?
//
// Where the image cannot be built (no buildah, not root: ctest container_image skips), this still
// answers the question, on the host, which is the same Debian 12: `ldd` on the binaries this build
// made, `dpkg -S` for the package owning each library, and `apt-cache depends --recurse` for what
// the runtime stage's `apt-get install` list brings in. A library whose package is outside that
// closure would be missing in the image.
//
//   const r = checkRuntimeLibraries(["build/bin/sync_service", ...], docker.packages);
//   r.skipped  // a reason, when the host cannot answer (no binaries, not Debian, sanitizer build)
//   r.findings // [{check: "runtime-libs", where, message}]
import { execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";

function run(cmd, args) {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function have(cmd) {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// Package owning `file` (dpkg knows one spelling of merged-/usr paths), or undefined.
function owner(file) {
  const candidates = new Set([file]);
  try {
    candidates.add(realpathSync(file));
  } catch {
    // keep the path as given
  }
  for (const f of [...candidates]) {
    if (f.startsWith("/usr/")) candidates.add(f.slice(4));
    else candidates.add(`/usr${f}`);
  }
  for (const f of candidates) {
    try {
      const out = run("dpkg-query", ["-S", f]);
      const line = out.split("\n").find((l) => l.includes(": "));
      if (line) return line.split(": ")[0].split(",")[0].trim().replace(/:[a-z0-9]+$/, "");
    } catch {
      // not this spelling
    }
  }
  return undefined;
}

// Every package `packages` pull in (Depends and Pre-Depends, recursively), themselves included.
export function dependencyClosure(packages) {
  const out = run("apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
    "--no-breaks", "--no-replaces", "--no-enhances", ...packages]);
  const closure = new Set();
  for (const line of out.split("\n")) {
    if (!line || line.startsWith(" ") || line.startsWith("<")) continue;
    closure.add(line.trim().replace(/:[a-z0-9]+$/, ""));
  }
  return closure;
}

export function checkRuntimeLibraries(binaries, packages) {
  const missingTools = ["ldd", "dpkg-query", "apt-cache"].filter((t) => !have(t));
  if (missingTools.length) return { skipped: `no ${missingTools.join(", ")} on this host (not Debian?)` };
  const absent = binaries.filter((b) => !existsSync(b));
  if (absent.length) return { skipped: `not built yet: ${absent.join(", ")}` };
  const libs = new Map(); // library path -> binaries needing it
  const findings = [];
  for (const b of binaries) {
    const out = run("ldd", [b]);
    for (const line of out.split("\n")) {
      const m = /^\s*(\S+)\s+=>\s+(\S+)/.exec(line);
      if (!m) continue;
      if (/\blib(a|t|ub|l|hwa)san\b/.test(m[1])) return { skipped: `${b} is a sanitizer build (${m[1]})` };
      if (m[2] === "not") {
        findings.push({ check: "runtime-libs", where: b, message: `${m[1]} is not found even on this host` });
        continue;
      }
      if (!libs.has(m[2])) libs.set(m[2], new Set());
      libs.get(m[2]).add(b.split("/").pop());
    }
  }
  let closure;
  try {
    closure = dependencyClosure([...packages]);
  } catch (e) {
    return { skipped: `apt-cache cannot resolve the runtime packages here: ${String(e.stderr ?? e).trim().split("\n")[0]}` };
  }
  const unknown = [...packages].filter((p) => !closure.has(p));
  for (const p of unknown) findings.push({ check: "runtime-libs", where: "deploy/Dockerfile", message: `runtime package ${p} is unknown to apt here` });
  const owners = new Map();
  for (const [lib, users] of libs) {
    const pkg = owner(lib);
    if (!pkg) {
      findings.push({ check: "runtime-libs", where: [...users].join(","), message: `${lib} belongs to no Debian package: it would be missing in the image` });
      continue;
    }
    owners.set(lib, pkg);
    if (!closure.has(pkg)) {
      findings.push({ check: "runtime-libs", where: [...users].join(","), message: `${lib} comes from ${pkg}, which the runtime stage does not install (nor anything it depends on)` });
    }
  }
  // Listed packages no binary links (directly or through another listed one): fine, but worth saying.
  const needed = new Set(owners.values());
  const unused = [...packages].filter((p) => !needed.has(p) && !/^postgresql-client|^ca-certificates$/.test(p));
  return { findings, libraries: libs.size, packages: new Set(owners.values()), unused };
}
