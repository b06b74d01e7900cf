// Unknown-field check for Kubernetes objects, from kubernetes-models' TypeScript declarations.
//
// kubernetes-models validates types and required fields but accepts any unknown field, so a
// misspelt `readinesProbe` would pass it (and the API server would drop it, or refuse it under
// strict validation). This walks each object along the declared interfaces (the .d.ts files that
// ship with the package: every property of every type, with its type) and reports the fields
// no declaration has.
//
//   const strict = await StrictFields.load();
//   strict.unknownFields(object)   // -> ["spec.template.spec.containers[0].readinesProbe", ...]
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

// Types of the TypeScript subset the declarations use.
//   {kind: "any"} | {kind: "prim"} | {kind: "array", of} | {kind: "map", of}
//   {kind: "object", props: Map<name, type>} | {kind: "ref", file, name} | {kind: "union", of: []}
function tokenize(text) {
  const tokens = [];
  const re = /\s+|\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$]*|[0-9]+|\S/g;
  for (const m of text.matchAll(re)) {
    const t = m[0];
    if (/^\s/.test(t) || t.startsWith("/*") || t.startsWith("//")) continue;
    tokens.push(t);
  }
  return tokens;
}

class Parser {
  constructor(tokens) {
    this.t = tokens;
    this.i = 0;
  }
  peek(o = 0) {
    return this.t[this.i + o];
  }
  next() {
    return this.t[this.i++];
  }
  expect(tok) {
    const got = this.next();
    if (got !== tok) throw new Error(`expected ${tok}, got ${got}`);
  }
  // type := member ('|' member)*
  type() {
    const members = [this.member()];
    while (this.peek() === "|") {
      this.next();
      members.push(this.member());
    }
    return members.length === 1 ? members[0] : { kind: "union", of: members };
  }
  member() {
    const tok = this.next();
    let type;
    if (tok === "{") {
      type = this.objectBody();
    } else if (tok === "(") {
      type = this.type();
      this.expect(")");
    } else if (tok.startsWith('"') || tok.startsWith("'") || /^[0-9]/.test(tok)) {
      type = { kind: "prim" };
    } else if (tok === "Array" && this.peek() === "<") {
      this.next();
      const of = this.type();
      this.expect(">");
      type = { kind: "array", of };
    } else if (["string", "number", "boolean", "null", "undefined", "true", "false"].includes(tok)) {
      type = { kind: "prim" };
    } else if (["any", "unknown", "object"].includes(tok)) {
      type = { kind: "any" };
    } else {
      // A named type, maybe qualified (a.b) or generic (X<Y>): generics are opaque.
      let name = tok;
      while (this.peek() === ".") {
        this.next();
        name += "." + this.next();
      }
      if (this.peek() === "<") {
        let depth = 0;
        do {
          const t = this.next();
          if (t === "<") depth++;
          if (t === ">") depth--;
        } while (depth > 0);
        type = { kind: "any" };
      } else {
        type = { kind: "ref", name };
      }
    }
    while (this.peek() === "[" && this.peek(1) === "]") {
      this.next();
      this.next();
      type = { kind: "array", of: type };
    }
    return type;
  }
  // After '{': properties `"name"?: type;` or an index signature `[key: string]: type;`.
  objectBody() {
    const props = new Map();
    let index = null;
    while (this.peek() !== "}") {
      const tok = this.next();
      if (tok === "[") {
        this.next(); // key
        this.expect(":");
        this.type();
        this.expect("]");
        this.expect(":");
        index = this.type();
      } else {
        const name = tok.replace(/^["']|["']$/g, "");
        if (this.peek() === "?") this.next();
        this.expect(":");
        props.set(name, this.type());
      }
      if (this.peek() === ";" || this.peek() === ",") this.next();
    }
    this.expect("}");
    if (index && props.size === 0) return { kind: "map", of: index };
    return { kind: "object", props };
  }
}

// One declaration file: its imports (local name -> {file, name}), interfaces and type aliases.
function parseDeclarationFile(file) {
  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const spec of m[1].split(",")) {
      const parts = spec.trim().split(/\s+as\s+/);
      if (!parts[0]) continue;
      imports.set((parts[1] || parts[0]).trim(), { from: m[2], name: parts[0].trim() });
    }
  }
  const decls = new Map();
  const tokens = tokenize(text);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === "interface" && tokens[i - 1] === "export") {
      const name = tokens[i + 1];
      let j = i + 2;
      const bases = [];
      if (tokens[j] === "<") {
        while (tokens[j] !== ">") j++;
        j++;
      }
      if (tokens[j] === "extends") {
        j++;
        while (tokens[j] !== "{") {
          if (/^[A-Za-z_]/.test(tokens[j])) bases.push(tokens[j]);
          j++;
        }
      }
      const p = new Parser(tokens);
      p.i = j + 1;
      const body = p.objectBody();
      decls.set(name, { type: body, bases });
      i = p.i - 1;
    } else if (tokens[i] === "type" && tokens[i - 1] === "export" && tokens[i + 2] === "=") {
      const p = new Parser(tokens);
      p.i = i + 3;
      decls.set(tokens[i + 1], { type: p.type(), bases: [] });
      i = p.i - 1;
    }
  }
  // Re-exports: `export { IX as IIoK8s... }` make the long names aliases of the short ones.
  for (const m of text.matchAll(/export\s*\{([^}]*)\}\s*;/g)) {
    for (const spec of m[1].split(",")) {
      const parts = spec.trim().split(/\s+as\s+/);
      if (parts.length === 2 && decls.has(parts[0].trim())) {
        decls.set(parts[1].trim(), decls.get(parts[0].trim()));
      }
    }
  }
  return { imports, decls };
}

export class StrictFields {
  static async load() {
    return new StrictFields();
  }
  constructor() {
    this.files = new Map();
    // TypeMeta and the like come from @kubernetes-models/base: apiVersion and kind only.
    this.typeMeta = new Set(["apiVersion", "kind"]);
  }

  file(file) {
    if (!this.files.has(file)) this.files.set(file, parseDeclarationFile(file));
    return this.files.get(file);
  }

  resolveModule(from, spec) {
    let target;
    if (spec.startsWith(".")) {
      target = path.resolve(path.dirname(from), spec);
    } else {
      // "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta" -> its .d.ts
      const parts = spec.split("/");
      const pkg = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
      const rest = parts.slice(spec.startsWith("@") ? 2 : 1).join("/");
      const pkgDir = path.dirname(require.resolve(`${pkg}/package.json`));
      target = path.join(pkgDir, rest);
    }
    for (const candidate of [`${target}.d.ts`, path.join(target, "index.d.ts")]) {
      if (existsSync(candidate)) return candidate;
    }
    return null;
  }

  // The declared type named `name` as seen from `file`: {type, file} or null (unknown: not checked).
  lookup(file, name) {
    const parsed = this.file(file);
    if (parsed.decls.has(name)) {
      const decl = parsed.decls.get(name);
      let type = decl.type;
      for (const base of decl.bases) {
        if (base === "TypeMeta") {
          type = { kind: "object", props: new Map([...type.props, ["apiVersion", { kind: "prim" }], ["kind", { kind: "prim" }]]) };
          continue;
        }
        const b = this.lookup(file, base);
        if (b && b.type.kind === "object" && type.kind === "object") {
          type = { kind: "object", props: new Map([...b.type.props, ...type.props]) };
        }
      }
      return { type, file };
    }
    const imp = parsed.imports.get(name);
    if (!imp) return null;
    const target = this.resolveModule(file, imp.from);
    if (!target) return null;
    return this.lookup(target, imp.name);
  }

  // Paths (a.b[0].c) of the fields of `value` that type `type` (declared in `file`) does not have.
  walk(value, type, file, where, out, depth = 0) {
    if (depth > 60 || value === null || value === undefined) return;
    switch (type.kind) {
      case "ref": {
        const r = this.lookup(file, type.name);
        if (r) this.walk(value, r.type, r.file, where, out, depth + 1);
        return;
      }
      case "array":
        if (Array.isArray(value)) value.forEach((v, i) => this.walk(v, type.of, file, `${where}[${i}]`, out, depth + 1));
        return;
      case "map":
        if (typeof value === "object" && !Array.isArray(value)) {
          for (const [k, v] of Object.entries(value)) this.walk(v, type.of, file, `${where}.${k}`, out, depth + 1);
        }
        return;
      case "object":
        if (typeof value !== "object" || Array.isArray(value)) return;
        for (const [k, v] of Object.entries(value)) {
          const at = where ? `${where}.${k}` : k;
          if (!type.props.has(k)) {
            out.push(at);
          } else {
            this.walk(v, type.props.get(k), file, at, out, depth + 1);
          }
        }
        return;
      case "union": {
        // Only an object member can judge fields; with several (none in the core API), skip.
        const objects = type.of
          .map((t) => (t.kind === "ref" ? this.lookup(file, t.name) : { type: t, file }))
          .filter((r) => r && r.type.kind === "object");
        if (objects.length === 1) this.walk(value, objects[0].type, objects[0].file, where, out, depth + 1);
        return;
      }
      default:
        return;
    }
  }

  // Unknown fields of a whole object, or null when kubernetes-models has no declaration for it.
  unknownFields(object) {
    const { apiVersion, kind } = object;
    if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
    let file;
    try {
      // "v1" -> kubernetes-models/v1/Kind.d.ts, "apps/v1" -> kubernetes-models/apps/v1/Kind.d.ts
      const pkgDir = path.dirname(require.resolve("kubernetes-models/package.json"));
      file = path.join(pkgDir, apiVersion, `${kind}.d.ts`);
    } catch {
      return null;
    }
    if (!existsSync(file)) return null;
    const root = this.lookup(file, `I${kind}`);
    if (!root) return null;
    const out = [];
    this.walk(object, root.type, root.file, "", out);
    return out;
  }
}
