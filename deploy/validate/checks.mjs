// The project's rules for deploy/: what a rendered overlay (a list of Kubernetes objects) and
// deploy/Dockerfile must satisfy beyond the Kubernetes schemas. Pure functions of their inputs, so
// selftest.mjs can feed them deliberately broken objects.
//
//   const docker = parseDockerfile(readFileSync("deploy/Dockerfile", "utf8"));
//   const findings = checkObjects(objects, { docker, sql, readme, expect: { loadgenIndexed: false } });
//   // findings: [{ check: "selector", where: "Deployment/sync-service", message: "..." }, ...]
//
// CHECKS lists every rule by id; selftest.mjs proves each one can fail.

export const CHECKS = {
  schema: "every object validates against kubernetes-models (types, required fields)",
  "unknown-field": "no field the Kubernetes API does not declare (kubernetes-models' .d.ts)",
  namespace: "every namespaced object lives in the overlay's one Namespace",
  "unique-name": "no two objects share kind, namespace and name",
  labels: "objects and pod templates carry app.kubernetes.io/{name,component,part-of=asyncgrpc}",
  selector: "each Deployment/StatefulSet/Job selector matches its own pod template labels",
  "service-selector": "every Service selector matches some workload's pod labels",
  "service-port": "Service targetPorts name or number a port of the selected containers",
  headless: "gRPC Services and StatefulSet governing Services are headless (clusterIP: None)",
  "probe-port": "probe ports name or number a port of their container",
  "grpc-probes": "servers: readiness gRPC items.v1.ItemService, liveness gRPC \"\", on the grpc port",
  listen: "servers listen on 0.0.0.0 at their grpc/metrics ports; scrape annotations agree",
  qos: "server pods are Guaranteed (requests == limits everywhere) with whole CPUs",
  pool: "both servers set the same --db_pool_size",
  grace: "terminationGracePeriodSeconds > preStop sleep + --shutdown_grace",
  "loadgen-target": "loadgen --target/--metrics_url name existing Services and their ports",
  "loadgen-output": "loadgen prints its results (--print_results) and writes --out to a volume",
  shards: "an Indexed loadgen Job: completions == parallelism == --shard_count, index, start time",
  "env-expansion": "every $(VAR) in command/args is a variable the container defines",
  entrypoint: "containers of our image run a binary or tool the Dockerfile installs",
  "secret-ref": "referenced Secrets (and keys) exist",
  "configmap-ref": "referenced ConfigMaps (and keys) exist, or are documented as user-made",
  credentials: "no credential literal in command, args or env values",
  "db-host": "PGHOST/PGPORT name a Service (or CloudNativePG cluster) that exists",
  sql: "the SQL ConfigMap equals common/sql byte for byte and the seed Job applies it",
  "pull-policy": "imagePullPolicy fits the overlay (local: the image is loaded, never pulled)",
  dockerfile: "Dockerfile: debian:12 stages, install-deps, Release build, non-root, no ENTRYPOINT",
  "runtime-libs": "the runtime stage's packages provide every shared library the binaries load",
  render: "kubectl kustomize renders the overlay",
};

export const SERVER_BINARIES = new Set(["sync_service", "async_service"]);
export const IMAGE_REPOSITORY = "asyncgrpc"; // last path component of our image's name
const PART_OF = "asyncgrpc";
const SHELLS = new Set(["sh", "bash", "dash"]);
// Present in every debian:12 image (Essential/required packages).
const BASE_TOOLS = new Set([
  "sh", "bash", "dash", "sleep", "getent", "grep", "cat", "date", "env", "mkdir", "rm", "cp", "mv",
  "sed", "head", "tail", "tee", "true", "false", "test", "[", "printf", "echo", "kill", "timeout",
  "id", "hostname", "ls", "wc", "tr", "cut", "sort", "touch", "seq",
]);
const SHELL_BUILTINS = new Set([
  "echo", "printf", "test", "[", "true", "false", ":", "exit", "set", "export", "cd", "read",
  "shift", "wait", "trap", "return", "unset", "local", ".", "source", "eval", "break", "continue",
]);
const SHELL_KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until",
  "case", "esac", "{", "}", "!", "time", "in"]);
const SHELL_PREFIXES = new Set(["exec", "command", "nohup", "env"]);
// Tools the runtime stage gets from the Debian packages it installs.
const PACKAGE_TOOLS = {
  psql: /^postgresql-client(-15)?$/,
  pg_isready: /^postgresql-client(-15)?$/,
};
// Objects the user creates by hand before applying an overlay (EXPECT[overlay].userMade says
// which overlay relies on which), and the command deploy/README.md must show for each.
export const USER_MADE = {
  "ConfigMap/loadgen-start": {
    keys: ["start_at"],
    readme: /kubectl\b[^\n]*\bcreate configmap loadgen-start\b[^\n]*--from-literal=start_at=/,
  },
  "Secret/asyncgrpc-db": {
    keys: ["username", "password"],
    readme: /kubectl\b[^\n]*\bcreate secret generic asyncgrpc-db\b(?=[^\n]*--type=kubernetes\.io\/basic-auth)(?=[^\n]*--from-literal=username=)(?=[^\n]*--from-literal=password=)/,
  },
};
// The README with shell line continuations joined, as the patterns above expect.
export function joinContinuations(text) {
  return String(text ?? "").replace(/\\\n\s*/g, " ");
}
const CREDENTIAL_ENV = /PASSWORD|PASSWD|SECRET|TOKEN|DATABASE_URL|CREDENTIAL/i;

// ---------------------------------------------------------------------------------- helpers

const NAMESPACED = (o) => !["Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume",
  "StorageClass", "CustomResourceDefinition", "PriorityClass"].includes(o.kind);

export function ref(o) {
  return `${o.kind}/${o.metadata?.name}`;
}

export function podTemplate(o) {
  switch (o.kind) {
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return o.spec?.template;
    case "CronJob":
      return o.spec?.jobTemplate?.spec?.template;
    case "Pod":
      return o;
    default:
      return undefined;
  }
}

function allContainers(spec) {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

export function isOurImage(image) {
  if (typeof image !== "string") return false;
  const noDigest = image.split("@")[0];
  const lastSlash = noDigest.lastIndexOf("/");
  const nameTag = noDigest.slice(lastSlash + 1);
  return nameTag.split(":")[0] === IMAGE_REPOSITORY;
}

function basename(p) {
  return String(p).split("/").pop();
}

function binaryOf(container) {
  return container.command?.length ? basename(container.command[0]) : undefined;
}

export function isServer(container) {
  return SERVER_BINARIES.has(binaryOf(container));
}

export function isLoadgen(container) {
  return binaryOf(container) === "loadgen" && !(container.args ?? []).some((a) => a === "merge" || a === "report");
}

// absl-style flags: --name=value, or --name (true), or --name value (value not starting with -).
export function parseFlags(args = [], booleans = new Set()) {
  const flags = new Map();
  for (let i = 0; i < args.length; i++) {
    const a = String(args[i]);
    const m = /^--?([A-Za-z0-9_]+)(?:=(.*))?$/s.exec(a);
    if (!m) continue;
    let value = m[2];
    if (value === undefined) {
      if (!booleans.has(m[1]) && i + 1 < args.length && !String(args[i + 1]).startsWith("-")) {
        value = String(args[++i]);
      } else {
        value = "true";
      }
    }
    if (!flags.has(m[1])) flags.set(m[1], []);
    flags.get(m[1]).push(value);
  }
  return flags;
}

const LOADGEN_BOOLEANS = new Set(["print_results"]);

// Kubernetes quantity -> number (cores, bytes); NaN when malformed.
export function parseQuantity(q) {
  if (typeof q === "number") return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(String(q ?? ""));
  if (!m) return NaN;
  const mult = { n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 }[m[2]] ?? 1;
  return Number(m[1]) * mult;
}

// absl duration ("10s", "1m30s", "500ms", "0") -> seconds; NaN when malformed.
export function parseDuration(d) {
  const s = String(d ?? "").trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/gy;
  let total = 0;
  let m;
  let end = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[m[2]];
    end = re.lastIndex;
  }
  return end === s.length && end > 0 ? total : NaN;
}

function labelsMatch(selector, labels = {}) {
  if (!selector) return false;
  const { matchLabels = {}, matchExpressions = [] } = selector;
  if (!Object.keys(matchLabels).length && !matchExpressions.length) return false;
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  for (const e of matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok = {
      In: has && (e.values ?? []).includes(labels[e.key]),
      NotIn: !has || !(e.values ?? []).includes(labels[e.key]),
      Exists: has,
      DoesNotExist: !has,
    }[e.operator];
    if (!ok) return false;
  }
  return true;
}

function serviceSelects(service, labels = {}) {
  const sel = service.spec?.selector;
  if (!sel || !Object.keys(sel).length) return false;
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

// Command words of a POSIX shell script: the first word of every simple command, including those
// in $(...) substitutions (keywords, assignments and `exec`-like prefixes skipped).
export function shellCommandWords(script) {
  const s = String(script);
  const state = new CommandWordState();
  const subs = []; // $(...) bodies, scanned after the script itself
  for (let i = 0; i < s.length; i++) i = scanShellChar(s, i, state, subs);
  state.flush();
  const words = state.words;
  for (const sub of subs) words.push(...shellCommandWords(sub));
  return words;
}

// Reads s[i] (and whatever quoted or substituted text it opens) into `state`; returns the index of
// the last character consumed. Quotes and substitutions stand in a word as a placeholder letter,
// so that they never pass for a command name themselves.
function scanShellChar(s, i, state, subs) {
  const c = s[i];
  if (c === "'") {
    const end = s.indexOf("'", i + 1);
    state.append("Q");
    return end < 0 ? s.length : end;
  }
  if (c === '"') {
    const end = skipDoubleQuoted(s, i, subs);
    state.append("Q");
    return end;
  }
  if (c === "$" && s[i + 1] === "(") {
    const end = matchParen(s, i + 1);
    subs.push(s.slice(i + 2, end - 1));
    state.append("S");
    return end - 1;
  }
  if (c === "\\") {
    state.append(s[i + 1] ?? "");
    return i + 1;
  }
  if (c === "#" && !state.inWord) {
    const nl = s.indexOf("\n", i);
    return nl < 0 ? s.length : nl - 1;
  }
  if (c === " " || c === "\t") state.flush();
  else if (";\n|&()".includes(c)) state.separator();
  else state.append(c);
  return i;
}

// The word being read and whether it stands where a command name goes.
class CommandWordState {
  constructor() {
    this.words = [];
    this.cur = "";
    this.inWord = false;
    this.expecting = true;
    this.skipToSeparator = false; // after `for`/`case` until ; or newline
  }

  append(text) {
    this.cur += text;
    this.inWord = true;
  }

  flush() {
    if (!this.inWord) return;
    const w = this.cur;
    this.cur = "";
    this.inWord = false;
    if (this.skipToSeparator || !this.expecting) return;
    if (w === "for" || w === "case") {
      this.skipToSeparator = true;
      return;
    }
    if (SHELL_KEYWORDS.has(w) || SHELL_PREFIXES.has(w)) return;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) return;
    if (/^[0-9]*[<>]/.test(w)) return;
    this.words.push(w);
    this.expecting = false;
  }

  separator() {
    this.flush();
    this.expecting = true;
    this.skipToSeparator = false;
  }
}

// Index just past the ')' matching the '(' at s[open].
function matchParen(s, open) {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "'") {
      i = s.indexOf("'", i + 1);
      if (i < 0) return s.length;
    } else if (c === '"') {
      i = skipDoubleQuoted(s, i);
    } else if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return s.length;
}

// Index of the closing '"' of the string starting at s[open]; pushes the $(...) bodies inside it
// to `subs` when given (inside a substitution they are left to the substitution's own scan).
function skipDoubleQuoted(s, open, subs) {
  for (let i = open + 1; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === '"') return i;
    else if (s[i] === "$" && s[i + 1] === "(") {
      const end = matchParen(s, i + 1);
      if (subs) subs.push(s.slice(i + 2, end - 1));
      i = end - 1;
    }
  }
  return s.length;
}

// Every executable a container runs: [{argv0, script?, where}] for command, probes and hooks.
function executions(c) {
  const out = [];
  const add = (cmd, where) => {
    if (!cmd?.length) return;
    const argv0 = String(cmd[0]);
    if (SHELLS.has(basename(argv0)) && cmd[1] === "-c") {
      out.push({ argv0, script: String(cmd[2] ?? ""), where });
    } else {
      out.push({ argv0, where });
    }
  };
  add(c.command, "command");
  for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) add(c[p]?.exec?.command, `${p}.exec`);
  for (const h of ["preStop", "postStart"]) add(c.lifecycle?.[h]?.exec?.command, `lifecycle.${h}.exec`);
  return out;
}

function containerPorts(c) {
  return (c.ports ?? []).map((p) => ({ name: p.name, port: p.containerPort }));
}

function portByName(c, name) {
  return containerPorts(c).find((p) => p.name === name)?.port;
}

// A port reference (name or number) that some port of container `c` answers to.
function containerHasPort(c, portRef) {
  if (typeof portRef === "number") return containerPorts(c).some((p) => p.port === portRef);
  if (/^\d+$/.test(String(portRef))) return containerPorts(c).some((p) => p.port === Number(portRef));
  return containerPorts(c).some((p) => p.name === portRef);
}

// Seconds a preStop hook sleeps: exec sleep N, sh -c "sleep N", or the sleep action; NaN if none.
function preStopSleep(c) {
  const h = c.lifecycle?.preStop;
  if (!h) return NaN;
  if (h.sleep?.seconds !== undefined) return Number(h.sleep.seconds);
  const cmd = h.exec?.command ?? [];
  if (basename(cmd[0] ?? "") === "sleep") return parseDuration(/^\d+(\.\d+)?$/.test(cmd[1]) ? `${cmd[1]}s` : cmd[1]);
  if (SHELLS.has(basename(cmd[0] ?? "")) && cmd[1] === "-c") {
    const m = /(?:^|[;&\s])sleep\s+(\d+(?:\.\d+)?)\s*(?:$|[;&\s])/.exec(cmd[2] ?? "");
    if (m) return Number(m[1]);
  }
  return NaN;
}

// ------------------------------------------------------------------------------- Dockerfile

// What deploy/Dockerfile builds and installs, read from its instructions.
export function parseDockerfile(text) {
  const lines = [];
  let acc = "";
  for (const raw of String(text).split("\n")) {
    if (/^\s*#/.test(raw) && !acc) continue;
    if (/^\s*#/.test(raw)) continue;
    const line = raw.replace(/\s+$/, "");
    if (line.endsWith("\\")) {
      acc += line.slice(0, -1) + " ";
      continue;
    }
    acc += line;
    if (acc.trim()) lines.push(acc.trim());
    acc = "";
  }
  if (acc.trim()) lines.push(acc.trim());
  const stages = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/s.exec(line);
    if (!m) continue;
    const instr = m[1].toUpperCase();
    const rest = m[2];
    if (instr === "FROM") {
      const f = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest);
      stages.push({ image: f[1], name: f[2], run: [], copy: [], user: undefined, entrypoint: undefined, cmd: undefined, env: [] });
      continue;
    }
    const st = stages[stages.length - 1];
    if (!st) continue;
    if (instr === "RUN") st.run.push(rest);
    else if (instr === "COPY" || instr === "ADD") {
      const words = rest.split(/\s+/);
      const opts = words.filter((w) => w.startsWith("--"));
      const paths = words.filter((w) => !w.startsWith("--"));
      const from = opts.find((o) => o.startsWith("--from="))?.slice(7);
      st.copy.push({ from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] });
    } else if (instr === "USER") st.user = rest.trim();
    else if (instr === "ENTRYPOINT") st.entrypoint = rest.trim();
    else if (instr === "CMD") st.cmd = rest.trim();
  }
  const runtime = stages[stages.length - 1];
  const entryPoints = new Map(); // name -> installed path
  const packages = new Set();
  if (runtime) {
    for (const c of runtime.copy) {
      if (!c.from) continue;
      for (const src of c.sources) {
        const name = basename(src);
        const dest = c.dest.endsWith("/") ? `${c.dest}${name}` : c.sources.length === 1 ? c.dest : `${c.dest}/${name}`;
        entryPoints.set(name, dest);
      }
    }
    for (const r of runtime.run) {
      for (const m of r.matchAll(/apt-get\s+install\s+([^&;|]*)/g)) {
        for (const w of m[1].split(/\s+/)) if (w && !w.startsWith("-")) packages.add(w);
      }
    }
  }
  return { stages, runtime, entryPoints, packages };
}

const PATH_DIRS = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"];

export function checkDockerfile(docker, { servers = SERVER_BINARIES } = {}) {
  const findings = [];
  const bad = (message) => findings.push({ check: "dockerfile", where: "deploy/Dockerfile", message });
  const { stages, runtime, entryPoints, packages } = docker;
  if (stages.length < 2) bad(`expected a multi-stage build (build + runtime), found ${stages.length} stage(s)`);
  for (const s of stages) {
    if (!/^debian:(12|bookworm)(-slim)?(@sha256:[0-9a-f]+)?$/.test(s.image)) {
      bad(`stage ${s.name ?? "(final)"} is FROM ${s.image}, not debian:12 (bookworm)`);
    }
  }
  const build = stages.slice(0, -1);
  const buildRuns = build.flatMap((s) => s.run).join("\n");
  if (!/scripts\/install-deps\b/.test(buildRuns)) bad("the build stage does not run scripts/install-deps (the README's installer)");
  if (!/-DCMAKE_BUILD_TYPE=Release\b/.test(buildRuns)) bad("the build stage does not configure a Release build");
  const targets = new Set();
  for (const m of buildRuns.matchAll(/--target\s+((?:[A-Za-z0-9_]+\s*)+)/g)) for (const t of m[1].split(/\s+/)) if (t) targets.add(t);
  for (const want of [...servers, "loadgen"]) {
    if (!entryPoints.has(want)) bad(`the runtime stage does not install ${want} (COPY --from=<build stage>)`);
    else if (!PATH_DIRS.includes(entryPoints.get(want).replace(/\/[^/]+$/, ""))) bad(`${want} is installed at ${entryPoints.get(want)}, not on PATH`);
    if (!targets.has(want)) bad(`the build stage does not build --target ${want}`);
  }
  if (runtime) {
    const user = runtime.user;
    if (!user) bad("the runtime stage has no USER: the containers would run as root");
    else {
      const uid = user.split(":")[0];
      if (!/^\d+$/.test(uid)) bad(`USER ${user} is not numeric: Kubernetes' runAsNonRoot cannot verify a user name`);
      else if (Number(uid) === 0) bad("USER is root (uid 0)");
    }
    if (runtime.entrypoint) bad(`the runtime stage sets ENTRYPOINT ${runtime.entrypoint}: the manifests choose the binary with command:`);
    if (![...packages].some((p) => /^postgresql-client(-15)?$/.test(p))) bad("the runtime stage does not install postgresql-client (psql for the seed Job)");
    const sqlCopied = runtime.copy.filter((c) => !c.from).flatMap((c) => c.sources);
    for (const f of ["common/sql/schema.sql", "common/sql/seed.sql"]) {
      if (!sqlCopied.includes(f)) bad(`the runtime stage does not copy ${f}`);
    }
  }
  return findings;
}

// ------------------------------------------------------------------------------ the checks

// ctx: { docker (parseDockerfile), sql: {"schema.sql": text, "seed.sql": text}, readme: text,
//        expect: { loadgenIndexed: bool, pullPolicies: [..] } }
export function checkObjects(objects, ctx) {
  const findings = [];
  const add = (check, o, message) => {
    findings.push({ check, where: typeof o === "string" ? o : ref(o), message });
  };
  const ix = indexObjects(objects);
  for (const rule of OBJECT_RULES) rule(ix, ctx, add);
  return findings;
}

// The rules in the order their findings are reported. The rules about one Service, container or
// pod run Service by Service and workload by workload (checkServices, checkPods), so that the
// findings about one object stay together.
const OBJECT_RULES = [
  checkOneNamespace, checkUniqueNames, checkPartOfLabels, checkSelectorsMatchPods, checkServices,
  checkGoverningServiceHeadless, checkPods, checkPoolSize, checkSqlConfigMap,
];
const SERVICE_RULES = [checkServiceSelectsPods, checkServiceTargetPorts, checkGrpcServiceHeadless];
const CONTAINER_RULES = [
  checkProbePorts, checkEnvExpansion, checkEntrypoint, checkSecretAndConfigMapRefs, checkCredentials,
  checkDbHost, checkPullPolicy,
];
const SERVER_RULES = [checkServerListen, checkGrpcProbes, checkServerWholeCpus, checkShutdownGrace];
const LOADGEN_RULES = [checkLoadgenTargets, checkLoadgenOutput, checkShards];

// Lookups that several rules share, made once per rendering.
function indexObjects(objects) {
  const kinds = new Map();
  for (const o of objects) {
    if (!kinds.has(o.kind)) kinds.set(o.kind, []);
    kinds.get(o.kind).push(o);
  }
  const byKind = (k) => kinds.get(k) ?? [];
  const find = (kind, name) => byKind(kind).find((o) => o.metadata?.name === name);
  const workloads = objects.filter((o) => podTemplate(o) && o.kind !== "Pod");
  // Asked for each Service, and again for each Service a loadgen targets.
  const selected = new Map();
  const selectedBy = (svc) => {
    if (!selected.has(svc)) {
      selected.set(svc, workloads.filter((w) => w.metadata?.namespace === svc.metadata?.namespace
        && serviceSelects(svc, podTemplate(w).metadata?.labels)));
    }
    return selected.get(svc);
  };
  const pods = workloads.map((w) => {
    const tpl = podTemplate(w);
    const spec = tpl.spec ?? {};
    const main = spec.containers ?? [];
    return { w, tpl, spec, servers: main.filter(isServer), loadgens: main.filter(isLoadgen) };
  });
  const clusters = objects.filter((o) => o.kind === "Cluster"
    && String(o.apiVersion).startsWith("postgresql.cnpg.io/"));
  return {
    objects, byKind, find, workloads, selectedBy, pods, clusters,
    secretValues: secretValues(byKind("Secret")),
  };
}

// Values a credential literal would leak: every Secret key but the user name, decoded.
function secretValues(secrets) {
  const values = [];
  for (const s of secrets) {
    for (const [k, v] of Object.entries(s.stringData ?? {})) {
      if (!/^user(name)?$/i.test(k)) values.push(String(v));
    }
    for (const [k, v] of Object.entries(s.data ?? {})) {
      if (!/^user(name)?$/i.test(k)) values.push(Buffer.from(String(v), "base64").toString("utf8"));
    }
  }
  return values;
}

function checkOneNamespace({ objects, byKind }, ctx, add) {
  const namespaces = byKind("Namespace").map((n) => n.metadata?.name);
  if (namespaces.length !== 1) {
    add("namespace", "(overlay)", `expected exactly one Namespace object, found ${namespaces.length}`);
  }
  for (const o of objects) {
    if (!NAMESPACED(o)) continue;
    const ns = o.metadata?.namespace;
    if (ns !== namespaces[0]) {
      add("namespace", o, `namespace ${ns ?? "(none: the user's current one)"}, not ${namespaces[0]}`);
    }
  }
}

function checkUniqueNames({ objects }, ctx, add) {
  const seen = new Set();
  for (const o of objects) {
    const key = `${o.apiVersion}|${o.kind}|${o.metadata?.namespace}|${o.metadata?.name}`;
    if (seen.has(key)) add("unique-name", o, "defined twice");
    seen.add(key);
  }
}

function checkPartOfLabels({ objects, workloads }, ctx, add) {
  for (const o of objects) {
    if (o.metadata?.labels?.["app.kubernetes.io/part-of"] !== PART_OF) {
      add("labels", o, `metadata.labels lacks app.kubernetes.io/part-of: ${PART_OF}`);
    }
  }
  for (const w of workloads) {
    const labels = podTemplate(w).metadata?.labels ?? {};
    for (const k of ["app.kubernetes.io/name", "app.kubernetes.io/component"]) {
      if (!labels[k]) add("labels", w, `pod template lacks label ${k}`);
      if (!w.metadata?.labels?.[k]) add("labels", w, `metadata.labels lacks ${k}`);
    }
    if (labels["app.kubernetes.io/part-of"] !== PART_OF) {
      add("labels", w, `pod template lacks app.kubernetes.io/part-of: ${PART_OF}`);
    }
  }
}

function checkSelectorsMatchPods({ workloads }, ctx, add) {
  for (const w of workloads) {
    const labels = podTemplate(w).metadata?.labels ?? {};
    if (w.kind === "Job" || w.kind === "CronJob") {
      // A Job makes its own selector; one written by hand is only taken with manualSelector.
      const spec = w.kind === "Job" ? w.spec : w.spec?.jobTemplate?.spec;
      if (!spec?.selector) continue;
      if (!spec.manualSelector) {
        add("selector", w, "sets spec.selector without manualSelector: the API refuses it");
      } else if (!labelsMatch(spec.selector, labels)) {
        add("selector", w, "spec.selector does not match the pod template labels");
      }
      continue;
    }
    if (!labelsMatch(w.spec?.selector, labels)) {
      add("selector", w, `spec.selector ${JSON.stringify(w.spec?.selector)} does not match the pod template `
        + `labels ${JSON.stringify(labels)}`);
    }
  }
}

// A Service without a selector has its endpoints made by hand: nothing to compare.
function checkServices({ byKind, selectedBy }, ctx, add) {
  for (const svc of byKind("Service")) {
    const sel = svc.spec?.selector;
    if (!sel || !Object.keys(sel).length) continue;
    const targets = selectedBy(svc);
    for (const rule of SERVICE_RULES) rule(svc, targets, add);
  }
}

function checkServiceSelectsPods(svc, targets, add) {
  if (!targets.length) {
    add("service-selector", svc,
      `selector ${JSON.stringify(svc.spec.selector)} matches no workload's pod labels`);
  }
}

function checkServiceTargetPorts(svc, targets, add) {
  if (!targets.length) return; // service-selector reports it, and its ports are then moot
  for (const p of svc.spec?.ports ?? []) {
    const target = p.targetPort ?? p.port;
    for (const w of targets) {
      if (!(podTemplate(w).spec?.containers ?? []).some((c) => containerHasPort(c, target))) {
        add("service-port", svc,
          `port ${p.name ?? p.port}: targetPort ${target} is no container port of ${ref(w)}`);
      }
    }
  }
}

// Through a cluster IP, kube-proxy would pin each client's one HTTP/2 connection to one pod.
function checkGrpcServiceHeadless(svc, targets, add) {
  const servesGrpc = targets.some((w) => (podTemplate(w).spec?.containers ?? []).some(isServer));
  if (servesGrpc && svc.spec?.clusterIP !== "None") {
    add("headless", svc, "selects a gRPC server but is not headless (clusterIP: None): "
      + "kube-proxy balances connections, not calls");
  }
}

function checkGoverningServiceHeadless({ byKind, find }, ctx, add) {
  for (const sts of byKind("StatefulSet")) {
    const gov = find("Service", sts.spec?.serviceName);
    if (!gov) add("headless", sts, `serviceName ${sts.spec?.serviceName} names no Service`);
    else if (gov.spec?.clusterIP !== "None") {
      add("headless", sts, `governing Service ${sts.spec.serviceName} is not headless`);
    }
  }
}

// Pod by pod, so that a workload's findings are read together. A container rule gets the
// container and its site: the pod's entry of indexObjects, `where` for its findings and, for the
// server and loadgen rules, the container's parsed flags.
function checkPods(ix, ctx, add) {
  for (const pod of ix.pods) {
    const site = (c, flags) => ({ ...pod, where: `${ref(pod.w)} container ${c.name}`, flags });
    for (const c of allContainers(pod.spec)) {
      for (const rule of CONTAINER_RULES) rule(c, site(c), ix, ctx, add);
    }
    for (const c of pod.servers) {
      const at = site(c, parseFlags(c.args));
      for (const rule of SERVER_RULES) rule(c, at, ix, ctx, add);
    }
    if (pod.servers.length) checkServerPodGuaranteed(pod, add);
    for (const c of pod.loadgens) {
      const at = site(c, parseFlags(c.args, LOADGEN_BOOLEANS));
      for (const rule of LOADGEN_RULES) rule(c, at, ix, ctx, add);
    }
  }
}

function checkProbePorts(c, { where }, ix, ctx, add) {
  for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) {
    const probe = c[p];
    if (!probe) continue;
    const port = probe.grpc?.port ?? probe.httpGet?.port ?? probe.tcpSocket?.port;
    if (port !== undefined && !containerHasPort(c, port)) {
      add("probe-port", where, `${p} port ${port} is none of its ports ${JSON.stringify(containerPorts(c))}`);
    }
  }
}

// The kubelet leaves an undefined $(VAR) as it is; in a shell script, $(...) is the shell's.
function checkEnvExpansion(c, { where }, { find }, ctx, add) {
  const defined = new Set((c.env ?? []).map((e) => e.name));
  for (const ef of c.envFrom ?? []) {
    const src = ef.configMapRef ? find("ConfigMap", ef.configMapRef.name)
      : ef.secretRef ? find("Secret", ef.secretRef.name) : undefined;
    for (const k of Object.keys({ ...(src?.data ?? {}), ...(src?.stringData ?? {}) })) {
      defined.add(`${ef.prefix ?? ""}${k}`);
    }
  }
  const isShell = SHELLS.has(basename(c.command?.[0] ?? "")) && c.command?.[1] === "-c";
  if (isShell) return;
  for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
    for (const m of String(a).matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      if (!defined.has(m[1])) {
        add("env-expansion", where,
          `"${a}" uses $(${m[1]}), which the container does not define: it would be passed literally`);
      }
    }
  }
}

function checkEntrypoint(c, { where }, ix, { docker }, add) {
  if (!isOurImage(c.image) || !docker) return;
  if (!c.command?.length) {
    add("entrypoint", where,
      "runs our image without command: (the image has no ENTRYPOINT, its CMD only prints help)");
  }
  for (const ex of executions(c)) {
    const names = ex.script !== undefined ? [basename(ex.argv0), ...shellCommandWords(ex.script)]
      : [ex.argv0];
    for (const n of names) {
      const b = basename(n);
      const installed = docker.entryPoints.get(b);
      if (docker.entryPoints.has(b)) {
        if (n.includes("/") && n !== installed) {
          add("entrypoint", where, `${ex.where} runs ${n}, but the image installs ${b} at ${installed}`);
        }
        continue;
      }
      if (BASE_TOOLS.has(b) || (ex.script !== undefined && SHELL_BUILTINS.has(n))) continue;
      const pkg = PACKAGE_TOOLS[b];
      if (pkg && [...docker.packages].some((p) => pkg.test(p))) continue;
      add("entrypoint", where, `${ex.where} runs ${n}, which deploy/Dockerfile does not install`);
    }
  }
}

// secret-ref and configmap-ref in one pass, as their findings interleave entry by entry.
function checkSecretAndConfigMapRefs(c, site, ix, ctx, add) {
  const check = (kind, name, key, optional, what) => {
    checkReference({ kind, name, key, optional, what }, site, ix, ctx, add);
  };
  for (const e of c.env ?? []) {
    const s = e.valueFrom?.secretKeyRef;
    if (s) check("Secret", s.name, s.key, s.optional, `env ${e.name}`);
    const m = e.valueFrom?.configMapKeyRef;
    if (m) check("ConfigMap", m.name, m.key, m.optional, `env ${e.name}`);
  }
  for (const ef of c.envFrom ?? []) {
    if (ef.secretRef) check("Secret", ef.secretRef.name, undefined, ef.secretRef.optional, "envFrom");
    const m = ef.configMapRef;
    if (m) check("ConfigMap", m.name, undefined, m.optional, "envFrom");
  }
}

// An object this overlay leaves to the user (USER_MADE) is not in the rendering: the README's
// kubectl create command stands in for it.
function checkReference({ kind, name, key, optional, what }, { where }, { find }, ctx, add) {
  const obj = find(kind, name);
  const userMade = USER_MADE[`${kind}/${name}`];
  const check = kind === "Secret" ? "secret-ref" : "configmap-ref";
  if (!obj && userMade && (ctx.expect?.userMade ?? Object.keys(USER_MADE)).includes(`${kind}/${name}`)) {
    if (key !== undefined && !userMade.keys.includes(key)) {
      add(check, where, `${what}: user-made ${kind} ${name} has no documented key ${key}`);
    }
    if (!userMade.readme.test(joinContinuations(ctx.readme))) {
      add(check, where, `${what}: ${kind} ${name} is made by the user, `
        + "but deploy/README.md does not show the kubectl create command for it");
    }
    return;
  }
  if (!obj) {
    if (!optional) add(check, where, `${what}: ${kind} ${name} does not exist`);
    return;
  }
  const keys = { ...(obj.data ?? {}), ...(obj.stringData ?? {}) };
  if (key !== undefined && !Object.prototype.hasOwnProperty.call(keys, key) && !optional) {
    add(check, where, `${what}: ${kind} ${name} has no key ${key}`);
  }
}

function checkCredentials(c, { where }, { secretValues }, ctx, add) {
  const literals = [
    ...(c.command ?? []).map((v) => ["command", v]),
    ...(c.args ?? []).map((v) => ["args", v]),
    ...(c.env ?? []).filter((e) => e.value !== undefined).map((e) => [`env ${e.name}`, e.value]),
  ];
  for (const [what, v] of literals) {
    const text = String(v);
    for (const sv of secretValues) {
      if (sv.length >= 4 && text.includes(sv)) {
        add("credentials", where, `${what} contains the value of a Secret key`);
      }
    }
    if (/password\s*=\s*[^\s'"$]/i.test(text) || /:\/\/[^\s/:@]+:[^\s/@]+@/.test(text)
      || /\bPGPASSWORD=[^\s"'$]/.test(text)) {
      add("credentials", where, `${what} carries a password literal: ${text.slice(0, 60)}`);
    }
  }
  for (const e of c.env ?? []) {
    if (CREDENTIAL_ENV.test(e.name) && e.value !== undefined) {
      add("credentials", where, `env ${e.name} is a literal; take it from a Secret (valueFrom.secretKeyRef)`);
    }
  }
}

function checkDbHost(c, { where }, { find, clusters }, ctx, add) {
  const pgHost = envValue(c, "PGHOST", find);
  if (pgHost === undefined) return;
  const host = String(pgHost).split(".")[0];
  const port = Number(envValue(c, "PGPORT", find) ?? 5432);
  const svc = find("Service", host);
  const cnpg = clusters.find((cl) => ["rw", "ro", "r"].map((s) => `${cl.metadata.name}-${s}`).includes(host));
  if (svc) {
    if (!(svc.spec?.ports ?? []).some((p) => p.port === port)) {
      add("db-host", where, `PGHOST ${pgHost}: Service ${host} has no port ${port}`);
    }
  } else if (cnpg) {
    if (port !== 5432) add("db-host", where, `PGPORT ${port}: CloudNativePG serves 5432`);
  } else {
    add("db-host", where, `PGHOST ${pgHost} names no Service (nor CloudNativePG cluster) in this overlay`);
  }
}

// A container's literal value of an environment variable, from env or an envFrom ConfigMap.
function envValue(c, name, find) {
  const e = (c.env ?? []).find((x) => x.name === name);
  if (e) return e.value;
  for (const ef of c.envFrom ?? []) {
    const src = ef.configMapRef ? find("ConfigMap", ef.configMapRef.name) : undefined;
    const v = src?.data?.[name.slice((ef.prefix ?? "").length)];
    if (v !== undefined && name.startsWith(ef.prefix ?? "")) return v;
  }
  return undefined;
}

function checkPullPolicy(c, { where }, ix, { expect }, add) {
  if (!isOurImage(c.image) || !expect?.pullPolicies) return;
  if (!expect.pullPolicies.includes(c.imagePullPolicy)) {
    add("pull-policy", where, `imagePullPolicy ${c.imagePullPolicy ?? "(default)"}, expected one of `
      + expect.pullPolicies.map((p) => p ?? "(default)").join(", "));
  }
  // Whatever the policy says, the kubelet pulls an untagged or :latest image.
  if (!expect.pullPolicies.includes("Always") && (!/:[^/]+$/.test(c.image) || /:latest$/.test(c.image))) {
    add("pull-policy", where, `image ${c.image} has no tag or :latest, which the kubelet always pulls`);
  }
}

// Other pods must reach the servers (not on loopback), and Prometheus must find their metrics.
function checkServerListen(c, { w, tpl, where, flags }, ix, ctx, add) {
  const grpcPort = portByName(c, "grpc");
  const metricsPort = portByName(c, "metrics");
  if (grpcPort === undefined) add("listen", where, "has no container port named grpc");
  if (metricsPort === undefined) add("listen", where, "has no container port named metrics");
  const listen = flags.get("listen")?.[0];
  if (!listen || !/^(0\.0\.0\.0|\[::\]):\d+$/.test(listen) || Number(listen.split(":").pop()) !== grpcPort) {
    add("listen", where,
      `--listen=${listen ?? "(default 127.0.0.1)"} must be 0.0.0.0:${grpcPort} (the grpc port)`);
  }
  const ml = flags.get("metrics_listen")?.[0];
  if (!ml || !/^(0\.0\.0\.0|\[::\]):\d+$/.test(ml) || Number(ml.split(":").pop()) !== metricsPort) {
    add("listen", where,
      `--metrics_listen=${ml ?? "(unset)"} must be 0.0.0.0:${metricsPort} (the metrics port)`);
  }
  const ann = tpl.metadata?.annotations ?? {};
  if (ann["prometheus.io/scrape"] !== "true") {
    add("listen", w, 'pod template lacks annotation prometheus.io/scrape: "true"');
  }
  if (Number(ann["prometheus.io/port"]) !== metricsPort) {
    add("listen", w,
      `annotation prometheus.io/port ${ann["prometheus.io/port"]} is not the metrics port ${metricsPort}`);
  }
  if (!String(ann["prometheus.io/path"] ?? "").startsWith("/")) {
    add("listen", w, "annotation prometheus.io/path is missing or not a path");
  }
}

// Readiness asks about the database, liveness only about the process: a database outage takes
// the pods out of their Service without restarting them.
function checkGrpcProbes(c, { where }, ix, ctx, add) {
  const grpcPort = portByName(c, "grpc");
  const ready = c.readinessProbe?.grpc;
  if (!ready) add("grpc-probes", where, "readinessProbe is not a gRPC probe");
  else {
    if (ready.service !== "items.v1.ItemService") {
      add("grpc-probes", where,
        `readinessProbe service "${ready.service ?? ""}" must be items.v1.ItemService (database-aware)`);
    }
    if (ready.port !== grpcPort) {
      add("grpc-probes", where, `readinessProbe port ${ready.port} is not the grpc port ${grpcPort}`);
    }
  }
  const live = c.livenessProbe?.grpc;
  if (!live) add("grpc-probes", where, "livenessProbe is not a gRPC probe");
  else {
    if ((live.service ?? "") !== "") {
      add("grpc-probes", where,
        `livenessProbe service "${live.service}" must be "" (the process, not the database)`);
    }
    if (live.port !== grpcPort) {
      add("grpc-probes", where, `livenessProbe port ${live.port} is not the grpc port ${grpcPort}`);
    }
  }
}

// Whole CPUs, so that the static CPU manager can give a Guaranteed server exclusive cores.
function checkServerWholeCpus(c, { where }, ix, ctx, add) {
  const cpu = parseQuantity(c.resources?.limits?.cpu);
  if (!Number.isInteger(cpu) || cpu < 1) {
    add("qos", where, `cpu ${c.resources?.limits?.cpu ?? "(unset)"} is not a whole number of CPUs`);
  }
}

// The kubelet kills the pod at the grace period's end, whether or not the drain has finished.
function checkShutdownGrace(c, { w, spec, where, flags }, ix, ctx, add) {
  const sleep = preStopSleep(c);
  const shutdownGrace = parseDuration(flags.get("shutdown_grace")?.[0] ?? "10s");
  const tgps = spec.terminationGracePeriodSeconds ?? 30;
  if (Number.isNaN(sleep)) {
    add("grace", where, "has no preStop sleep (endpoints and DNS need a moment to drop the pod)");
  } else if (Number.isNaN(shutdownGrace)) {
    add("grace", where, `--shutdown_grace=${flags.get("shutdown_grace")[0]} does not parse`);
  } else if (!(tgps > sleep + shutdownGrace)) {
    add("grace", w, `terminationGracePeriodSeconds ${tgps} must exceed preStop ${sleep}s `
      + `+ --shutdown_grace ${shutdownGrace}s`);
  }
}

// Guaranteed QoS takes every container of the pod, init containers included.
function checkServerPodGuaranteed({ w, spec }, add) {
  for (const c of allContainers(spec)) {
    for (const r of ["cpu", "memory"]) {
      const req = c.resources?.requests?.[r];
      const lim = c.resources?.limits?.[r];
      if (req === undefined || lim === undefined || parseQuantity(req) !== parseQuantity(lim)) {
        add("qos", `${ref(w)} container ${c.name}`,
          `${r} requests ${req ?? "(unset)"} != limits ${lim ?? "(unset)"}: the pod would not be Guaranteed`);
      }
    }
  }
}

function checkLoadgenTargets(c, site, ix, ctx, add) {
  const { where, flags } = site;
  const targets = flags.get("target") ?? [];
  if (!targets.length) add("loadgen-target", where, "has no --target");
  const names = new Set();
  for (const t of targets) {
    const eq = t.indexOf("=");
    const name = eq > 0 ? t.slice(0, eq) : t;
    if (names.has(name)) add("loadgen-target", where, `--target name ${name} given twice`);
    names.add(name);
    const svc = resolveLoadgenService(eq > 0 ? t.slice(eq + 1) : t, `--target ${t}`, "grpc", site, ix, add);
    if (svc && !ix.selectedBy(svc).some((sw) => (podTemplate(sw).spec?.containers ?? []).some(isServer))) {
      add("loadgen-target", where,
        `--target ${t}: Service ${svc.metadata.name} selects no sync_service/async_service pod`);
    }
  }
  const metricsFor = new Set();
  for (const mu of flags.get("metrics_url") ?? []) {
    checkLoadgenMetricsUrl(mu, names, metricsFor, site, ix, add);
  }
  for (const n of names) {
    if (!metricsFor.has(n)) add("loadgen-target", where, `--target ${n} has no --metrics_url`);
  }
}

// One --metrics_url=NAME=URL: NAME is a --target's (noted in metricsFor), URL a metrics port of
// a Service, at the path its pods are scraped at.
function checkLoadgenMetricsUrl(mu, names, metricsFor, site, ix, add) {
  const { where } = site;
  const eq = mu.indexOf("=");
  const name = mu.slice(0, eq);
  if (eq <= 0 || !names.has(name)) add("loadgen-target", where, `--metrics_url ${mu} names no --target`);
  metricsFor.add(name);
  let url;
  try {
    url = new URL(mu.slice(eq + 1));
  } catch {
    add("loadgen-target", where, `--metrics_url ${mu} is not a URL`);
    return;
  }
  if (url.protocol !== "http:") {
    add("loadgen-target", where, `--metrics_url ${mu}: the services serve plain http`);
  }
  const hostPort = `${url.hostname}:${url.port || 80}`;
  const svc = resolveLoadgenService(hostPort, `--metrics_url ${mu}`, "metrics", site, ix, add);
  if (!svc) return;
  for (const sw of ix.selectedBy(svc)) {
    const path = podTemplate(sw).metadata?.annotations?.["prometheus.io/path"];
    if (path && path !== url.pathname) {
      add("loadgen-target", where,
        `--metrics_url ${mu}: path ${url.pathname}, but ${ref(sw)} is scraped at ${path}`);
    }
  }
}

// The Service a loadgen HOST:PORT names, in the loadgen's namespace and on a port named
// portName; undefined (and reported) when there is none.
function resolveLoadgenService(hostPort, what, portName, { w, where }, { find }, add) {
  const m = /^(?:dns:\/\/\/)?([^:/]+):(\d+)$/.exec(hostPort);
  if (!m) {
    add("loadgen-target", where, `${what} ${hostPort} is not HOST:PORT`);
    return undefined;
  }
  const [svcName, ns, svcLabel] = m[1].split(".");
  if (ns && ns !== w.metadata?.namespace) {
    add("loadgen-target", where, `${what} ${hostPort} is in namespace ${ns}, not ${w.metadata?.namespace}`);
  }
  if (svcLabel && svcLabel !== "svc") {
    add("loadgen-target", where, `${what} ${hostPort} is not a Service DNS name`);
  }
  const svc = find("Service", svcName);
  if (!svc) {
    add("loadgen-target", where, `${what} ${hostPort}: there is no Service ${svcName}`);
    return undefined;
  }
  const port = (svc.spec?.ports ?? []).find((p) => p.port === Number(m[2]));
  if (!port) add("loadgen-target", where, `${what} ${hostPort}: Service ${svcName} has no port ${m[2]}`);
  else if (port.name !== portName) {
    add("loadgen-target", where,
      `${what} ${hostPort}: Service ${svcName} port ${m[2]} is "${port.name}", not ${portName}`);
  }
  return svc;
}

// The results must outlive the pod: in its log, and in a file on a volume.
function checkLoadgenOutput(c, { where, flags }, ix, ctx, add) {
  if (flags.get("print_results")?.[0] !== "true") {
    add("loadgen-output", where, "lacks --print_results: the results would go with the pod");
  }
  const out = flags.get("out")?.[0];
  const mounts = (c.volumeMounts ?? []).map((m) => m.mountPath.replace(/\/$/, ""));
  if (!out) add("loadgen-output", where, "lacks --out (the default is relative to the working directory)");
  else if (!mounts.some((m) => out === m || out.startsWith(`${m}/`))) {
    add("loadgen-output", where, `--out ${out} is on no mounted volume`);
  }
}

// The shards of one run are the pods of one Indexed Job: all at once, each with its own index,
// all starting at the same moment.
function checkShards(c, { w, flags }, ix, { expect }, add) {
  const indexed = w.kind === "Job" && w.spec?.completionMode === "Indexed";
  const shardCount = flags.get("shard_count")?.[0];
  if (expect?.loadgenIndexed !== undefined && indexed !== expect.loadgenIndexed) {
    add("shards", w, expect.loadgenIndexed
      ? "this overlay spreads loadgen over an Indexed Job, but the Job is not Indexed"
      : "this overlay runs one loadgen pod, but the Job is Indexed");
  }
  if (!indexed) {
    if (shardCount !== undefined && Number(envLiteral(c, shardCount).value) !== 1) {
      add("shards", w, `--shard_count ${shardCount} without an Indexed Job: every pod would run shard `
        + `${flags.get("shard_index")?.[0] ?? 0}`);
    }
    return;
  }
  const completions = w.spec?.completions;
  const parallelism = w.spec?.parallelism ?? 1;
  const count = Number(envLiteral(c, shardCount).value);
  if (completions !== parallelism) {
    add("shards", w,
      `parallelism ${parallelism} != completions ${completions}: the shards would not run together`);
  }
  if (count !== completions) {
    add("shards", w,
      `--shard_count ${shardCount} (= ${envLiteral(c, shardCount).value}) != completions ${completions}`);
  }
  const idx = envLiteral(c, flags.get("shard_index")?.[0]);
  const idxSource = idx.env?.valueFrom?.fieldRef?.fieldPath ?? "";
  if (!idx.name || (idx.name !== "JOB_COMPLETION_INDEX"
    && !/batch\.kubernetes\.io\/job-completion-index/.test(idxSource))) {
    add("shards", w, `--shard_index=${flags.get("shard_index")?.[0]} is not the pod's completion index `
      + "$(JOB_COMPLETION_INDEX)");
  }
  const start = envLiteral(c, flags.get("start_at")?.[0]);
  if (!flags.get("start_at")) add("shards", w, "the shards have no shared --start_at");
  else if (start.name && !start.env?.valueFrom?.configMapKeyRef && start.env?.value === undefined) {
    add("shards", w, `--start_at=$(${start.name}) has no value source`);
  }
}

// A flag's value, or for a whole "$(VAR)" the container's env entry VAR and its literal value.
function envLiteral(c, v) {
  const m = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(v ?? "");
  if (!m) return { value: v };
  const e = (c.env ?? []).find((x) => x.name === m[1]);
  return { env: e, name: m[1], value: e?.value };
}

// The study compares the two servers, which is only fair with the same database pool for both.
function checkPoolSize({ pods }, ctx, add) {
  const serverPods = pods.filter((p) => p.servers.length);
  const pools = serverPods.flatMap(({ w, servers }) =>
    servers.map((c) => ({ w, c, size: parseFlags(c.args).get("db_pool_size")?.[0] })));
  for (const p of pools) {
    if (p.size === undefined) {
      add("pool", `${ref(p.w)} container ${p.c.name}`, "does not set --db_pool_size explicitly");
    }
  }
  const sizes = new Set(pools.map((p) => p.size).filter((s) => s !== undefined));
  if (sizes.size > 1) {
    add("pool", "(servers)", `--db_pool_size differs between the servers: ${[...sizes].join(" vs ")}`);
  }
  const binaries = new Set(serverPods.flatMap(({ servers }) => servers.map(binaryOf)));
  for (const b of SERVER_BINARIES) if (!binaries.has(b)) add("pool", "(servers)", `no workload runs ${b}`);
}

function checkSqlConfigMap({ byKind, workloads }, ctx, add) {
  const sqlMaps = byKind("ConfigMap")
    .filter((cm) => cm.data?.["schema.sql"] !== undefined || cm.data?.["seed.sql"] !== undefined);
  if (sqlMaps.length !== 1) {
    add("sql", "(overlay)",
      `expected one ConfigMap holding schema.sql and seed.sql, found ${sqlMaps.length}`);
  }
  for (const cm of sqlMaps) {
    for (const f of ["schema.sql", "seed.sql"]) {
      if (cm.data?.[f] !== ctx.sql?.[f]) add("sql", cm, `${f} differs from common/sql/${f}`);
    }
    const users = workloads.filter((w) => (podTemplate(w).spec?.volumes ?? [])
      .some((v) => v.configMap?.name === cm.metadata.name));
    if (!users.length) add("sql", cm, "no workload mounts it");
    for (const w of users) checkSeedJob(w, cm, add);
  }
}

// The Job that mounts the SQL ConfigMap: schema before seed, the item count passed, and a failed
// statement failing the Job rather than leaving half a database.
function checkSeedJob(w, cm, add) {
  const spec = podTemplate(w).spec;
  const vol = spec.volumes.find((v) => v.configMap?.name === cm.metadata.name).name;
  const c = allContainers(spec).find((x) => (x.volumeMounts ?? []).some((m) => m.name === vol));
  const mount = c?.volumeMounts.find((m) => m.name === vol).mountPath.replace(/\/$/, "");
  const script = [...(c?.command ?? []), ...(c?.args ?? [])].join(" ");
  const schemaAt = script.search(new RegExp(`psql\\b[^\\n]*-f\\s*${mount}/schema\\.sql`));
  const seedAt = script.search(new RegExp(`psql\\b[^\\n]*-v\\s*items=[^\\n]*-f\\s*${mount}/seed\\.sql`
    + `|psql\\b[^\\n]*-f\\s*${mount}/seed\\.sql[^\\n]*-v\\s*items=`));
  if (schemaAt < 0) add("sql", w, `does not run psql -f ${mount}/schema.sql`);
  if (seedAt < 0) add("sql", w, `does not run psql -v items=N -f ${mount}/seed.sql`);
  if (schemaAt >= 0 && seedAt >= 0 && seedAt < schemaAt) add("sql", w, "seeds before applying the schema");
  if (!/ON_ERROR_STOP=1/.test(script)) {
    add("sql", w, "runs psql without -v ON_ERROR_STOP=1: a failed statement would not fail the Job");
  }
}

// A CloudNativePG Cluster, which kubernetes-models has no schema for: the fields this project
// relies on, and the bootstrap Secret's shape (basic-auth, username == owner).
export function checkCnpgCluster(cluster, objects, { readme, userMade = Object.keys(USER_MADE) } = {}) {
  const problems = [];
  const spec = cluster.spec ?? {};
  if (!Number.isInteger(spec.instances) || spec.instances < 1) problems.push("spec.instances must be an integer >= 1");
  if (Number.isNaN(parseQuantity(spec.storage?.size))) problems.push("spec.storage.size must be a quantity");
  const initdb = spec.bootstrap?.initdb;
  if (!initdb?.database || !initdb?.owner) problems.push("spec.bootstrap.initdb needs database and owner");
  const secretName = initdb?.secret?.name;
  if (secretName) {
    const s = objects.find((o) => o.kind === "Secret" && o.metadata?.name === secretName);
    if (s) {
      if (s.type !== "kubernetes.io/basic-auth") problems.push(`bootstrap secret ${secretName} must be type kubernetes.io/basic-auth`);
      const user = s.stringData?.username ?? (s.data?.username ? Buffer.from(s.data.username, "base64").toString() : undefined);
      if (user !== initdb?.owner) problems.push(`bootstrap secret username ${user} != initdb.owner ${initdb?.owner}`);
    } else if (USER_MADE[`Secret/${secretName}`] && userMade.includes(`Secret/${secretName}`)) {
      // Made by the user with the README's command: its username must be the owner.
      const line = joinContinuations(readme).split("\n").find((l) => USER_MADE[`Secret/${secretName}`].readme.test(l));
      const user = /--from-literal=username=("?)([^\s"]+)\1/.exec(line ?? "")?.[2];
      if (!line) problems.push(`bootstrap secret ${secretName} is made by the user, but deploy/README.md does not show how`);
      else if (user !== initdb?.owner) problems.push(`deploy/README.md creates ${secretName} with username ${user}, but initdb.owner is ${initdb?.owner}`);
    } else {
      problems.push(`bootstrap secret ${secretName} does not exist`);
    }
  }
  return problems;
}
