// report.js: draws loadgen's report.html — first the verdict and what ran, then run configuration, a
// side-by-side summary, charts (vs load and vs time, all targets overlaid) and per-target step tables — from
// the Results JSON embedded in the page (report_html.cc writes the page; nothing here may contain a script
// end tag or an HTML comment opener):
//
//   <div id="report"> (filled by this file)
//   <script type="application/json" id="results"> {"config": {...}, "targets": [...]}
//   <script> the Chart.js UMD bundle, then <script> this file
//
// Inlined into the page at build time (see CMakeLists.txt); it must fetch nothing. The JSON is protobuf's
// (loadgen/results.proto, proto field names): 64-bit integers arrive as strings, NaN/Infinity as strings,
// and unset messages and `optional` fields are absent, so every read goes through num()/str()/obj().
(function () {
  'use strict';

  const COLORS = ['#1f77b4', '#e6550d', '#2ca02c', '#9467bd', '#8c564b', '#d6409f', '#17becf', '#7f7f7f'];

  // The detected points of Summary, each with its own marker shape (Chart.js point styles).
  const MARKERS = [
    {field: 'slowdown_step', at: 'slowdown_at', label: 'slowdown onset', style: 'triangle', glyph: '\u25B2'},
    {field: 'errors_step', at: 'errors_at', label: 'error onset', style: 'crossRot', glyph: '\u2716'},
    {field: 'saturation_step', at: 'saturation_at', label: 'saturation', style: 'rectRot', glyph: '\u25C6'},
  ];

  // Latency series: how each percentile is drawn, on the vs-load and vs-time charts alike.
  const PERCENTILES = [
    {key: 'p50_ms', label: 'p50', dash: [2, 3], width: 1.5},
    {key: 'p95_ms', label: 'p95', dash: [7, 4], width: 2},
    {key: 'p99_ms', label: 'p99', dash: [], width: 2.5},
  ];
  const UNCORRECTED_DASH = [10, 3, 2, 3];

  // The processes of Step.cpu_per_call_us, stacked bottom to top; the server's key is its target's name (and
  // its colour the target's).
  const PROCESSES = [
    {key: null, label: null},
    {key: 'db', label: 'PostgreSQL', color: '#bcbd22'},
    {key: 'loadgen', label: 'loadgen', color: '#9aa3ab'},
  ];

  // ---- Reading protobuf JSON -------------------------------------------------------------------------

  function num(value) {
    if (value === undefined || value === null || value === '') return null;
    const n = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(n) ? n : null;
  }
  function str(value) {
    return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  }
  function obj(value) {
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  }
  function arr(value) {
    return Array.isArray(value) ? value : [];
  }
  // Log scales cannot show zero; a missing or zero latency is a gap.
  function positive(value) {
    const n = num(value);
    return n !== null && n > 0 ? n : null;
  }

  // ---- Formatting -------------------------------------------------------------------------------------

  function fmtNumber(value, digits) {
    const n = num(value);
    if (n === null) return '\u2013';
    return n.toLocaleString('en-US', {maximumFractionDigits: digits === undefined ? 2 : digits});
  }
  function fmtMs(value) {
    const n = num(value);
    if (n === null) return '\u2013';
    const abs = Math.abs(n);
    const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
    return n.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits});
  }
  function fmtPercent(ratio) {
    const n = num(ratio);
    if (n === null) return '\u2013';
    if (n === 0) return '0%';
    const pct = n * 100;
    return (pct < 0.01 ? pct.toPrecision(1) : fmtNumber(pct, pct < 1 ? 2 : 1)) + '%';
  }
  function fmtSeconds(value) {
    const n = num(value);
    return n === null ? '\u2013' : fmtNumber(n, 3) + ' s';
  }

  // ---- DOM ------------------------------------------------------------------------------------------

  // el('td', {class: 'x'}, 'text', child, ...): text is always set as text, never parsed as HTML.
  function el(tag, attrs) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'style' && typeof value === 'object') Object.assign(node.style, value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (let i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach((c) => append(node, c));
    else node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  function swatch(color) {
    return el('span', {class: 'swatch', style: {background: color}});
  }
  function facts(rows) {
    const dl = el('dl', {class: 'facts'});
    for (const [name, value] of rows) {
      if (value === undefined || value === null || value === '') continue;
      append(dl, [el('dt', {}, name), el('dd', {}, value)]);
    }
    return dl;
  }

  // ---- The model the page draws from -----------------------------------------------------------------

  function colorOf(i) {
    if (i < COLORS.length) return COLORS[i];
    return 'hsl(' + ((i * 137.5) % 360).toFixed(0) + ', 60%, 45%)';
  }

  // A sweep has no targets of its own to infer from, but states its load unit.
  function inferMode(config, targets, sweep) {
    const mode = str(config.mode);
    if (mode === 'closed' || mode === 'open') return mode;
    if (sweep && !targets.length) return sweep.loadUnit === 'calls/s' ? 'open' : 'closed';
    let users = 0;
    let rates = 0;
    for (const t of targets) {
      for (const s of arr(t.steps)) {
        if (num(s.users)) users++;
        if (num(s.rate)) rates++;
      }
    }
    return rates > users ? 'open' : 'closed';
  }

  function buildModel(results) {
    const config = obj(results.config);
    const rawTargets = arr(results.targets).map(obj);
    // Written by `loadgen sweep` only; its `targets` are then empty.
    const sweep = results.sweep === undefined ? null : buildSweep(results.sweep);
    const mode = inferMode(config, rawTargets, sweep);
    const open = mode === 'open';
    const model = {
      config: config,
      environment: obj(results.environment),
      rules: arr(results.rules).map(str),
      mode: mode,
      open: open,
      loadUnit: open ? 'calls/s' : 'users',
      loadAxis: open ? 'arrival rate (calls/s, open loop)' : 'virtual users (closed loop)',
      shards: arr(results.shards).map(obj),
      comparisons: arr(results.comparisons).map(obj),
      // Absent in a single-target run and in files written before verdicts existed.
      verdict: results.verdict === undefined ? null : obj(results.verdict),
      sweep: sweep,
      targets: [],
    };
    rawTargets.forEach((t, i) => {
      const summary = obj(t.summary);
      const steps = arr(t.steps).map(obj).map((s, position) => {
        const requests = num(s.requests);
        const ok = num(s.ok);
        const rps = num(s.rps);
        const failed = requests !== null && ok !== null ? Math.max(0, requests - ok) : null;
        // rps counts every request (ok or failed), so failures/s is its failed share.
        const failuresPerS = rps !== null && requests ? (rps * (failed || 0)) / requests : rps !== null ? 0 : null;
        const uncorrected = obj(s.uncorrected);
        return {
          raw: s,
          position: position,
          index: num(s.index) !== null ? num(s.index) : position,
          load: open ? num(s.rate) : num(s.users),
          requests: requests,
          ok: ok,
          failed: failed,
          rps: rps,
          failuresPerS: failuresPerS,
          achievedRate: num(s.achieved_rate),
          errors: obj(s.errors),
          errorRatio: num(s.error_ratio),
          uncorrectedP99: num(uncorrected.p99_ms),
          cpu: num(s.loadgen_cpu_cores),
          // By process: "loadgen", the target's name (its server), "db"; any may be absent.
          cpuPerCall: obj(s.cpu_per_call_us),
          serverMetrics: arr(s.server_metrics).map(obj),
          // proto3 JSON always prints `valid` with always_print_primitive_fields; absent means not recorded.
          valid: s.valid === undefined ? true : s.valid === true,
          invalidReason: str(s.invalid_reason),
          markers: [],
        };
      });
      const target = {
        name: str(t.name) || 'target ' + (i + 1),
        // The key of its server in Step.cpu_per_call_us and context_switches_per_call.
        serverKey: str(t.name),
        address: str(t.address),
        color: colorOf(i),
        summary: summary,
        // Absent when loadgen wrote no summary (with always_print_primitive_fields a written one has max_rps).
        hasSummary: Object.keys(summary).length > 0,
        note: str(t.note),
        steps: steps,
        timeline: arr(t.timeline).map(obj),
        capacity: obj(t.capacity),
        repeats: arr(t.repeats).map(obj),
        detected: {},
      };
      for (const marker of MARKERS) {
        const stepIndex = num(summary[marker.field]);
        if (stepIndex === null) continue;
        const step = steps.find((s) => s.index === stepIndex) || steps[stepIndex] || null;
        target.detected[marker.field] = {step: step, stepIndex: stepIndex, at: num(summary[marker.at])};
        if (step) step.markers.push(marker);
      }
      model.targets.push(target);
    });
    return model;
  }

  function loadText(model, value) {
    const n = num(value);
    return n === null ? '\u2013' : fmtNumber(n, model.open ? 2 : 0) + ' ' + model.loadUnit;
  }

  // ---- Sections ---------------------------------------------------------------------------------------

  function pageTitle(model) {
    if (model.sweep && !model.targets.length) {
      const names = model.sweep.targets.map((t) => t.name);
      return 'loadgen sweep: ' + model.sweep.name + (names.length ? ', ' + names.join(' vs ') : '');
    }
    const names = model.targets.map((t) => t.name);
    return names.length ? 'loadgen report: ' + names.join(' vs ') : 'loadgen report';
  }

  function header(model) {
    const title = pageTitle(model);
    const env = model.environment;
    const sub = [];
    if (str(env.started_at)) sub.push('started ' + str(env.started_at));
    if (str(env.hostname)) sub.push('on ' + str(env.hostname));
    sub.push(model.open ? 'open loop (arrival rate)' : 'closed loop (virtual users)');
    if (str(model.config.scenario)) sub.push('scenario ' + str(model.config.scenario));
    return [el('h1', {}, title), el('p', {class: 'subtitle'}, sub.join(' \u00B7 '))];
  }

  // ---- Verdict (Results.verdict, with exactly two targets) -------------------------------------------

  // VerdictFact.name in words, and the unit of its figures (null: a load, in the fact's load_unit).
  const FACT_NAMES = {
    capacity: {label: 'capacity under the SLO', unit: null},
    peak_goodput: {label: 'peak goodput', unit: 'calls/s'},
    failure: {label: 'failure onset', unit: null},
    cpu_per_call_us: {label: 'CPU per call', unit: '\u00B5s'},
    // A sweep's facts besides the verdict's (SweepPoint.facts).
    errors_at: {label: 'error onset', unit: null},
    rss_mb: {label: 'peak RSS', unit: 'MB'},
  };

  function hasVerdict(verdict) {
    return verdict !== null && (arr(verdict.sentences).length > 0 || str(verdict.text) !== '');
  }

  function factUnit(model, fact) {
    const known = FACT_NAMES[str(fact.name)];
    if (!known) return '';
    return known.unit === null ? str(fact.load_unit) || model.loadUnit : known.unit;
  }

  function factRow(model, fact) {
    const runs = num(fact.runs);
    const known = FACT_NAMES[str(fact.name)];
    const unit = factUnit(model, fact);
    const figure = (value) => fmtNumber(value, 1) + (unit && num(value) !== null ? ' ' + unit : '');
    const load = num(fact.load);
    const none = () => el('span', {class: 'muted'}, '\u2013');
    return el('tr', {}, [
      el('td', {class: 'text'}, str(fact.target)),
      el('td', {class: 'text'}, known ? known.label : el('span', {class: 'mono'}, str(fact.name))),
      el('td', {class: 'text'}, str(fact.detail) || none()),
      // runs 0: the figure was found in no run, so there is nothing to show.
      el('td', {}, runs === 0 ? none() : figure(fact.median)),
      el('td', {}, runs !== null && runs > 1 ? fmtNumber(fact.min, 1) + ' \u2013 ' + figure(fact.max) : none()),
      el('td', {}, runs === null ? '\u2013' : fmtNumber(runs, 0)),
      el('td', {}, load === null ? none() :
        fmtNumber(load, str(fact.load_unit) === 'calls/s' ? 2 : 0) + ' ' + (str(fact.load_unit) || model.loadUnit)),
    ]);
  }

  function verdictFacts(model, facts) {
    const head = el('tr', {}, ['target', 'figure', 'detail', 'median', 'range (min \u2013 max)', 'runs', 'at load']
        .map((h, i) => el('th', {class: i < 3 ? 'text' : null, scope: 'col'}, h)));
    return el('div', {class: 'scroll'}, el('table', {class: 'steps verdict-facts'},
        el('thead', {}, head), el('tbody', {}, facts.map((f) => factRow(model, f)))));
  }

  // The page's first section: what ran, then the answer in words and the figures it rests on.
  function verdictSection(model) {
    const section = el('section', {id: 'verdict'}, el('h2', {}, 'Verdict'));
    const description = str(model.config.description);
    if (description) append(section, el('p', {class: 'description'}, el('strong', {}, 'What ran: '), description));
    const verdict = model.verdict;
    if (!hasVerdict(verdict)) {
      const n = model.targets.length;
      if (model.sweep && !n) {
        append(section, el('p', {class: 'muted no-verdict'}, 'No verdict: this sweep records none.'));
        return [section];
      }
      append(section, el('p', {class: 'muted no-verdict'}, 'No verdict: a verdict compares exactly two targets' +
          (n === 2 ? ', and this results.json records none (it may predate verdicts).' :
            ', and this run has ' + n + (n === 1 ? ' target.' : ' targets.'))));
      return [section];
    }
    if (str(verdict.basis)) append(section, el('p', {class: 'muted'}, 'Basis: ' + str(verdict.basis)));
    const sentences = arr(verdict.sentences).map(str).filter((s) => s !== '');
    append(section, el('p', {class: 'verdict-text'}, sentences.length ? sentences.join(' ') : str(verdict.text)));
    const facts = arr(verdict.facts).map(obj);
    if (facts.length) append(section, [el('h3', {}, 'The figures it rests on'), verdictFacts(model, facts)]);
    const rules = arr(verdict.rules).map(str);
    if (rules.length) {
      append(section, el('details', {class: 'verdict-rules'}, el('summary', {},
          'How the verdict is decided (' + rules.length + (rules.length === 1 ? ' rule)' : ' rules)')),
          el('ol', {class: 'rules'}, rules.map((r) => el('li', {}, r)))));
    }
    return [section];
  }

  // ---- Sweep (Results.sweep: one knob over several values, each value a two-target run of its own) -----

  // The figures of SweepPoint.facts: the table's columns, and a chart for each with `chart`. A cpu_per_call_us
  // fact is found by its process (VerdictFact.detail), where 'server' is the target's own name. unit null: a
  // load, in Sweep.load_unit.
  const SWEEP_FIGURES = [
    {name: 'capacity', label: 'capacity under the SLO', unit: null, chart: 'Capacity under the SLO'},
    {name: 'peak_goodput', label: 'peak throughput', unit: 'calls/s', chart: 'Peak throughput of successful calls'},
    {name: 'errors_at', label: 'error onset', unit: null, chart: 'Error onset'},
    {name: 'cpu_per_call_us', process: 'server', label: 'server CPU/call', unit: '\u00B5s', chart: 'Server CPU per call'},
    {name: 'cpu_per_call_us', process: 'db', label: 'PostgreSQL CPU/call', unit: '\u00B5s'},
    {name: 'cpu_per_call_us', process: 'loadgen', label: 'loadgen CPU/call', unit: '\u00B5s'},
    {name: 'rss_mb', label: 'server RSS', unit: 'MB', chart: 'Server memory (highest RSS)'},
  ];

  function buildSweep(raw) {
    const s = obj(raw);
    const crossover = obj(s.crossover);
    const points = arr(s.points).map(obj).map((p) => ({
      value: str(p.value),
      directory: str(p.directory),
      facts: arr(p.facts).map(obj),
      ratio: num(p.capacity_ratio),
      pays: p.pays === true,
      judgement: str(p.judgement),
      capacityStatus: arr(p.capacity_status).map(str).filter((st) => st !== ''),
    }));
    // Baseline first and challenger second, so they get the colours of an ordinary run's first and second
    // target; then any other target a fact names.
    const names = [str(s.baseline), str(s.challenger)];
    for (const p of points) names.push(...p.facts.map((f) => str(f.target)));
    return {
      name: str(s.name) || 'value',
      unit: str(s.unit),
      baseline: str(s.baseline),
      challenger: str(s.challenger),
      slo: str(s.slo),
      loadUnit: str(s.load_unit),
      points: points,
      targets: names.filter((n, i) => n !== '' && names.indexOf(n) === i).map((n, i) => ({name: n, color: colorOf(i)})),
      // The crossover's value (fromValue), and whether the challenger pays from it upwards or up to it (upTo).
      crossover: {found: crossover.found === true, fromValue: str(crossover.from_value) || str(crossover.up_to_value),
        upTo: str(crossover.from_value) === '' && str(crossover.up_to_value) !== '',
        statement: str(crossover.statement), rules: arr(crossover.rules).map(str)},
    };
  }

  function sweepLoadUnit(model) {
    return model.sweep.loadUnit || model.loadUnit;
  }
  function sweepUnit(model, figure) {
    return figure.unit === null ? sweepLoadUnit(model) : figure.unit;
  }
  function sweepAxisTitle(sw) {
    return sw.name + (sw.unit ? ' (' + sw.unit + ')' : '');
  }

  function sweepFact(point, figure, target) {
    const detail = figure.process === 'server' ? target : figure.process;
    return point.facts.find((f) => str(f.name) === figure.name && str(f.target) === target &&
        (detail === undefined || str(f.detail) === detail)) || null;
  }
  // runs 0: the figure was found in none of the value's runs.
  function factFound(fact) {
    return fact !== null && num(fact.runs) !== 0 && num(fact.median) !== null;
  }
  function fmtFigure(value) {
    const n = num(value);
    return fmtNumber(n, n !== null && Math.abs(n) >= 100 ? 0 : 1);
  }
  // "median (min–max)" over the value's runs, or the median alone where they agree.
  function rangeText(fact) {
    if (!factFound(fact)) return '\u2013';
    const min = num(fact.min);
    const max = num(fact.max);
    if (min === null || max === null || min === max) return fmtFigure(fact.median);
    return fmtFigure(fact.median) + ' (' + fmtFigure(min) + '\u2013' + fmtFigure(max) + ')';
  }

  // The loads the target's CPU figures were taken at (one load, unless the processes' facts differ).
  function cpuLoadText(point, target) {
    const loads = SWEEP_FIGURES.filter((f) => f.name === 'cpu_per_call_us').map((f) => sweepFact(point, f, target))
        .filter(factFound).map((f) => num(f.load)).filter((l) => l !== null);
    const distinct = loads.filter((l, i) => loads.indexOf(l) === i);
    return distinct.length ? distinct.map(fmtFigure).join(' / ') : '\u2013';
  }

  // The value's own report, relative to this page. Each path segment is escaped, so a directory's name cannot
  // become a URL of another kind (a scheme, a query).
  function reportLink(point) {
    if (!point.directory) return point.value;
    const href = point.directory.split('/').map(encodeURIComponent).join('/') + '/report.html';
    return el('a', {href: href, title: 'this value\'s own report'}, point.value);
  }

  function sweepHead(model) {
    const cells = ['value', 'target'];
    for (const f of SWEEP_FIGURES) {
      cells.push(f.label + ' (' + sweepUnit(model, f) + ')');
      if (f.process === 'loadgen') cells.push('CPU taken at (' + sweepLoadUnit(model) + ')');
    }
    cells.push('capacity ratio', 'judgement');
    return el('tr', {}, cells.map((h, i) => el('th', {class: i < 2 || i === cells.length - 1 ? 'text' : null, scope: 'col'}, h)));
  }

  // One row per target; the value, its capacity ratio and judgement span them.
  function sweepRows(model, point) {
    const sw = model.sweep;
    const targets = sw.targets.length ? sw.targets : [{name: '', color: colorOf(0)}];
    const span = targets.length;
    const crossing = sw.crossover.found && point.value === sw.crossover.fromValue;
    const status = point.capacityStatus.length ?
      'capacity search by run (' + (sw.baseline || 'the baseline') + '\'s first): ' + point.capacityStatus.join(', ') : null;
    return targets.map((t, i) => {
      const cells = [];
      if (i === 0) {
        cells.push(el('td', {class: 'text value', rowspan: span}, reportLink(point), crossing ?
          el('span', {class: 'crossover-mark', title: 'the crossover: ' + sw.challenger + (sw.crossover.upTo ? ' pays up to here' : ' pays from here on')}, ' \u25B6') : null));
      }
      cells.push(el('td', {class: 'text'}, t.name ? [swatch(t.color), t.name] : el('span', {class: 'muted'}, '\u2013')));
      for (const f of SWEEP_FIGURES) {
        cells.push(el('td', {}, rangeText(sweepFact(point, f, t.name))));
        if (f.process === 'loadgen') cells.push(el('td', {}, cpuLoadText(point, t.name)));
      }
      if (i === 0) {
        cells.push(el('td', {rowspan: span, title: status}, point.ratio === null ? '\u2013' : point.ratio.toFixed(2) + '\u00D7'),
            el('td', {class: 'text', rowspan: span}, point.judgement || el('span', {class: 'muted'}, '\u2013')));
      }
      const classes = [point.pays ? 'pays' : '', i === 0 ? 'first' : ''].join(' ').trim();
      return el('tr', {class: classes || null}, cells);
    });
  }

  function sweepTable(model) {
    return el('div', {class: 'scroll'}, el('table', {class: 'steps sweep-table'},
        el('thead', {}, sweepHead(model)), el('tbody', {}, model.sweep.points.flatMap((p) => sweepRows(model, p)))));
  }

  // Per target: the medians as a line over the values, and the runs' range (min to max) as a band behind it,
  // drawn as two datasets, the upper filled down to the lower. A value without the figure is a gap.
  function sweepDatasets(sw, figure) {
    const datasets = [];
    for (const t of sw.targets) {
      const facts = sw.points.map((p) => sweepFact(p, figure, t.name));
      if (!facts.some(factFound)) continue;
      const series = (key) => facts.map((f) => (factFound(f) ? num(f[key]) : null));
      const band = {borderColor: 'transparent', backgroundColor: translucent(t.color, 0.18), borderWidth: 0,
        pointRadius: 0, pointHoverRadius: 0, spanGaps: false, tension: 0, legendKind: 'band'};
      datasets.push(Object.assign({label: t.name + ' min', data: series('min'), fill: false}, band),
          Object.assign({label: t.name + ' max', data: series('max'), fill: '-1'}, band),
          {label: t.name, data: series('median'), facts: facts, borderColor: t.color, backgroundColor: t.color,
            borderWidth: 2.5, pointRadius: 4, pointHoverRadius: 6, spanGaps: false, tension: 0, legendKind: 'series'});
    }
    return datasets;
  }

  function sweepTooltip(sw, labels, unit) {
    return {
      mode: 'index',
      intersect: false,
      filter: (item) => item.dataset.legendKind !== 'band',
      callbacks: {
        title: (items) => (items.length ? sw.name + ' ' + labels[items[0].dataIndex] : ''),
        label: (ctx) => {
          const fact = ctx.dataset.facts[ctx.dataIndex];
          return ctx.dataset.label + ': ' + rangeText(fact) + (factFound(fact) ? ' ' + unit : '');
        },
      },
    };
  }

  // Against the values as categories, in their (ascending) order; the crossover's value is marked on the axis.
  function sweepChart(model, figure) {
    const sw = model.sweep;
    const datasets = sweepDatasets(sw, figure);
    if (!datasets.length) return null;
    const unit = sweepUnit(model, figure);
    const labels = sw.points.map((p) => p.value);
    const cross = sw.crossover.found ? labels.indexOf(sw.crossover.fromValue) : -1;
    const {panel, canvas} = chartPanel(figure.chart + ' vs ' + sw.name,
        'Median over each value\'s runs (line) and their range, min to max (shaded); a gap is a value where the figure ' +
        'was not found.' + (cross >= 0 ? ' Crossover at ' + labels[cross] + ' (\u25B6 on the axis): ' + sw.challenger +
        ' pays there and at every value ' + (sw.crossover.upTo ? 'below.' : 'above.') : ''));
    const crossing = (ctx) => ctx.index === cross;
    return {panel: panel, draw: () => lineChart(canvas, datasets, {
      interaction: {mode: 'index', intersect: false},
      scales: {
        x: {type: 'category', title: {display: true, text: sweepAxisTitle(sw)}, ticks: {
          callback: (value, index) => (index === cross ? '\u25B6 ' : '') + labels[index],
          color: (ctx) => (crossing(ctx) ? '#1a7f37' : '#5b6670'),
          font: (ctx) => ({weight: crossing(ctx) ? 'bold' : 'normal'}),
        }},
        y: {beginAtZero: true, title: {display: true, text: figure.label + ', ' + unit}},
      },
      plugins: {legend: legendOptions(), tooltip: sweepTooltip(sw, labels, unit)},
    }, labels)};
  }

  function sweepIntro(model) {
    const sw = model.sweep;
    const who = sw.baseline && sw.challenger ? sw.challenger + ' (the challenger) against ' + sw.baseline + ' (the baseline)' : 'The targets';
    return who + ' at each value of ' + sw.name + ', each value a run of its own' +
        (sw.slo ? '; capacity searched under the SLO ' + sw.slo : '') + '. Each figure is the median over that value\'s ' +
        'runs, with their range (min\u2013max) where they differ; highlighted rows are values where the challenger pays. ' +
        'There is nothing per target on this page: each value\'s own report (its link) holds its steps, charts and server metrics.';
  }

  // Right after the verdict: the crossover, then every value's figures as a table and against the value.
  function sweepSection(model) {
    const sw = model.sweep;
    if (!sw) return {nodes: [], panels: []};
    const c = sw.crossover;
    const section = el('section', {id: 'sweep'}, el('h2', {}, 'Sweep: ' + sw.name),
        el('p', {class: 'crossover' + (c.found ? ' found' : '')}, c.statement ||
          (c.found ? 'Crossover at ' + c.fromValue + '.' : 'No crossover was found.')));
    if (c.rules.length) {
      append(section, el('details', {class: 'crossover-rules'}, el('summary', {},
          'How the crossover is decided (' + c.rules.length + (c.rules.length === 1 ? ' rule)' : ' rules)')),
          el('ol', {class: 'rules'}, c.rules.map((r) => el('li', {}, r)))));
    }
    append(section, el('p', {class: 'muted'}, sweepIntro(model)));
    if (!sw.points.length) {
      append(section, el('p', {class: 'note'}, 'This sweep records no values.'));
      return {nodes: [section], panels: []};
    }
    append(section, [el('h3', {}, 'By value'), sweepTable(model)]);
    if (typeof Chart === 'undefined') {
      append(section, el('p', {class: 'fatal'}, 'The charting library did not load, so the sweep\'s charts are missing; the table above is complete.'));
      return {nodes: [section], panels: []};
    }
    const panels = SWEEP_FIGURES.filter((f) => f.chart).map((f) => sweepChart(model, f)).filter((p) => p !== null);
    if (panels.length) append(section, [el('h3', {}, 'Against ' + sw.name), el('div', {class: 'charts'}, panels.map((p) => p.panel))]);
    return {nodes: [section], panels: panels};
  }

  function configSection(model) {
    const c = model.config;
    const unit = model.loadUnit;
    const rampStart = num(c.ramp_start);
    const rampEnd = num(c.ramp_end);
    const rampStep = num(c.ramp_step);
    let ramp = null;
    if (rampStart || rampEnd) {
      ramp = fmtNumber(rampStart) + ' \u2192 ' + fmtNumber(rampEnd) + ' ' + unit;
      if (rampStep) ramp += ', step ' + fmtNumber(rampStep);
    }
    let duration = null;
    if (num(c.step_duration_s)) {
      duration = fmtSeconds(c.step_duration_s);
      if (num(c.warmup_s)) duration += ' (first ' + fmtSeconds(c.warmup_s) + ' warm-up, not measured)';
    }
    const configured = arr(c.targets).map(obj);
    const targetRows = (configured.length ? configured : model.targets).map((t) =>
      el('div', {}, el('span', {class: 'mono'}, str(t.name)), str(t.address) ? ' \u2192 ' : '', el('span', {class: 'mono'}, str(t.address))));
    const thinkTime = num(c.think_time_s);
    const deadline = num(c.deadline_s);
    const rows = [
      ['Mode', model.open ? 'open loop \u2014 requests arrive at a fixed rate, whatever the latency' :
                            'closed loop \u2014 each virtual user waits for its answer before the next call'],
      ['Ramp', ramp],
      ['Step duration', duration],
      ['Spawn rate', num(c.spawn_rate) ? fmtNumber(c.spawn_rate) + ' users/s' : null],
      ['Scenario', str(c.scenario) || null],
      ['Think time', thinkTime !== null ? (thinkTime ? fmtSeconds(thinkTime) : 'none') : null],
      ['Deadline', deadline !== null ? (deadline ? fmtSeconds(deadline) : 'none') : null],
      ['Channels', num(c.channels) ? fmtNumber(c.channels, 0) : null],
      ['Seed', str(c.seed) && str(c.seed) !== '0' ? el('span', {class: 'mono'}, str(c.seed)) : null],
      ['Slowdown rule', num(c.slowdown_factor) ? 'p95 > ' + fmtNumber(c.slowdown_factor) + '\u00D7 baseline p95' : null],
      ['Error threshold', num(c.error_threshold) ? fmtPercent(c.error_threshold) + ' of calls failed' : null],
      ['Stop on errors', num(c.stop_on_errors) ? fmtNumber(c.stop_on_errors, 0) : null],
      ['Targets', targetRows.length ? targetRows : null],
      ['Distributed', distributedText(c)],
      ['Start at', str(c.start_at) || null],
      ['Server metrics', arr(c.metrics_urls).map(obj).map((m) =>
        el('div', {}, el('span', {class: 'mono'}, str(m.target)), ' \u2190 ', el('span', {class: 'mono'}, str(m.url))))],
    ];
    if (!rows[rows.length - 1][1].length) rows.pop();
    const config = el('div', {class: 'card'}, el('h3', {}, 'Run configuration'), facts(rows));
    if (str(c.command)) append(config, [el('p', {class: 'muted'}, 'Command'), el('pre', {}, str(c.command))]);

    const env = model.environment;
    const environment = el('div', {class: 'card'}, el('h3', {}, 'Environment'), facts([
      ['Host', str(env.hostname) || null],
      ['CPUs', num(env.cpus) ? fmtNumber(env.cpus, 0) : null],
      ['Kernel', str(env.kernel) || null],
      ['Started at', str(env.started_at) || null],
      ['loadgen version', str(env.loadgen_version) || null],
    ]));
    if (!Object.keys(env).length) append(environment, el('p', {class: 'muted'}, 'Not recorded.'));
    const cards = el('div', {class: 'cards'}, config, environment);
    if (model.shards.length) {
      const shards = el('div', {class: 'card'}, el('h3', {}, 'Shards merged'), facts(model.shards.map((sh) => {
        const e = obj(sh.environment);
        return ['shard ' + fmtNumber(sh.shard_index || 0, 0), [
          el('span', {class: 'mono'}, str(e.hostname) || '?'),
          num(e.cpus) ? ' (' + fmtNumber(e.cpus, 0) + ' CPUs)' : '',
          str(e.started_at) ? ', started ' + str(e.started_at) : '',
          str(sh.source) ? el('div', {class: 'muted'}, 'from ', el('span', {class: 'mono'}, str(sh.source))) : null,
        ]];
      })));
      append(cards, shards);
    }
    return [el('h2', {}, 'Run'), cards];
  }

  function distributedText(c) {
    const count = num(c.shard_count) || 1;
    if (c.merged === true) {
      return 'merged from ' + fmtNumber(count, 0) + ' shards (loadgen merge): histograms merged bucket by bucket, percentiles recomputed, counts and rates summed';
    }
    if (count > 1) {
      return 'shard ' + fmtNumber(num(c.shard_index) || 0, 0) + ' of ' + fmtNumber(count, 0) +
          ' \u2014 this file holds this shard\'s share of the load only; merge all shards with loadgen merge';
    }
    return null;
  }

  function detectedText(model, target, marker) {
    const d = target.detected[marker.field];
    const at = num(target.summary[marker.at]);
    if (!d && at === null) {
      if (!target.steps.length) return el('span', {class: 'muted'}, '\u2013 (no steps)');
      if (!target.hasSummary) return el('span', {class: 'muted'}, '\u2013 (not recorded)');
      return el('span', {class: 'good'}, 'not reached');
    }
    const load = at !== null ? at : d && d.step ? d.step.load : null;
    const parts = [el('span', {class: 'marker', style: {color: target.color}}, marker.glyph), ' ', loadText(model, load)];
    if (d) parts.push(el('span', {class: 'muted'}, ' (step ' + fmtNumber(d.stepIndex, 0) + ')'));
    return parts;
  }

  function summarySection(model) {
    const out = [el('h2', {}, 'Summary')];
    if (!model.targets.length) {
      out.push(el('p', {class: 'note'}, 'This run recorded no targets.'));
    } else {
      const table = el('table', {class: 'summary'});
      append(table, el('thead', {}, el('tr', {}, el('th', {}, ''),
          model.targets.map((t) => el('th', {class: 'text', scope: 'col'}, swatch(t.color), t.name)))));
      const body = el('tbody');
      const row = (name, cell) => append(body, el('tr', {}, el('th', {scope: 'row'}, name), model.targets.map((t) => el('td', {}, cell(t)))));
      row('Address', (t) => el('span', {class: 'mono'}, t.address || '\u2013'));
      for (const marker of MARKERS) {
        const name = marker.label.charAt(0).toUpperCase() + marker.label.slice(1) + ' (load)';
        row(name, (t) => detectedText(model, t, marker));
      }
      const measured = (t, value, text) => (t.steps.length && num(value) !== null ? text : el('span', {class: 'muted'}, '\u2013'));
      row('Max throughput', (t) => measured(t, t.summary.max_rps, fmtNumber(t.summary.max_rps, 1) + ' rps'));
      row('Baseline p95', (t) => measured(t, t.summary.baseline_p95_ms, fmtMs(t.summary.baseline_p95_ms) + ' ms'));
      row('Steps', (t) => {
        const invalid = t.steps.filter((s) => !s.valid).length;
        return [String(t.steps.length), invalid ? el('span', {class: 'bad'}, ' (' + invalid + ' invalid)') : ''];
      });
      row('Note', (t) => (t.note ? t.note : el('span', {class: 'muted'}, '\u2013')));
      append(table, body);
      out.push(el('div', {class: 'scroll'}, table));
    }
    out.push(el('h3', {}, 'Detection rules'));
    if (model.rules.length) out.push(el('ol', {class: 'rules'}, model.rules.map((r) => el('li', {}, r))));
    else out.push(el('p', {class: 'muted'}, 'Not recorded.'));
    return out;
  }

  // ---- Capacity (--slo) and repeats (--repeat) ---------------------------------------------------------

  const SPREAD_POINTS = [
    ['capacity', 'Capacity under the SLO'],
    ['slowdown_at', 'Slowdown onset'],
    ['errors_at', 'Error onset'],
    ['saturation_at', 'Saturation'],
    ['max_rps', 'Max throughput (rps)'],
  ];

  function probeRows(model, target) {
    return arr(target.capacity.probes).map(obj).map((p) =>
      el('tr', {}, [
        el('td', {}, target.name),
        el('td', {}, loadText(model, model.open ? num(p.rate) : num(p.users))),
        el('td', {}, fmtMs(num(p.p99_ms)) + ' ms'),
        el('td', {}, fmtPercent(num(p.error_ratio))),
        el('td', {}, p.valid === false ? el('span', {class: 'bad'}, 'invalid: ' + str(p.invalid_reason))
          : p.slo_met === true ? el('span', {class: 'good'}, 'met') : el('span', {class: 'bad'}, 'missed: ' + str(p.slo_miss))),
      ]));
  }

  function capacityPart(model) {
    const out = [el('h3', {}, 'Capacity under the SLO ' + str(model.config.slo))];
    out.push(el('ul', {}, model.targets.map((t) => el('li', {}, [el('strong', {}, t.name), ': ',
      str(t.capacity.statement) || 'no search (the ramp ended early)']))));
    const rows = model.targets.flatMap((t) => probeRows(model, t));
    if (rows.length) {
      const head = el('tr', {}, ['target', 'probe load', 'p99', 'errors', 'SLO'].map((h) => el('th', {class: 'text'}, h)));
      out.push(el('div', {class: 'scroll'}, el('table', {class: 'steps'}, [el('thead', {}, head), el('tbody', {}, rows)])));
    }
    return out;
  }

  function spreadCell(point) {
    const p = obj(point);
    if (!num(p.detected)) return el('span', {class: 'muted'}, 'not detected');
    return fmtNumber(num(p.median), 1) + ' [' + fmtNumber(num(p.min), 1) + '\u2013' + fmtNumber(num(p.max), 1) + '] (' +
      fmtNumber(num(p.detected), 0) + ' runs)';
  }

  function repeatsPart(model) {
    const runs = Math.max(...model.targets.map((t) => t.repeats.length));
    const out = [el('h3', {}, 'Over ' + runs + ' repeats: median [min\u2013max]')];
    const table = el('table', {class: 'summary'});
    append(table, el('thead', {}, el('tr', {}, el('th', {}, ''), model.targets.map((t) => el('th', {class: 'text'}, t.name)))));
    const body = el('tbody');
    for (const [field, label] of SPREAD_POINTS) {
      if (field === 'capacity' && !str(model.config.slo)) continue;
      append(body, el('tr', {}, el('th', {scope: 'row'}, label),
        model.targets.map((t) => el('td', {}, spreadCell(obj(obj(t.summary).spread)[field])))));
    }
    append(table, body);
    out.push(el('div', {class: 'scroll'}, table));
    if (model.comparisons.length) {
      out.push(el('ul', {}, model.comparisons.map((c) => el('li', {class: str(c.verdict) === 'differ' ? '' : 'muted'}, str(c.text)))));
    }
    return out;
  }

  function searchSection(model) {
    const slo = str(model.config.slo) !== '';
    const repeated = model.targets.some((t) => t.repeats.length > 1);
    if (!slo && !repeated) return [];
    const section = el('section', {id: 'capacity'}, el('h2', {}, 'Capacity and repeats'));
    if (slo) append(section, capacityPart(model));
    if (repeated) append(section, repeatsPart(model));
    return [section];
  }

  // ---- Charts -----------------------------------------------------------------------------------------

  function chartPanel(title, caption) {
    const canvas = el('canvas');
    const panel = el('div', {class: 'chart'}, el('h3', {}, title), caption ? el('p', {class: 'caption'}, caption) : null,
        el('div', {class: 'chart-box'}, canvas));
    return {panel: panel, canvas: canvas};
  }

  // Series over steps: hollow points on invalid steps.
  function stepSeries(target, label, y, style) {
    const data = target.steps.map((s) => ({x: s.load, y: y(s), step: s}));
    return Object.assign({
      label: label,
      data: data,
      borderColor: target.color,
      backgroundColor: target.color,
      pointBackgroundColor: data.map((p) => (p.step.valid ? target.color : '#ffffff')),
      pointBorderColor: target.color,
      pointBorderWidth: data.map((p) => (p.step.valid ? 1 : 2)),
      pointRadius: data.map((p) => (p.step.valid ? 3 : 5)),
      pointHoverRadius: 6,
      tension: 0,
      spanGaps: true,
      legendKind: 'series',
    }, style);
  }

  // One dataset per marker kind (all targets), so each shape has one legend entry.
  function markerDatasets(model, y) {
    const out = [];
    for (const marker of MARKERS) {
      const data = [];
      const colors = [];
      for (const t of model.targets) {
        const d = t.detected[marker.field];
        if (!d || !d.step || d.step.load === null || y(d.step) === null) continue;
        data.push({x: d.step.load, y: y(d.step), step: d.step, target: t, marker: marker});
        colors.push(t.color);
      }
      if (!data.length) continue;
      out.push({
        label: marker.label,
        data: data,
        showLine: false,
        pointStyle: marker.style,
        pointRadius: marker.style === 'crossRot' ? 9 : 10,
        pointHoverRadius: 12,
        pointBackgroundColor: colors,
        pointBorderColor: marker.style === 'crossRot' ? colors : '#111111',
        pointBorderWidth: marker.style === 'crossRot' ? 3 : 1.5,
        borderColor: '#111111',
        backgroundColor: '#9aa3ab',
        legendKind: 'marker',
        order: -1,
      });
    }
    return out;
  }

  function invalidLegendDataset(model) {
    if (!model.targets.some((t) => t.steps.some((s) => !s.valid))) return [];
    return [{label: 'invalid step (hollow)', data: [], borderColor: '#5b6670', backgroundColor: '#ffffff', legendKind: 'invalid'}];
  }

  function legendOptions() {
    return {
      position: 'bottom',
      labels: {
        usePointStyle: true,
        pointStyleWidth: 26,
        boxHeight: 9,
        padding: 12,
        // Series first (in target order), then the marker shapes, then the hollow-point key.
        // A sweep's min-max band shades the chart behind its line and needs no entry of its own.
        filter: (item, data) => data.datasets[item.datasetIndex].legendKind !== 'band',
        sort: (a, b, data) => {
          const rank = (item) => ({series: 0, area: 0, marker: 1, invalid: 2})[data.datasets[item.datasetIndex].legendKind] || 0;
          return rank(a) - rank(b) || a.datasetIndex - b.datasetIndex;
        },
        generateLabels: function (chart) {
          const items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
          for (const item of items) {
            const ds = chart.data.datasets[item.datasetIndex];
            if (ds.legendKind === 'marker') {
              item.pointStyle = ds.pointStyle;
              item.fillStyle = '#9aa3ab';
              item.strokeStyle = '#111111';
              item.lineWidth = ds.pointStyle === 'crossRot' ? 2.5 : 1.5;
              item.lineDash = [];
            } else if (ds.legendKind === 'area') {
              item.pointStyle = 'rect';
              item.fillStyle = ds.backgroundColor;
              item.strokeStyle = ds.borderColor;
              item.lineWidth = 1.5;
              item.lineDash = [];
            } else if (ds.legendKind === 'invalid') {
              item.pointStyle = 'circle';
              item.fillStyle = '#ffffff';
              item.strokeStyle = '#5b6670';
              item.lineWidth = 2;
              item.lineDash = [];
            } else {
              item.pointStyle = 'line';
              item.strokeStyle = ds.borderColor;
              item.lineWidth = ds.borderWidth || 2;
              item.lineDash = ds.borderDash || [];
            }
          }
          return items;
        },
      },
    };
  }

  function tooltipOptions(model, xName, formatY) {
    return {
      mode: 'nearest',
      axis: 'x',
      intersect: false,
      callbacks: {
        title: (items) => (items.length ? xName(items[0].parsed.x) : ''),
        label: (ctx) => {
          const raw = ctx.raw || {};
          if (raw.marker) return raw.marker.label + ' (' + raw.target.name + '): ' + loadText(model, raw.x);
          return ctx.dataset.label + ': ' + formatY(ctx.parsed.y);
        },
        afterLabel: (ctx) => {
          const raw = ctx.raw || {};
          if (raw.step && !raw.step.valid && !raw.marker) return 'invalid step: ' + (raw.step.invalidReason || 'no reason recorded');
          return '';
        },
      },
    };
  }

  // Labels 1, 2, 5 × 10^n; every integer mantissa when the axis spans less than ~1.5 decades.
  function logTicks(value) {
    const narrow = this && this.max / this.min < 30;
    const exponent = Math.floor(Math.log10(value));
    const mantissa = Math.round(value / Math.pow(10, exponent));
    if (!(narrow ? mantissa <= 9 && mantissa !== 7 && mantissa !== 9 : [1, 2, 5].includes(mantissa)) || Math.abs(value - mantissa * Math.pow(10, exponent)) > 1e-9 * value) return '';
    return value >= 1 ? fmtNumber(value, 0) : String(Number(value.toPrecision(1)));
  }

  // labels: the categories of a category x axis (a sweep's values); without them x is linear.
  function lineChart(canvas, datasets, options, labels) {
    return new Chart(canvas, {
      type: 'line',
      data: labels ? {labels: labels, datasets: datasets} : {datasets: datasets},
      options: Object.assign({
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: {mode: 'nearest', axis: 'x', intersect: false},
        elements: {line: {borderWidth: 2}},
      }, options),
    });
  }

  function loadCharts(model) {
    const panels = [];
    const withSteps = model.targets.filter((t) => t.steps.length);
    const xScale = {type: 'linear', title: {display: true, text: model.loadAxis}, ticks: {precision: model.open ? undefined : 0}};
    const xName = (x) => loadText(model, x);

    // 1. Throughput and failures/s vs load.
    {
      const {panel, canvas} = chartPanel('Throughput vs load',
          'Calls answered per second (solid) and failed calls per second (dashed), per step. Detected points sit on the throughput curve.');
      const datasets = [];
      for (const t of withSteps) {
        datasets.push(stepSeries(t, t.name + ' rps', (s) => s.rps, {borderWidth: 2.5}));
        datasets.push(stepSeries(t, t.name + ' failures/s', (s) => s.failuresPerS, {borderWidth: 1.5, borderDash: [6, 4]}));
      }
      datasets.push(...markerDatasets(model, (s) => s.rps), ...invalidLegendDataset(model));
      panels.push({panel: panel, draw: () => lineChart(canvas, datasets, {
        scales: {x: xScale, y: {beginAtZero: true, title: {display: true, text: 'per second'}}},
        plugins: {legend: legendOptions(), tooltip: tooltipOptions(model, xName, (y) => fmtNumber(y, 1) + '/s')},
      })});
    }

    // 2. Latency percentiles vs load.
    {
      const hasUncorrected = model.open && withSteps.some((t) => t.steps.some((s) => positive(s.uncorrectedP99) !== null));
      const {panel, canvas} = chartPanel('Latency vs load',
          'p50 (dotted), p95 (dashed), p99 (solid), log scale. Detected points sit on the p95 curve.' +
          (hasUncorrected ? ' Open loop: latency counts from the intended send (corrected for coordinated omission); the thin dash-dot line is p99 from the actual send (uncorrected).' : ''));
      const datasets = [];
      for (const t of withSteps) {
        for (const p of PERCENTILES) {
          datasets.push(stepSeries(t, t.name + ' ' + p.label, (s) => positive(s.raw[p.key]), {borderWidth: p.width, borderDash: p.dash}));
        }
        if (hasUncorrected) {
          datasets.push(stepSeries(t, t.name + ' p99 uncorrected', (s) => positive(s.uncorrectedP99),
              {borderWidth: 1.2, borderDash: UNCORRECTED_DASH, pointRadius: 0, pointHoverRadius: 4}));
        }
      }
      datasets.push(...markerDatasets(model, (s) => positive(s.raw.p95_ms)), ...invalidLegendDataset(model));
      panels.push({panel: panel, draw: () => lineChart(canvas, datasets, {
        scales: {x: xScale, y: {type: 'logarithmic', title: {display: true, text: 'latency, ms (log scale)'}, ticks: {autoSkip: false, callback: logTicks}}},
        plugins: {legend: legendOptions(), tooltip: tooltipOptions(model, xName, (y) => fmtMs(y) + ' ms')},
      })});
    }
    return panels;
  }

  // ---- CPU per call (Step.cpu_per_call_us) ---------------------------------------------------------

  function cpuPerCall(step, key) {
    return num(step.cpuPerCall[key]);
  }
  function hasCpuPerCall(target) {
    return target.steps.some((s) => Object.keys(s.cpuPerCall).length > 0);
  }

  // A colour as colorOf returns it ('#rrggbb' or 'hsl(...)'), made translucent for a filled area.
  function translucent(color, alpha) {
    const hex = /^#([0-9a-f]{6})$/i.exec(color);
    if (hex) {
      const n = parseInt(hex[1], 16);
      return 'rgba(' + [(n >> 16) & 255, (n >> 8) & 255, n & 255, alpha].join(', ') + ')';
    }
    return color.replace(/^hsl\((.*)\)$/, 'hsla($1, ' + alpha + ')');
  }

  // The target's processes that some step has a figure for, bottom of the stack first.
  function cpuProcesses(target) {
    return PROCESSES.map((p) => (p.key === null ? {key: target.serverKey, label: target.name, color: target.color} : p))
        .filter((p, i, all) => all.findIndex((q) => q.key === p.key) === i)
        .filter((p) => target.steps.some((s) => cpuPerCall(s, p.key) !== null));
  }

  // One chart per target with CPU figures: each process's CPU per successful call, stacked.
  function cpuCharts(model) {
    const panels = [];
    const xScale = {type: 'linear', title: {display: true, text: model.loadAxis}, ticks: {precision: model.open ? undefined : 0}};
    const xName = (x) => loadText(model, x);
    for (const t of model.targets) {
      if (!hasCpuPerCall(t)) continue;
      const processes = cpuProcesses(t);
      if (!processes.length) continue;
      const {panel, canvas} = chartPanel('CPU per call vs load: ' + t.name,
          'CPU time (user + system) each process spent over the step\'s measured window, divided by the calls that ' +
          'succeeded, stacked: ' + processes.map((p) => (p.key === t.serverKey ? p.label + ' (the server)' : p.label)).join(', ') +
          '. A layer that grows with the load is work per call that does not scale.');
      const datasets = processes.map((p, i) => stepSeries({steps: t.steps, color: p.color}, p.label, (s) => cpuPerCall(s, p.key), {
        backgroundColor: translucent(p.color, 0.35),
        fill: i === 0 ? 'origin' : '-1',
        borderWidth: 1.5,
        spanGaps: false,
        legendKind: 'area',
      }));
      datasets.push(...invalidLegendDataset({targets: [t]}));
      const tooltip = tooltipOptions(model, xName, (y) => fmtNumber(y, 1) + ' \u00B5s');
      tooltip.callbacks.footer = (items) => {
        const values = items.filter((it) => it.dataset.legendKind === 'area' && num(it.parsed.y) !== null).map((it) => it.parsed.y);
        return values.length > 1 ? 'total: ' + fmtNumber(values.reduce((a, b) => a + b, 0), 1) + ' \u00B5s' : '';
      };
      panels.push({panel: panel, draw: () => lineChart(canvas, datasets, {
        scales: {x: xScale, y: {stacked: true, beginAtZero: true, title: {display: true, text: 'CPU per successful call, \u00B5s (stacked)'}}},
        plugins: {legend: legendOptions(), tooltip: tooltip},
      })});
    }
    return panels;
  }

  function timeCharts(model) {
    const withTimeline = model.targets.filter((t) => t.timeline.length);
    if (!withTimeline.length) return [];
    const panels = [];
    const xScale = {type: 'linear', title: {display: true, text: 'time since the run started (s)'}};
    const xName = (x) => 't = ' + fmtNumber(x, 1) + ' s';
    const series = (t, label, key, style) => Object.assign({
      label: t.name + ' ' + label,
      data: t.timeline.map((p) => ({x: num(p.t_s), y: key === 'rps' || key === 'failures_per_s' ? num(p[key]) : positive(p[key]), point: p})),
      borderColor: t.color,
      backgroundColor: t.color,
      pointRadius: 0,
      pointHoverRadius: 4,
      tension: 0,
      spanGaps: false,
      legendKind: 'series',
    }, style);
    const stepLabel = (ctx) => {
      const p = (ctx.raw || {}).point;
      return p && num(p.step) !== null ? 'step ' + fmtNumber(p.step, 0) : '';
    };

    {
      const {panel, canvas} = chartPanel('Throughput over time', 'Calls answered per second (solid) and failed calls per second (dashed), as sampled during the run.');
      const datasets = [];
      for (const t of withTimeline) {
        datasets.push(series(t, 'rps', 'rps', {borderWidth: 2}));
        datasets.push(series(t, 'failures/s', 'failures_per_s', {borderWidth: 1.5, borderDash: [6, 4]}));
      }
      const tooltip = tooltipOptions(model, xName, (y) => fmtNumber(y, 1) + '/s');
      tooltip.callbacks.afterLabel = stepLabel;
      panels.push({panel: panel, draw: () => lineChart(canvas, datasets, {
        scales: {x: xScale, y: {beginAtZero: true, title: {display: true, text: 'per second'}}},
        plugins: {legend: legendOptions(), tooltip: tooltip},
      })});
    }
    {
      const {panel, canvas} = chartPanel('Latency over time', 'p50 (dotted), p95 (dashed), p99 (solid), log scale, as sampled during the run.');
      const datasets = [];
      for (const t of withTimeline) {
        for (const p of PERCENTILES) datasets.push(series(t, p.label, p.key, {borderWidth: p.width, borderDash: p.dash}));
      }
      const tooltip = tooltipOptions(model, xName, (y) => fmtMs(y) + ' ms');
      tooltip.callbacks.afterLabel = stepLabel;
      panels.push({panel: panel, draw: () => lineChart(canvas, datasets, {
        scales: {x: xScale, y: {type: 'logarithmic', title: {display: true, text: 'latency, ms (log scale)'}, ticks: {autoSkip: false, callback: logTicks}}},
        plugins: {legend: legendOptions(), tooltip: tooltip},
      })});
    }
    return panels;
  }

  function chartsSection(model) {
    const out = [el('h2', {}, 'Charts')];
    if (!model.targets.some((t) => t.steps.length)) {
      out.push(el('p', {class: 'note'}, 'No steps were recorded, so there is nothing to chart.' +
          (model.targets.some((t) => t.note) ? ' See the notes in the summary.' : '')));
      return {nodes: out, panels: []};
    }
    if (typeof Chart === 'undefined') {
      out.push(el('p', {class: 'fatal'}, 'The charting library did not load, so the charts are missing; the tables below are complete.'));
      return {nodes: out, panels: []};
    }
    const load = loadCharts(model);
    const time = timeCharts(model);
    out.push(el('h3', {}, 'By load'), el('div', {class: 'charts'}, load.map((p) => p.panel)));
    const legend = el('div', {class: 'legend-note'});
    append(legend, [
      'One colour per target: ',
      model.targets.map((t, i) => [i ? ', ' : '', swatch(t.color), t.name]),
      '. Markers: ',
      MARKERS.map((m, i) => [i ? ', ' : '', m.glyph + ' ' + m.label]),
      ' (see the detection rules above).',
    ]);
    const invalid = [];
    for (const t of model.targets) {
      for (const s of t.steps) {
        if (!s.valid) invalid.push(el('li', {}, t.name + ', ' + loadText(model, s.load) + ' (step ' + fmtNumber(s.index, 0) + '): ' + (s.invalidReason || 'no reason recorded')));
      }
    }
    if (invalid.length) {
      append(legend, [' Hollow points are invalid steps: loadgen itself, not the target, was the bottleneck there, so those numbers understate what the target can do.',
        el('ul', {}, invalid)]);
    }
    out.push(legend);
    const cpu = cpuCharts(model);
    if (cpu.length) out.push(el('h3', {}, 'CPU per call'), el('div', {class: 'charts'}, cpu.map((p) => p.panel)));
    const server = serverCharts(model);
    if (server.length) out.push(el('h3', {}, 'Server side (--metrics_url)'), el('div', {class: 'charts'}, server.map((p) => p.panel)));
    if (time.length) out.push(el('h3', {}, 'Over time'), el('div', {class: 'charts'}, time.map((p) => p.panel)));
    else out.push(el('p', {class: 'muted'}, 'No timeline was recorded, so there are no charts over time.'));
    return {nodes: out, panels: load.concat(cpu, server, time)};
  }

  // ---- Server metrics (--metrics_url) -----------------------------------------------------------------

  // The services' gauges shown as columns and charted; any other gauge is listed in the table.
  const GAUGES = [
    {key: 'asyncgrpc_db_connections{state="in_use"}', label: 'DB in use', dash: []},
    {key: 'asyncgrpc_db_connections{state="idle"}', label: 'DB idle', dash: null},
    {key: 'asyncgrpc_db_waiting', label: 'DB waiting', dash: [6, 4]},
    {key: 'asyncgrpc_db_in_flight', label: 'DB in flight', dash: [2, 3]},
    {key: 'asyncgrpc_threads', label: 'threads', dash: [10, 3, 2, 3]},
  ];
  const RSS = 'process_resident_memory_bytes';

  function hasServerMetrics(model) {
    return model.targets.some((t) => t.steps.some((s) => s.serverMetrics.length));
  }

  // The step's first complete reading (charts show one endpoint per target).
  function serverReading(step) {
    return step.serverMetrics.find((m) => !str(m.error)) || null;
  }
  function serverLatency(step, key) {
    const m = serverReading(step);
    return m ? positive(obj(m.latency)[key]) : null;
  }
  function serverGauge(step, key) {
    const m = serverReading(step);
    return m ? num(obj(m.gauges)[key]) : null;
  }

  function serverCharts(model) {
    if (!hasServerMetrics(model)) return [];
    const withMetrics = model.targets.filter((t) => t.steps.some((s) => serverReading(s)));
    const xScale = {type: 'linear', title: {display: true, text: model.loadAxis}, ticks: {precision: model.open ? undefined : 0}};
    const xName = (x) => loadText(model, x);
    const panels = [];
    {
      const {panel, canvas} = chartPanel('Client vs server latency',
          'p50 (dotted) and p99 (solid) per step, log scale: as loadgen measured them (round points) and as the server ' +
          'counted them in its own histogram (square points, thinner; interpolated within its buckets). The gap is what ' +
          'happens outside the handler: queueing in gRPC, the network, the client.');
      const datasets = [];
      for (const t of withMetrics) {
        for (const p of [PERCENTILES[0], PERCENTILES[2]]) {
          datasets.push(stepSeries(t, t.name + ' client ' + p.label, (s) => positive(s.raw[p.key]), {borderWidth: p.width, borderDash: p.dash}));
          datasets.push(stepSeries(t, t.name + ' server ' + p.label, (s) => serverLatency(s, p.key),
              {borderWidth: 1.2, borderDash: p.dash, pointStyle: 'rect', pointRadius: 4}));
        }
      }
      panels.push({panel: panel, draw: () => lineChart(canvas, datasets, {
        scales: {x: xScale, y: {type: 'logarithmic', title: {display: true, text: 'latency, ms (log scale)'}, ticks: {autoSkip: false, callback: logTicks}}},
        plugins: {legend: legendOptions(), tooltip: tooltipOptions(model, xName, (y) => fmtMs(y) + ' ms')},
      })});
    }
    {
      const {panel, canvas} = chartPanel('Server saturation',
          'At the end of each step, as the server reported: database connections in use, calls waiting for one, queries in ' +
          'flight, and the process\'s threads.');
      const datasets = [];
      for (const t of withMetrics) {
        for (const g of GAUGES) {
          if (g.dash === null || !t.steps.some((s) => serverGauge(s, g.key) !== null)) continue;
          datasets.push(stepSeries(t, t.name + ' ' + g.label, (s) => serverGauge(s, g.key), {borderWidth: 1.8, borderDash: g.dash}));
        }
      }
      if (datasets.length) {
        panels.push({panel: panel, draw: () => lineChart(canvas, datasets, {
          scales: {x: xScale, y: {beginAtZero: true, title: {display: true, text: 'count'}}},
          plugins: {legend: legendOptions(), tooltip: tooltipOptions(model, xName, (y) => fmtNumber(y, 1))},
        })});
      }
    }
    return panels;
  }

  function codesCell(counts) {
    const entries = Object.entries(obj(counts)).map(([code, n]) => [code, num(n) || 0]).filter(([, n]) => n > 0);
    if (!entries.length) return el('span', {class: 'muted'}, '\u2013');
    entries.sort((a, b) => b[1] - a[1]);
    return entries.map(([code, n], i) => [i ? el('br') : null, el('span', {class: 'mono'}, code), ' ' + fmtNumber(n, 0)]);
  }

  function serverSection(model) {
    if (!hasServerMetrics(model)) return [];
    const out = [el('h2', {}, 'Server metrics'), el('p', {class: 'muted'},
        'Scraped from each target\'s Prometheus endpoint (--metrics_url) when a step\'s measured window began and when it ended: ' +
        'calls and latency are the server\'s own counts over that window (its percentiles interpolated within its histogram ' +
        'buckets, so only as fine as their bounds), gauges are their values at the window\'s end. In a merged run these are ' +
        'one shard\'s reading (every shard sees the same server), never a sum.')];
    for (const t of model.targets) {
      const rows = [];
      for (const s of t.steps) for (const m of s.serverMetrics) rows.push({step: s, m: m});
      if (!rows.length) continue;
      out.push(el('h3', {}, swatch(t.color), t.name));
      const endpoints = new Set(rows.map((r) => str(r.m.url)));
      const multi = endpoints.size > 1;
      if (!multi) out.push(el('p', {class: 'muted mono'}, Array.from(endpoints)[0]));
      const head = ['step', model.open ? 'rate (calls/s)' : 'users'];
      if (multi) head.push('endpoint');
      head.push('client rps', 'server rps', 'client p50', 'server p50', 'client p99', 'server p99', 'server mean', 'server calls by code');
      for (const g of GAUGES) head.push(g.label);
      head.push('server CPU', 'RSS (MiB)', 'other gauges');
      const table = el('table', {class: 'steps'}, el('thead', {}, el('tr', {}, head.map((h) =>
        el('th', {class: h === 'server calls by code' || h === 'other gauges' || h === 'endpoint' ? 'text' : null}, h)))));
      const body = el('tbody');
      for (const {step, m} of rows) {
        const latency = obj(m.latency);
        const gauges = obj(m.gauges);
        const failed = str(m.error);
        const cells = [el('td', {}, fmtNumber(step.index, 0)), el('td', {}, fmtNumber(step.load, model.open ? 2 : 0))];
        if (multi) cells.push(el('td', {class: 'text mono'}, str(m.url)));
        cells.push(
            el('td', {}, fmtNumber(step.rps, 1)),
            el('td', {}, failed ? '\u2013' : fmtNumber(m.rps, 1)),
            el('td', {}, fmtMs(step.raw.p50_ms)),
            el('td', {}, latency.p50_ms === undefined ? '\u2013' : fmtMs(latency.p50_ms)),
            el('td', {}, fmtMs(step.raw.p99_ms)),
            el('td', {}, latency.p99_ms === undefined ? '\u2013' : fmtMs(latency.p99_ms)),
            el('td', {}, latency.mean_ms === undefined ? '\u2013' : fmtMs(latency.mean_ms)),
            el('td', {class: 'text'}, codesCell(m.rpcs_by_code)));
        for (const g of GAUGES) cells.push(el('td', {}, fmtNumber(gauges[g.key], 1)));
        cells.push(
            el('td', {}, m.process_cpu_cores === undefined ? '\u2013' : fmtNumber(m.process_cpu_cores, 2)),
            el('td', {}, num(gauges[RSS]) === null ? '\u2013' : fmtNumber(num(gauges[RSS]) / 1048576, 1)));
        const known = new Set(GAUGES.map((g) => g.key).concat([RSS]));
        const others = Object.keys(gauges).filter((k) => !known.has(k)).sort();
        cells.push(el('td', {class: 'text'}, others.length ? el('details', {}, el('summary', {}, String(others.length)),
            others.map((k, i) => [i ? el('br') : null, el('span', {class: 'mono'}, k + ' ' + fmtNumber(gauges[k], 3))])) :
            el('span', {class: 'muted'}, '\u2013')));
        append(body, el('tr', {class: failed ? 'invalid' : null}, cells));
        if (failed) {
          append(body, el('tr', {class: 'invalid reason'}, el('td', {colspan: head.length},
              el('span', {class: 'bad'}, 'Scrape failed: '), failed)));
        }
      }
      append(table, body);
      out.push(el('div', {class: 'scroll'}, table));
    }
    return out;
  }

  // ---- Step tables ------------------------------------------------------------------------------------

  function errorsCell(step) {
    const entries = Object.entries(step.errors).map(([code, count]) => [code, num(count) || 0]).filter(([, n]) => n > 0);
    if (!entries.length) return el('span', {class: 'muted'}, '\u2013');
    entries.sort((a, b) => b[1] - a[1]);
    return entries.map(([code, n], i) => [i ? el('br') : null, el('span', {class: 'mono'}, code), ' ' + fmtNumber(n, 0)]);
  }

  function stepsSection(model) {
    const out = [el('h2', {}, 'Steps')];
    if (!model.targets.length) {
      out.push(el('p', {class: 'muted'}, 'No targets.'));
      return out;
    }
    const showUncorrected = model.open && model.targets.some((t) => t.steps.some((s) => s.uncorrectedP99 !== null && s.raw.uncorrected));
    const showAchieved = model.open;
    for (const t of model.targets) {
      out.push(el('h3', {}, swatch(t.color), t.name, t.address ? el('span', {class: 'muted mono'}, '  ' + t.address) : null));
      if (!t.steps.length) {
        out.push(el('p', {class: 'note'}, 'No steps recorded.' + (t.note ? ' ' + t.note : '')));
        continue;
      }
      const showServerCpu = t.steps.some((s) => cpuPerCall(s, t.serverKey) !== null);
      const head = ['step', model.open ? 'rate (calls/s)' : 'users'];
      if (showAchieved) head.push('achieved (calls/s)');
      head.push('requests', 'rps', 'p50', 'p95', 'p99');
      if (showUncorrected) head.push('p99 uncorr.');
      head.push('p99.9', 'max', 'errors by code', 'error ratio', 'valid', 'loadgen CPU');
      if (showServerCpu) head.push('server CPU/call (\u00B5s)');
      const table = el('table', {class: 'steps'}, el('thead', {}, el('tr', {}, head.map((h) => el('th', {class: h === 'errors by code' || h === 'valid' ? 'text' : null}, h)))));
      const body = el('tbody');
      for (const s of t.steps) {
        const cells = [
          el('td', {}, fmtNumber(s.index, 0), s.markers.map((m) => el('span', {class: 'marker', title: m.label, style: {color: t.color}}, m.glyph))),
          el('td', {}, fmtNumber(s.load, model.open ? 2 : 0)),
        ];
        if (showAchieved) cells.push(el('td', {}, fmtNumber(s.achievedRate, 1)));
        cells.push(el('td', {}, fmtNumber(s.requests, 0)), el('td', {}, fmtNumber(s.rps, 1)),
            el('td', {}, fmtMs(s.raw.p50_ms)), el('td', {}, fmtMs(s.raw.p95_ms)), el('td', {}, fmtMs(s.raw.p99_ms)));
        if (showUncorrected) cells.push(el('td', {}, fmtMs(s.uncorrectedP99)));
        cells.push(
            el('td', {}, fmtMs(s.raw.p999_ms)),
            el('td', {}, fmtMs(s.raw.max_ms)),
            el('td', {class: 'text'}, errorsCell(s)),
            el('td', {class: s.errorRatio ? 'bad' : null}, fmtPercent(s.errorRatio)),
            el('td', {class: 'text'}, s.valid ? el('span', {class: 'good'}, 'yes') : el('span', {class: 'bad'}, 'no \u2193')),
            el('td', {}, s.cpu === null ? '\u2013' : s.cpu.toFixed(2)));
        if (showServerCpu) cells.push(el('td', {}, fmtNumber(cpuPerCall(s, t.serverKey), 1)));
        append(body, el('tr', {class: [s.valid ? '' : 'invalid', s.markers.length ? 'detected' : ''].join(' ').trim() || null}, cells));
        if (!s.valid) {
          append(body, el('tr', {class: 'invalid reason'}, el('td', {colspan: head.length},
              el('span', {class: 'bad'}, 'Step ' + fmtNumber(s.index, 0) + ' is invalid: '), s.invalidReason || 'no reason recorded')));
        }
      }
      append(table, body);
      out.push(el('div', {class: 'scroll'}, table));
      if (t.note) out.push(el('p', {class: 'note'}, t.note));
    }
    out.push(el('p', {class: 'muted'}, 'Markers in the step column: ' + MARKERS.map((m) => m.glyph + ' ' + m.label).join(', ') +
        '. Latencies in ms, over the measured part of each step (after warm-up)' +
        (model.open ? ', from the intended send time (corrected); "uncorr." counts from the actual send' : '') +
        '. loadgen CPU: the cores loadgen itself used during the step.' +
        (model.targets.some((t) => t.steps.some((s) => cpuPerCall(s, t.serverKey) !== null)) ?
          ' Server CPU/call: microseconds of the server process\'s CPU per successful call.' : '')));
    return out;
  }

  // ---- Main -------------------------------------------------------------------------------------------

  // The sections about each target's run. A sweep has none of its own: each value's report holds them, linked
  // from the sweep's table.
  function targetSections(model) {
    if (model.sweep && !model.targets.length) return {nodes: [], panels: []};
    const charts = chartsSection(model);
    return {
      nodes: [summarySection(model), searchSection(model), charts.nodes, stepsSection(model), serverSection(model)],
      panels: charts.panels,
    };
  }

  function fail(root, message) {
    append(root, el('p', {class: 'fatal'}, message));
  }

  function main() {
    const root = document.getElementById('report');
    const source = document.getElementById('results');
    let results;
    try {
      results = JSON.parse(source ? source.textContent : 'null');
    } catch (e) {
      fail(root, 'The embedded results are not valid JSON: ' + e.message);
      return;
    }
    if (!results || typeof results !== 'object') {
      fail(root, 'The page holds no results.');
      return;
    }
    try {
      const model = buildModel(results);
      const sweep = sweepSection(model);
      const perTarget = targetSections(model);
      append(root, [header(model), verdictSection(model), sweep.nodes, configSection(model), perTarget.nodes]);
      // Charts are drawn once their canvases are in the document, so they get their size.
      for (const p of sweep.panels.concat(perTarget.panels)) {
        try {
          p.draw();
        } catch (e) {
          append(p.panel, el('p', {class: 'fatal'}, 'This chart failed: ' + e.message));
          console.error(e);
        }
      }
      document.title = pageTitle(model);
    } catch (e) {
      fail(root, 'The report failed to render: ' + e.message);
      console.error(e);
    }
  }

  main();
})();
