#!/usr/bin/env node
// Offline validation of deploy/: renders every kustomize overlay with `kubectl kustomize`,
// validates every object against the Kubernetes schemas (kubernetes-models) and for unknown
// fields, and runs the project's checks (checks.mjs) against the overlays and deploy/Dockerfile.
// ctest runs it as deploy_manifests (deploy/CMakeLists.txt).
//
//   node deploy/validate/validate.mjs [--binaries BIN...]
//
// --binaries: built sync_service, async_service and loadgen; when given (and the host is Debian),
// their shared libraries are checked against the Dockerfile's runtime packages.
// Exit status: 0 all passed; 1 a check failed; 77 skipped (no kubectl >= 1.24), printed as SKIPPED.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SKIP = 77;
const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
const k8s = path.join(repo, "deploy/k8s");

// What each overlay promises, beyond the rules every rendering obeys.
export const EXPECT = {
  base: { loadgenIndexed: false, userMade: [] },
  local: { loadgenIndexed: false, pullPolicies: ["IfNotPresent", "Never"], userMade: [] },
  distributed: { loadgenIndexed: true, pullPolicies: [undefined, "IfNotPresent", "Always"], userMade: ["Secret/asyncgrpc-db", "ConfigMap/loadgen-start"] },
  cnpg: { loadgenIndexed: true, pullPolicies: [undefined, "IfNotPresent", "Always"], userMade: ["Secret/asyncgrpc-db", "ConfigMap/loadgen-start"] },
};

export function skip(reason) {
  console.log(`SKIPPED: ${reason}`);
  process.exit(SKIP);
}

// kubectl's version, or a reason to skip.
export function kubectlOrSkip() {
  let info;
  try {
    info = JSON.parse(execFileSync("kubectl", ["version", "--client", "-o", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
  } catch (e) {
    skip(e.code === "ENOENT" ? "kubectl not found on PATH: cannot render the overlays (needs kubectl >= 1.24)" : `kubectl version failed: ${String(e.stderr ?? e.message).trim()}`);
  }
  const v = info.clientVersion ?? {};
  const minor = parseInt(v.minor, 10);
  if (v.major !== "1" || !(minor >= 24)) skip(`kubectl ${v.gitVersion ?? "?"} is older than 1.24 (its kustomize cannot render these overlays)`);
  return `${v.gitVersion}, kustomize ${info.kustomizeVersion ?? "?"}`;
}

export async function loadModels() {
  try {
    const YAML = (await import("yaml")).default;
    await import("kubernetes-models/v1");
    return YAML;
  } catch {
    console.error("validate: the validators are not installed: npm ci --prefix deploy/validate (scripts/install-deps does it)");
    process.exit(1);
  }
}

export function overlays() {
  const dir = path.join(k8s, "overlays");
  return ["base", ...readdirSync(dir).filter((d) => existsSync(path.join(dir, d, "kustomization.yaml"))).sort()];
}

export function overlayDir(name) {
  return name === "base" ? path.join(k8s, "base") : path.join(k8s, "overlays", name);
}

export function render(name, YAML) {
  const out = execFileSync("kubectl", ["kustomize", overlayDir(name)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  return YAML.parseAllDocuments(out).map((d) => d.toJS()).filter((o) => o);
}

// kubernetes-models' model for apiVersion/kind, or undefined.
export async function modelFor(o) {
  if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") return undefined;
  try {
    const mod = await import(`kubernetes-models/${o.apiVersion}`);
    return mod[o.kind];
  } catch {
    return undefined;
  }
}

// Schema and unknown-field findings for one object.
export async function schemaFindings(o, objects, strict, checkCnpgCluster, ctx = {}) {
  const findings = [];
  const where = `${o.kind}/${o.metadata?.name}`;
  const Model = await modelFor(o);
  if (Model) {
    try {
      new Model(o).validate();
    } catch (e) {
      findings.push({ check: "schema", where, message: String(e.message ?? e).split("\n")[0] });
    }
    const unknown = strict.unknownFields(o) ?? [];
    for (const f of unknown) findings.push({ check: "unknown-field", where, message: `${f} is no field of ${o.apiVersion} ${o.kind}` });
  } else if (o.kind === "Cluster" && String(o.apiVersion).startsWith("postgresql.cnpg.io/")) {
    for (const p of checkCnpgCluster(o, objects, { readme: ctx.readme, userMade: ctx.expect?.userMade })) findings.push({ check: "schema", where, message: `(CloudNativePG, project check) ${p}` });
  } else {
    findings.push({ check: "schema", where, message: `no schema for ${o.apiVersion} ${o.kind}` });
  }
  return findings;
}

export function repoInputs() {
  return {
    sql: {
      "schema.sql": readFileSync(path.join(repo, "common/sql/schema.sql"), "utf8"),
      "seed.sql": readFileSync(path.join(repo, "common/sql/seed.sql"), "utf8"),
    },
    readme: readFileSync(path.join(repo, "deploy/README.md"), "utf8"),
    dockerfile: readFileSync(path.join(repo, "deploy/Dockerfile"), "utf8"),
  };
}

async function main() {
  const args = process.argv.slice(2);
  const bi = args.indexOf("--binaries");
  const binaries = bi >= 0 ? args.slice(bi + 1) : [];

  const version = kubectlOrSkip();
  const YAML = await loadModels();
  const { checkObjects, checkDockerfile, parseDockerfile, checkCnpgCluster, CHECKS } = await import("./checks.mjs");
  const { StrictFields } = await import("./strict-fields.mjs");
  const { checkRuntimeLibraries } = await import("./runtime-libs.mjs");
  const strict = await StrictFields.load();
  const inputs = repoInputs();
  const docker = parseDockerfile(inputs.dockerfile);

  console.log(`validate: kubectl ${version}; checks: ${Object.keys(CHECKS).join(", ")}`);
  let failed = 0;
  const report = (findings) => {
    for (const f of findings) console.log(`  FAIL [${f.check}] ${f.where}: ${f.message}`);
    failed += findings.length;
  };

  const dockerFindings = checkDockerfile(docker);
  console.log(`deploy/Dockerfile: entry points ${[...docker.entryPoints].map(([n, p]) => `${n} (${p})`).join(", ")}; runtime packages ${[...docker.packages].join(" ")}`);
  report(dockerFindings);
  if (binaries.length) {
    const r = checkRuntimeLibraries(binaries, docker.packages);
    if (r.skipped) console.log(`  runtime libraries: SKIPPED: ${r.skipped}`);
    else {
      console.log(`  runtime libraries: ${r.libraries} shared libraries of ${binaries.map((b) => path.basename(b)).join(", ")} come from ${[...r.packages].sort().join(" ")}, all installed by the runtime stage or its dependencies${r.unused.length ? `; listed but not linked (yet): ${r.unused.join(" ")}` : ""}`);
      report(r.findings);
    }
  }

  const names = overlays();
  for (const need of ["local", "distributed"]) if (!names.includes(need)) report([{ check: "render", where: `deploy/k8s/overlays/${need}`, message: "missing" }]);
  for (const name of names) {
    let objects;
    try {
      objects = render(name, YAML);
    } catch (e) {
      console.log(`${name}: render FAILED`);
      report([{ check: "render", where: overlayDir(name), message: String(e.stderr ?? e.message).trim() }]);
      continue;
    }
    console.log(`${name}: ${objects.length} objects: ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(", ")}`);
    const findings = [];
    const ctx = { docker, sql: inputs.sql, readme: inputs.readme, expect: EXPECT[name] ?? {} };
    for (const o of objects) findings.push(...(await schemaFindings(o, objects, strict, checkCnpgCluster, ctx)));
    findings.push(...checkObjects(objects, ctx));
    if (!findings.length) console.log("  ok: schemas, unknown fields and every project check");
    report(findings);
  }
  if (failed) {
    console.log(`validate: ${failed} problem(s)`);
    process.exit(1);
  }
  console.log("validate: all overlays pass");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
