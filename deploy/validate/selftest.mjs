#!/usr/bin/env node
// Proves that validate.mjs's checks can fail: renders the real overlays, checks that they pass
// untouched, then breaks them one way at a time (a selector that misses its pods, a probe on the
// wrong port, a loadgen target naming no Service, a password in args, a binary the image lacks,
// ...) and asserts that the expected check reports each one. Every check in CHECKS must be caught
// failing at least once, so a check added without a negative case fails this test.
// ctest runs it as deploy_checks_selftest.
//
//   node deploy/validate/selftest.mjs [--binaries BIN...]
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  EXPECT, kubectlOrSkip, loadModels, render, repo, repoInputs, schemaFindings,
} from "./validate.mjs";
import {
  CHECKS, checkObjects, checkDockerfile, parseDockerfile, checkCnpgCluster, shellCommandWords,
  parseQuantity, parseDuration, parseFlags,
} from "./checks.mjs";
import { StrictFields } from "./strict-fields.mjs";
import { checkRuntimeLibraries } from "./runtime-libs.mjs";

const args = process.argv.slice(2);
const bi = args.indexOf("--binaries");
const binaries = bi >= 0 ? args.slice(bi + 1) : [];

kubectlOrSkip();
const YAML = await loadModels();
const strict = await StrictFields.load();
const inputs = repoInputs();
const realDocker = parseDockerfile(inputs.dockerfile);
const rendered = {};
for (const name of ["local", "distributed", "cnpg"]) rendered[name] = render(name, YAML);

let failures = 0;
const fail = (msg) => {
  failures++;
  console.log(`FAIL ${msg}`);
};
const clone = (x) => structuredClone(x);

async function findingsOf(overlay, objects, ctxOverrides = {}) {
  const ctx = { docker: realDocker, sql: inputs.sql, readme: inputs.readme, expect: EXPECT[overlay], ...ctxOverrides };
  const out = [];
  for (const o of objects) out.push(...(await schemaFindings(o, objects, strict, checkCnpgCluster, ctx)));
  out.push(...checkObjects(objects, ctx));
  out.push(...checkDockerfile(ctx.docker));
  return out;
}

// ---- helpers to reach into a rendering
const get = (objs, kind, name) => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`no ${kind}/${name} in the rendering`);
  return o;
};
const container = (objs, kind, name, cname) => {
  const spec = kind === "Job" || kind === "Deployment" || kind === "StatefulSet" ? get(objs, kind, name).spec.template.spec : undefined;
  const c = [...(spec.initContainers ?? []), ...spec.containers].find((x) => x.name === cname);
  if (!c) throw new Error(`no container ${cname} in ${kind}/${name}`);
  return c;
};
const setArg = (c, flag, value) => {
  const i = c.args.findIndex((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  if (value === undefined) c.args.splice(i, 1);
  else if (i < 0) c.args.push(`--${flag}=${value}`);
  else c.args[i] = `--${flag}=${value}`;
};
const replaceArg = (c, from, to) => {
  const i = c.args.indexOf(from);
  if (i < 0) throw new Error(`no arg ${from}`);
  c.args[i] = to;
};
const env = (c, name) => {
  const e = c.env.find((x) => x.name === name);
  if (!e) throw new Error(`no env ${name}`);
  return e;
};
const sync = (o) => container(o, "Deployment", "sync-service", "sync-service");
const asyncC = (o) => container(o, "Deployment", "async-service", "async-service");
const lg = (o) => container(o, "Job", "loadgen", "loadgen");
const dockerWith = (edit) => parseDockerfile(edit(inputs.dockerfile));

// Each case: the overlay it breaks, what it breaks, and the check that must report it.
const CASES = [
  ["distributed", "schema", "completions as a string", (o) => { get(o, "Job", "loadgen").spec.completions = "4"; }],
  ["local", "schema", "container without a name", (o) => { delete container(o, "Job", "asyncgrpc-seed", "seed").name; }],
  ["cnpg", "schema", "CloudNativePG owner that is not the Secret's username", (o) => { get(o, "Cluster", "asyncgrpc-pg").spec.bootstrap.initdb.owner = "someone"; }],
  ["cnpg", "schema", "CloudNativePG without instances", (o) => { delete get(o, "Cluster", "asyncgrpc-pg").spec.instances; }],
  ["local", "unknown-field", "misspelt readinessProbe", (o) => { const c = sync(o); c.readinesProbe = c.readinessProbe; delete c.readinessProbe; }],
  ["local", "unknown-field", "misspelt metadata.labels on a Service", (o) => { const m = get(o, "Service", "postgres").metadata; m.label = m.labels; delete m.labels; }],
  ["local", "unknown-field", "misspelt field deep in a volume", (o) => { get(o, "Job", "asyncgrpc-seed").spec.template.spec.volumes[0].configMap.nmae = "x"; }],
  ["local", "unknown-field", "misspelt field in a volumeClaimTemplate", (o) => { get(o, "StatefulSet", "postgres").spec.volumeClaimTemplates[0].spec.accesModes = ["ReadWriteOnce"]; }],
  ["local", "namespace", "Service without namespace", (o) => { delete get(o, "Service", "sync-service").metadata.namespace; }],
  ["local", "unique-name", "the Secret twice", (o) => { o.push(clone(get(o, "Secret", "asyncgrpc-db"))); }],
  ["local", "labels", "loadgen pod template without part-of", (o) => { delete get(o, "Job", "loadgen").spec.template.metadata.labels["app.kubernetes.io/part-of"]; }],
  ["local", "selector", "Deployment selector that misses its pods", (o) => { get(o, "Deployment", "sync-service").spec.selector.matchLabels["app.kubernetes.io/name"] = "sync-servic"; }],
  ["local", "selector", "StatefulSet selector that misses its pods", (o) => { get(o, "StatefulSet", "postgres").spec.selector.matchLabels.extra = "x"; }],
  ["local", "service-selector", "Service selecting nothing", (o) => { get(o, "Service", "async-service").spec.selector = { "app.kubernetes.io/name": "nope" }; }],
  ["local", "service-port", "Service targetPort naming no container port", (o) => { get(o, "Service", "sync-service").spec.ports[0].targetPort = "grcp"; }],
  ["local", "service-port", "Service targetPort number no container has", (o) => { get(o, "Service", "postgres").spec.ports[0].targetPort = 5433; }],
  ["local", "headless", "gRPC Service with a cluster IP", (o) => { delete get(o, "Service", "sync-service").spec.clusterIP; }],
  ["local", "headless", "StatefulSet governed by a missing Service", (o) => { get(o, "StatefulSet", "postgres").spec.serviceName = "pg"; }],
  ["local", "probe-port", "readiness probe on the other service's port", (o) => { sync(o).readinessProbe.grpc.port = 50052; }],
  ["local", "probe-port", "liveness probe on a port the container lacks", (o) => { asyncC(o).livenessProbe.grpc.port = 50099; }],
  ["local", "grpc-probes", "readiness on the overall health (not DB-aware)", (o) => { asyncC(o).readinessProbe.grpc.service = ""; }],
  ["local", "grpc-probes", "liveness on the DB-aware name", (o) => { sync(o).livenessProbe.grpc.service = "items.v1.ItemService"; }],
  ["local", "grpc-probes", "readiness as a TCP probe", (o) => { sync(o).readinessProbe = { tcpSocket: { port: "grpc" } }; }],
  ["local", "listen", "server listening on loopback", (o) => { setArg(sync(o), "listen", "127.0.0.1:50051"); }],
  ["local", "listen", "metrics on another port than declared", (o) => { setArg(asyncC(o), "metrics_listen", "0.0.0.0:9465"); }],
  ["local", "listen", "scrape annotation on the wrong port", (o) => { get(o, "Deployment", "sync-service").spec.template.metadata.annotations["prometheus.io/port"] = "9090"; }],
  ["local", "qos", "init container requests != limits (Burstable pod)", (o) => { container(o, "Deployment", "async-service", "wait-for-schema").resources.limits.cpu = "200m"; }],
  ["distributed", "qos", "fractional CPUs for a server", (o) => { sync(o).resources = { requests: { cpu: "1500m", memory: "1Gi" }, limits: { cpu: "1500m", memory: "1Gi" } }; }],
  ["local", "pool", "different pool sizes", (o) => { setArg(asyncC(o), "db_pool_size", "32"); }],
  ["local", "pool", "pool size left to the default", (o) => { setArg(sync(o), "db_pool_size", undefined); }],
  ["local", "grace", "grace period shorter than preStop + drain", (o) => { get(o, "Deployment", "sync-service").spec.template.spec.terminationGracePeriodSeconds = 12; }],
  ["local", "grace", "drain longer than the grace period", (o) => { setArg(asyncC(o), "shutdown_grace", "30s"); }],
  ["local", "grace", "no preStop", (o) => { delete asyncC(o).lifecycle; }],
  ["local", "loadgen-target", "target naming no Service", (o) => { replaceArg(lg(o), "--target=sync=sync-service:50051", "--target=sync=sync-svc:50051"); }],
  ["local", "loadgen-target", "target on the Service's wrong port", (o) => { replaceArg(lg(o), "--target=async=async-service:50052", "--target=async=async-service:50051"); }],
  ["local", "loadgen-target", "target on the metrics port", (o) => { replaceArg(lg(o), "--target=async=async-service:50052", "--target=async=async-service:9464"); }],
  ["local", "loadgen-target", "target at the database", (o) => { replaceArg(lg(o), "--target=async=async-service:50052", "--target=async=postgres:5432"); }],
  ["local", "loadgen-target", "metrics URL on the gRPC port", (o) => { replaceArg(lg(o), "--metrics_url=sync=http://sync-service:9464/metrics", "--metrics_url=sync=http://sync-service:50051/metrics"); }],
  ["local", "loadgen-target", "metrics URL for an unknown target", (o) => { replaceArg(lg(o), "--metrics_url=sync=http://sync-service:9464/metrics", "--metrics_url=syncx=http://sync-service:9464/metrics"); }],
  ["distributed", "loadgen-target", "a target without metrics", (o) => { const c = lg(o); c.args = c.args.filter((a) => !a.startsWith("--metrics_url=async=")); }],
  ["local", "loadgen-output", "no --print_results", (o) => { setArg(lg(o), "print_results", undefined); }],
  ["local", "loadgen-output", "--out on no volume", (o) => { setArg(lg(o), "out", "/data/run"); }],
  ["distributed", "shards", "--shard_count != completions", (o) => { env(lg(o), "SHARD_COUNT").value = "3"; }],
  ["distributed", "shards", "parallelism < completions", (o) => { get(o, "Job", "loadgen").spec.parallelism = 2; }],
  ["distributed", "shards", "no shared start time", (o) => { setArg(lg(o), "start_at", undefined); }],
  ["distributed", "shards", "shard index not from the completion index", (o) => { setArg(lg(o), "shard_index", "0"); }],
  ["distributed", "shards", "not Indexed in the distributed overlay", (o) => { delete get(o, "Job", "loadgen").spec.completionMode; }],
  ["local", "env-expansion", "$(ITEM) that nothing defines", (o) => { setArg(lg(o), "item_ids", "$(ITEM)"); }],
  ["distributed", "env-expansion", "$(START_AT) without its env entry", (o) => { const c = lg(o); c.env = c.env.filter((e) => e.name !== "START_AT"); }],
  ["local", "entrypoint", "server command the image does not install", (o) => { sync(o).command = ["sync_server"]; }],
  ["local", "entrypoint", "shell script calling a tool the image lacks", (o) => { const c = container(o, "Job", "asyncgrpc-seed", "seed"); c.command[2] = c.command[2].replace("psql -X -q -v ON_ERROR_STOP=1 -f /sql/schema.sql", "pg_restore /sql/schema.sql"); }],
  ["local", "entrypoint", "binary at a path the image does not use", (o) => { lg(o).command = ["/usr/bin/loadgen"]; }],
  ["local", "entrypoint", "our image without a command", (o) => { delete lg(o).command; }],
  ["local", "entrypoint", "Dockerfile that stops installing loadgen", (o) => ({ docker: dockerWith((t) => t.replace(" /build/bin/loadgen /usr/local/bin/", " /usr/local/bin/")) })],
  ["local", "entrypoint", "Dockerfile without postgresql-client (psql)", (o) => ({ docker: dockerWith((t) => t.replace(/postgresql-client-15/g, "libpq5")) })],
  ["local", "secret-ref", "secretKeyRef to a missing Secret", (o) => { env(sync(o), "PGPASSWORD").valueFrom.secretKeyRef.name = "asyncgrpc-dbx"; }],
  ["local", "secret-ref", "secretKeyRef to a missing key", (o) => { env(asyncC(o), "PGUSER").valueFrom.secretKeyRef.key = "user"; }],
  ["local", "secret-ref", "local overlay without its dev Secret", (o) => { o.splice(o.indexOf(get(o, "Secret", "asyncgrpc-db")), 1); }],
  ["distributed", "secret-ref", "user-made Secret the README does not explain", () => ({ readme: inputs.readme.replace(/create secret generic asyncgrpc-db/g, "create secret generic other") })],
  ["distributed", "secret-ref", "user-made Secret's key the README does not make", (o) => { env(sync(o), "PGPASSWORD").valueFrom.secretKeyRef.key = "pass"; }],
  ["local", "configmap-ref", "configMapKeyRef to a missing key", (o) => { env(lg(o), "ITEMS").valueFrom.configMapKeyRef.key = "itemz"; }],
  ["local", "configmap-ref", "envFrom a missing ConfigMap", (o) => { sync(o).envFrom[0].configMapRef.name = "asyncgrpc-env"; }],
  ["distributed", "configmap-ref", "user-made START_AT ConfigMap the README does not explain", () => ({ readme: inputs.readme.replace(/create configmap loadgen-start/g, "create configmap start") })],
  ["local", "credentials", "password in a --db URI", (o) => { sync(o).args.push("--db=postgresql://asyncgrpc:dev-only-change-me@postgres/items"); }],
  ["local", "credentials", "password keyword in args", (o) => { asyncC(o).args.push("--db=host=postgres password=hunter22"); }],
  ["local", "credentials", "PGPASSWORD as a literal env value", (o) => { const e = env(sync(o), "PGPASSWORD"); delete e.valueFrom; e.value = "whatever"; }],
  ["local", "credentials", "the Secret's value inside a shell script", (o) => { const c = container(o, "Job", "asyncgrpc-seed", "seed"); c.command[2] = `export PGPASSWORD=$(echo dev-only-change-me)\n${c.command[2]}`; }],
  ["local", "db-host", "PGHOST naming no Service", (o) => { get(o, "ConfigMap", "asyncgrpc-db-env").data.PGHOST = "postgress"; }],
  ["local", "db-host", "PGPORT the Service does not expose", (o) => { get(o, "ConfigMap", "asyncgrpc-db-env").data.PGPORT = "5433"; }],
  ["cnpg", "db-host", "PGHOST still the StatefulSet's with CloudNativePG", (o) => { get(o, "ConfigMap", "asyncgrpc-db-env").data.PGHOST = "postgres"; }],
  ["local", "sql", "seed.sql one byte off", (o) => { const cm = get(o, "ConfigMap", "asyncgrpc-sql"); cm.data["seed.sql"] = cm.data["seed.sql"].replace("800", "801"); }],
  ["local", "sql", "schema.sql with a trailing newline more", (o) => { get(o, "ConfigMap", "asyncgrpc-sql").data["schema.sql"] += "\n"; }],
  ["local", "sql", "seed Job that skips the schema", (o) => { const c = container(o, "Job", "asyncgrpc-seed", "seed"); c.command[2] = c.command[2].replace(/^psql .*schema\.sql$/m, "true"); }],
  ["local", "sql", "seed without the item count", (o) => { const c = container(o, "Job", "asyncgrpc-seed", "seed"); c.command[2] = c.command[2].replace(' -v items="$ITEMS"', ""); }],
  ["local", "pull-policy", "local overlay pulling the loaded image", (o) => { lg(o).imagePullPolicy = "Always"; }],
  ["local", "pull-policy", "local overlay on :latest", (o) => { for (const c of [sync(o)]) c.image = "asyncgrpc:latest"; }],
  ["distributed", "pull-policy", "distributed overlay expecting a locally loaded image", (o) => { lg(o).imagePullPolicy = "Never"; }],
  ["local", "dockerfile", "a non-Debian 12 stage", () => ({ docker: dockerWith((t) => t.replace("FROM debian:12 AS runtime", "FROM ubuntu:22.04 AS runtime")) })],
  ["local", "dockerfile", "runtime as root", () => ({ docker: dockerWith((t) => t.replace("USER 10001:10001", "USER 0:0")) })],
  ["local", "dockerfile", "no USER at all", () => ({ docker: dockerWith((t) => t.replace("USER 10001:10001", "")) })],
  ["local", "dockerfile", "named (unverifiable) user", () => ({ docker: dockerWith((t) => t.replace("USER 10001:10001", "USER asyncgrpc")) })],
  ["local", "dockerfile", "an ENTRYPOINT", () => ({ docker: dockerWith((t) => `${t}\nENTRYPOINT ["sync_service"]\n`) })],
  ["local", "dockerfile", "no install-deps", () => ({ docker: dockerWith((t) => t.replace("RUN scripts/install-deps --no-npm", "RUN apt-get update")) })],
  ["local", "dockerfile", "a binary copied but not built", () => ({ docker: dockerWith((t) => t.replace("--target sync_service async_service loadgen", "--target sync_service loadgen")) })],
];

// ---- baseline: the real overlays pass
for (const name of Object.keys(rendered)) {
  const f = await findingsOf(name, rendered[name]);
  if (f.length) fail(`baseline ${name} is not clean: ${f.map((x) => `[${x.check}] ${x.where}: ${x.message}`).join("; ")}`);
  else console.log(`ok   baseline: ${name} passes every check untouched`);
}

// ---- every broken case is caught by its check
const caught = new Set();
for (const [overlay, check, what, mutate] of CASES) {
  if (!CHECKS[check]) {
    fail(`case "${what}" names unknown check ${check}`);
    continue;
  }
  const objects = clone(rendered[overlay]);
  let ctxOverrides;
  try {
    ctxOverrides = mutate(objects) ?? {};
  } catch (e) {
    fail(`case "${what}" could not be built (${e.message}): the manifests changed under the self-test`);
    continue;
  }
  const f = await findingsOf(overlay, objects, ctxOverrides);
  const hit = f.filter((x) => x.check === check);
  if (hit.length) {
    caught.add(check);
    console.log(`ok   [${check}] ${overlay}: ${what} -> ${hit[0].where}: ${hit[0].message}`);
  } else {
    fail(`[${check}] ${overlay}: ${what} was NOT caught (other findings: ${f.map((x) => `[${x.check}] ${x.message}`).join("; ") || "none"})`);
  }
}

// ---- render: what kustomize refuses fails the render (here: the SQL read from outside the root,
// which is why common/sql has a kustomization of its own that the base includes)
{
  const dir = mkdtempSync(path.join(os.tmpdir(), "asyncgrpc-kz-"));
  try {
    const seed = path.relative(dir, path.join(repo, "common/sql/seed.sql"));
    writeFileSync(path.join(dir, "kustomization.yaml"), `configMapGenerator:\n  - name: outside\n    files:\n      - ${seed}\n`);
    try {
      execFileSync("kubectl", ["kustomize", dir], { stdio: ["ignore", "pipe", "pipe"] });
      fail("[render] kubectl kustomize accepted a file outside the kustomization root");
    } catch (e) {
      const msg = String(e.stderr).trim().split("\n")[0];
      if (/security|not in or below/.test(msg)) {
        caught.add("render");
        console.log(`ok   [render] a file outside the kustomization root is refused: ${msg.replace(/^.*err="/, "").slice(0, 150)}`);
      } else fail(`[render] unexpected kustomize error: ${msg}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- runtime-libs: dropping a package the binaries need is caught (when this host can tell)
let runtimeLibsSkipped = !binaries.length;
if (binaries.length) {
  const pkgs = new Set(realDocker.packages);
  pkgs.delete("libgrpc++1.51");
  const r = checkRuntimeLibraries(binaries, pkgs);
  if (r.skipped) {
    runtimeLibsSkipped = true;
    console.log(`SKIPPED [runtime-libs] negative case: ${r.skipped}`);
  }
  else if (r.findings.some((f) => /libgrpc\+\+/.test(f.message))) {
    caught.add("runtime-libs");
    console.log(`ok   [runtime-libs] runtime stage without libgrpc++1.51 -> ${r.findings[0].message}`);
  } else fail(`[runtime-libs] dropping libgrpc++1.51 was NOT caught: ${JSON.stringify(r.findings)}`);
  const good = checkRuntimeLibraries(binaries, realDocker.packages);
  if (!good.skipped && good.findings.length) fail(`[runtime-libs] the real package list fails: ${JSON.stringify(good.findings)}`);
} else {
  console.log("SKIPPED [runtime-libs] negative case: no --binaries given");
}

// ---- helpers the checks rest on
const eq = (what, got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
};
eq("shell words", shellCommandWords(`until [ "$(psql -X -tA -c "SELECT count(*) FROM items" 2>/dev/null)" = "$ITEMS" ]; do\n  echo "x; y"; sleep 2\ndone\nfor s in a b; do getent hosts "$s" >/dev/null; done\nexec loadgen --x=$(date)`),
  ["[", "echo", "sleep", "getent", "loadgen", "psql", "date"]);
eq("shell words with assignments and comments", shellCommandWords("# psql here is a comment\nA=1 B='x y' pg_dump -f x && ! true | tee f"), ["pg_dump", "true", "tee"]);
eq("quantities", [parseQuantity("2"), parseQuantity("2000m"), parseQuantity("1Gi"), parseQuantity("1024Mi"), parseQuantity("1.5")], [2, 2, 2 ** 30, 2 ** 30, 1.5]);
eq("bad quantity", Number.isNaN(parseQuantity("2x")), true);
eq("durations", [parseDuration("10s"), parseDuration("1m30s"), parseDuration("500ms"), parseDuration("0")], [10, 90, 0.5, 0]);
eq("bad duration", Number.isNaN(parseDuration("10")), true);
eq("flags", [...parseFlags(["--a=1", "--b", "2", "--print_results", "--a=3"], new Set(["print_results"]))], [["a", ["1", "3"]], ["b", ["2"]], ["print_results", ["true"]]]);

const uncovered = Object.keys(CHECKS).filter((c) => !caught.has(c) && !(c === "runtime-libs" && runtimeLibsSkipped));
if (uncovered.length) fail(`checks never seen failing: ${uncovered.join(", ")}`);
console.log(`selftest: ${CASES.length} broken variants, ${caught.size}/${Object.keys(CHECKS).length} checks seen failing; ${failures ? `${failures} FAILURE(S)` : "all caught"}`);
process.exit(failures ? 1 : 0);
