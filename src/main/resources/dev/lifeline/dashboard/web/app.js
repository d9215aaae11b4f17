// Lifeline dashboard. Plain JS, no build step, nothing fetched from elsewhere.
// Everything the server sends (log lines, prompts, reasons, paths) is attacker-controlled text:
// it only ever reaches the page through textContent and DOM properties, never innerHTML.
'use strict';

(() => {
  const LOG_KEEP = 1000; // log events held in the page
  const OUTPUTS = 24;
  const IMAGE = /\.(png|jpe?g|webp|gif|bmp|avif)$/i;
  const SHA = /^[0-9a-f]{64}$/;

  // ---- DOM helpers -------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);

  /** An element: attrs are DOM properties (text → textContent, class → className, on* → listeners). */
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k in e && typeof v !== 'string') e[k] = v;
      else e.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function fact(label, value, key) {
    return h('div', { dataset: { fact: key || label } }, h('dt', { text: label }), h('dd', { text: value }));
  }

  const present = (v) => v !== undefined && v !== null && v !== '';

  // ---- formatting --------------------------------------------------------------------------
  function duration(s) {
    if (!present(s) || s < 0 || !isFinite(s)) return '–';
    s = Math.floor(s);
    const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d) return `${d}d ${hh}h`;
    if (hh) return `${hh}h ${m}m`;
    if (m) return `${m}m ${sec}s`;
    return `${sec}s`;
  }
  function bytes(n) {
    if (!present(n) || n <= 0) return '–';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${u[i]}`;
  }
  function mib(n) { return !present(n) ? '–' : n === 0 ? '0 MiB' : bytes(n * 1048576); }
  function time(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  }
  function ago(iso) {
    const t = typeof iso === 'number' ? iso : Date.parse(iso);
    if (!isFinite(t)) return '–';
    return `${duration((Date.now() - t) / 1000)} ago`;
  }
  function label(key) { // camelCase field name → words
    return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[-_]/g, ' ').toLowerCase();
  }
  function plain(v) {
    if (!present(v)) return '–';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  // ---- talking to the daemon ---------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || `HTTP ${status}`);
      this.status = status;
      this.hint = (body && body.hint) || '';
    }
  }

  async function call(path, init) {
    let res;
    try {
      res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', ...init, headers: { Accept: 'application/json', ...(init && init.headers) } });
    } catch (e) {
      throw new ApiError(0, { error: 'the daemon does not answer', hint: 'is it running? lifeline status' });
    }
    if (res.status === 401) {
      setLink('down', 'not signed in: open the URL `lifeline dashboard --url` prints');
    }
    let body = null;
    const text = await res.text();
    if (text) {
      try { body = JSON.parse(text); } catch (e) { body = { error: text.slice(0, 200) }; }
    }
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }
  const get = (path) => call(path);
  const post = (path) => call(path, { method: 'POST', headers: { 'X-Lifeline': '1', 'Content-Type': 'application/json' }, body: '{}' });

  function toast(message, hint, isError) {
    const t = h('div', { class: 'toast' + (isError ? ' error' : ''), role: isError ? 'alert' : 'status' },
      h('div', { text: message }), hint ? h('div', { class: 'hint', text: hint }) : null);
    $('toasts').append(t);
    setTimeout(() => t.remove(), isError ? 12000 : 5000);
  }
  function fail(what, e) { toast(`${what}: ${e.message}`, e.hint, true); }

  function announce(text) {
    const a = $('announce');
    a.textContent = '';
    // a fresh text node so screen readers read it again even when it repeats
    requestAnimationFrame(() => { a.textContent = text; });
  }

  function setLink(state, text) {
    const l = $('link');
    document.body.dataset.link = state;
    if (l.dataset.state === state && l.textContent === text) return;
    l.dataset.state = state;
    l.textContent = text;
  }

  /** Runs fn at most once per `ms`; calls in between fold into one trailing run. */
  function coalesce(fn, ms) {
    let timer = null, again = false, running = false;
    const run = async () => {
      timer = null;
      if (running) { again = true; return; }
      running = true;
      try { await fn(); } finally {
        running = false;
        if (again) { again = false; schedule(); }
      }
    };
    const schedule = () => { if (!timer) timer = setTimeout(run, ms); };
    return schedule;
  }

  // ---- confirmation dialog -----------------------------------------------------------------
  function confirmAction(text, okLabel) {
    const d = $('confirm');
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel;
    d.returnValue = '';
    return new Promise((resolve) => {
      d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
      d.showModal();
      $('confirm-cancel').focus(); // a stray second Enter must not stop a loaded model
    });
  }

  // ---- services ----------------------------------------------------------------------------
  let services = [];
  const lastStates = new Map();
  let servicesAt = performance.now();
  const cpuSeen = new Map(); // name → the last CPU time reading {cpu, at, pid, share}

  async function refreshServices() {
    try {
      const list = await get('/api/services');
      services = Array.isArray(list) ? list : [];
      servicesAt = performance.now();
      const now = Date.now();
      for (const s of services) {
        if (!present(s.cpuSeconds)) continue;
        const before = cpuSeen.get(s.name);
        if (before && s.pid === before.pid && now - before.at >= 2000 && s.cpuSeconds >= before.cpu) {
          s.cpuShare = (100 * (s.cpuSeconds - before.cpu)) / ((now - before.at) / 1000);
        } else if (before && s.pid === before.pid) {
          s.cpuShare = before.share;
        }
        if (!before || s.pid !== before.pid || now - before.at >= 2000) cpuSeen.set(s.name, { cpu: s.cpuSeconds, at: now, pid: s.pid, share: s.cpuShare });
      }
      renderServices();
      fillLogChoice();
    } catch (e) {
      if (e.status !== 401) $('service-list').replaceChildren(h('p', { class: 'muted', text: `cannot read services: ${e.message}` }));
    }
  }
  const scheduleServices = coalesce(refreshServices, 40);

  function renderServices() {
    const box = $('service-list');
    if (!services.length) {
      box.replaceChildren(h('p', { class: 'muted', text: 'No services. Run `lifeline up` in a project folder.' }));
      return;
    }
    const changes = [];
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('#service-list article button')
      ? [document.activeElement.closest('article').dataset.service, document.activeElement.className] : null;
    box.replaceChildren(...services.map((s) => {
      const before = lastStates.get(s.name);
      if (before && before !== s.state) changes.push(`${s.name} is now ${s.state}${s.reason ? ': ' + s.reason : ''}`);
      lastStates.set(s.name, s.state);
      return serviceCard(s);
    }));
    if (changes.length) announce(changes.join('. '));
    if (focused) {
      const again = Array.from(box.querySelectorAll('article')).find((a) => a.dataset.service === focused[0]);
      const b = again && Array.from(again.querySelectorAll('button')).find((x) => x.className === focused[1]);
      if (b) b.focus();
    }
    // The progress line of a loading model has no event of its own: while a service starts, its
    // record is read again each second (state changes themselves arrive over /api/events).
    clearTimeout(progressTimer);
    if (services.some((s) => s.state === 'starting')) progressTimer = setTimeout(scheduleServices, 1000);
  }
  let progressTimer = null;

  /** A project by its folder's name (the full path is the tooltip). */
  function projectName(p) {
    const parts = String(p).split('/').filter(Boolean);
    if (parts.length > 1 && /^lifeline\.ya?ml$/.test(parts[parts.length - 1])) parts.pop();
    return parts.length ? parts[parts.length - 1] : String(p);
  }

  function serviceCard(s) {
    const running = s.state === 'starting' || s.state === 'ready' || s.state === 'unhealthy';
    const busy = s.state === 'stopping';
    const facts = h('dl', { class: 'facts' },
      fact('pid', s.pid > 0 ? s.pid : '–', 'pid'),
      h('div', { dataset: { fact: 'uptime' } }, h('dt', { text: 'uptime' }),
        h('dd', { class: 'uptime', dataset: { base: running ? s.uptimeSeconds : '' }, text: running ? duration(s.uptimeSeconds) : '–' })),
      fact('restarts', s.restarts ?? 0, 'restarts'),
      fact('last exit', present(s.lastExit) ? s.lastExit : '–', 'last-exit'),
      fact('ready in', s.readySeconds >= 0 ? `${Number(s.readySeconds).toFixed(1)} s` : '–', 'ready'),
      present(s.cpuPercent) ? fact('cpu', `${Number(s.cpuPercent).toFixed(1)} %`, 'cpu')
        : present(s.cpuSeconds) ? fact('cpu', `${present(s.cpuShare) ? s.cpuShare.toFixed(1) + ' % · ' : ''}${s.cpuSeconds < 60 ? Number(s.cpuSeconds).toFixed(1) + ' s' : duration(s.cpuSeconds)} total`, 'cpu') : null,
      fact('memory (tree)', bytes(s.rssBytes), 'rss'),
      fact('memory limit', s.memoryLimitBytes > 0 ? bytes(s.memoryLimitBytes) : 'none', 'limit'),
      present(s.gpuMemoryMiB) ? fact('gpu memory', mib(s.gpuMemoryMiB), 'gpu') : null,
      present(s.gpuFreeMiB) ? fact('gpu free', mib(s.gpuFreeMiB), 'gpu-free') : null,
      present(s.port) ? fact('port', s.port, 'port') : null);
    const act = (what) => () => serviceAction(s.name, what);
    return h('article', { class: 'card service', dataset: { service: s.name, state: s.state, pid: s.pid } },
      h('header', {},
        h('h3', { text: s.name }),
        h('span', { class: `badge state ${s.state}`, text: s.state }),
        s.project ? h('span', { class: 'project', title: s.project, text: projectName(s.project) }) : null),
      s.reason ? h('p', { class: 'reason', text: s.reason }) : null,
      s.state === 'starting' && s.progress ? h('p', { class: 'progress', text: s.progress }) : null,
      facts,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'start', disabled: running || busy, text: 'Start', onclick: act('start'), 'aria-label': `Start ${s.name}` }),
        h('button', { type: 'button', class: 'stop danger', disabled: !running && s.state !== 'backoff', text: 'Stop', onclick: act('stop'), 'aria-label': `Stop ${s.name}` }),
        h('button', { type: 'button', class: 'restart', disabled: busy, text: 'Restart', onclick: act('restart'), 'aria-label': `Restart ${s.name}` })));
  }

  async function serviceAction(name, what) {
    if (what !== 'start') {
      const ok = await confirmAction(
        what === 'stop' ? `Stop ${name}? Its whole process tree is ended; a loaded model must load again.`
          : `Restart ${name}? It stops and starts again; a loaded model must load again.`,
        what === 'stop' ? 'Stop' : 'Restart');
      if (!ok) return;
    }
    toast(`${what} ${name}…`);
    try {
      await post(`/api/services/${encodeURIComponent(name)}/${what}`);
      toast(`${name}: ${what} done`);
    } catch (e) {
      fail(`${what} ${name}`, e);
    }
    scheduleServices();
  }

  // the uptime counter runs in the page between events; the state itself only changes on events
  setInterval(() => {
    const add = (performance.now() - servicesAt) / 1000;
    for (const u of document.querySelectorAll('.uptime')) {
      if (u.dataset.base !== '') u.textContent = duration(Number(u.dataset.base) + add);
    }
  }, 1000);

  // ---- logs --------------------------------------------------------------------------------
  let logService = '';
  let logEvents = [];
  let logStream = null;
  let logRetry = null;
  let logBackoff = 500;
  const LEVELS = { info: 0, warn: 1, error: 2 };

  function fillLogChoice() {
    const sel = $('log-service');
    const names = services.map((s) => s.name);
    const have = Array.from(sel.options).map((o) => o.value);
    if (names.join('\n') !== have.join('\n')) {
      sel.replaceChildren(...names.map((n) => h('option', { value: n, text: n })));
      if (names.includes(logService)) sel.value = logService;
    }
    if ((!logService || !names.includes(logService)) && names.length) {
      selectLog(names[0]);
    }
  }

  /** The raw text of a log event: all lines of a traceback, else its one line. */
  function logText(e) {
    if (present(e.text)) return String(e.text);
    if (Array.isArray(e.lines) && e.lines.length) return e.lines.join('\n');
    return String(e.message || '');
  }

  function selectLog(name) {
    logService = name;
    $('log-service').value = name;
    logEvents = [];
    renderLog();
    followLog(name);
    refreshErrors();
  }

  /**
   * Opens the live tail first and holds what it sends until the last lines have been read, then
   * joins the two where they overlap: no line is lost or shown twice between history and stream.
   */
  function followLog(name) {
    if (logStream) logStream.close();
    logStream = null;
    clearTimeout(logRetry);
    const held = [];
    let holding = true;
    const es = new EventSource(`/api/services/${encodeURIComponent(name)}/logs/stream`, { withCredentials: true });
    logStream = es;
    const onLog = (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch (x) { return; }
      if (!e.time) e.time = new Date().toISOString(); // a live line without a timestamp of its own: now
      if (holding) { held.push(e); return; }
      logEvents.push(e);
      if (logEvents.length > LOG_KEEP) logEvents.splice(0, logEvents.length - LOG_KEEP);
      appendLog(e);
      if (e.level === 'error') scheduleErrors();
    };
    es.addEventListener('log', onLog);
    es.onmessage = onLog;
    es.onopen = () => { logBackoff = 500; };
    es.onerror = () => {
      es.close();
      if (logStream !== es) return;
      logStream = null;
      logRetry = setTimeout(() => { if (name === logService) followLog(name); }, logBackoff);
      logBackoff = Math.min(logBackoff * 2, 15000);
    };
    get(`/api/services/${encodeURIComponent(name)}/logs?n=200`).then((list) => {
      const history = Array.isArray(list) ? list : (list && list.events) || [];
      let k = Math.min(history.length, held.length);
      for (; k > 0; k--) {
        let same = true;
        for (let i = 0; i < k && same; i++) same = logText(history[history.length - k + i]) === logText(held[i]);
        if (same) break;
      }
      return history.concat(held.slice(k));
    }, (err) => [{ level: 'warn', message: `cannot read the log: ${err.message}`, hint: true }, ...held]).then((events) => {
      if (name !== logService || logStream !== es) return;
      holding = false;
      logEvents = events.slice(-LOG_KEEP);
      renderLog();
    });
  }

  function logMatches(e) {
    const min = $('log-level').value;
    if (min && (LEVELS[e.level] ?? 0) < LEVELS[min]) return false;
    const q = $('log-search').value.trim().toLowerCase();
    if (!q) return true;
    return (logText(e) + '\n' + (e.message || '')).toLowerCase().includes(q);
  }

  function logRow(e) {
    const level = e.level || 'info';
    const text = logText(e);
    let msg;
    if (e.traceback || text.includes('\n')) {
      const lines = text.split('\n');
      msg = h('details', { class: 'msg traceback' },
        h('summary', { text: e.message || lines[lines.length - 1] }),
        h('pre', { text }));
    } else {
      msg = h('span', { class: 'msg', text });
    }
    const problem = e.problem && e.problem.fix ? h('div', { class: 'fix', text: `${e.problem.title}: ${e.problem.fix}` }) : null;
    return h('div', { class: `line ${level}${e.hint ? ' hint' : ''}` },
      h('span', { class: 't', text: e.time ? time(e.time) : '' }),
      h('span', { class: 'lv', text: level }),
      problem ? h('div', { class: 'msg' }, msg, problem) : msg);
  }

  function renderLog() {
    const view = $('log-view');
    const rows = logEvents.filter(logMatches).map(logRow);
    view.replaceChildren(...(rows.length ? rows : [h('p', { class: 'muted', text: logService ? 'no lines yet' : 'no service' })]));
    if ($('log-follow').checked) view.scrollTop = view.scrollHeight;
  }

  function appendLog(e) {
    if (!logMatches(e)) return;
    const view = $('log-view');
    const stick = $('log-follow').checked;
    const empty = view.querySelector(':scope > p.muted');
    if (empty) empty.remove();
    view.append(logRow(e));
    while (view.childElementCount > LOG_KEEP) view.firstElementChild.remove();
    if (stick) view.scrollTop = view.scrollHeight;
  }

  // ---- errors per hour and known problems --------------------------------------------------
  async function refreshErrors() {
    const name = logService;
    if (!name) return;
    let r;
    try {
      r = await get(`/api/services/${encodeURIComponent(name)}/errors`);
    } catch (e) {
      $('error-chart').replaceChildren(h('p', { class: 'muted', text: `no error report: ${e.message}` }));
      $('problems').replaceChildren();
      return;
    }
    if (name !== logService) return;
    renderChart(perHour(r && r.perHour));
    renderProblems((r && r.problems) || []);
  }
  const scheduleErrors = coalesce(refreshErrors, 3000);

  /** [{hour: ms, errors}] from either [{hour, errors}] or {iso: count}. */
  function perHour(p) {
    if (!p) return [];
    const list = Array.isArray(p) ? p.map((x) => [x.hour, x.errors ?? x.count]) : Object.entries(p);
    return list.map(([hour, n]) => ({ hour: Date.parse(hour), errors: Number(n) || 0 })).filter((x) => isFinite(x.hour));
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function renderChart(hours) {
    const box = $('error-chart');
    const HOURS = 24, W = 240, H = 70, base = 56;
    const now = new Date();
    now.setMinutes(0, 0, 0);
    const start = now.getTime() - (HOURS - 1) * 3600000;
    const counts = new Array(HOURS).fill(0);
    let total = 0;
    for (const x of hours) {
      const i = Math.floor((x.hour - start) / 3600000);
      if (i >= 0 && i < HOURS) { counts[i] += x.errors; total += x.errors; }
    }
    const max = Math.max(1, ...counts);
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${total} error${total === 1 ? '' : 's'} in the last 24 hours` });
    s.append(svg('line', { class: 'axis', x1: 0, y1: base + 0.5, x2: W, y2: base + 0.5 }));
    const bw = W / HOURS;
    counts.forEach((c, i) => {
      if (!c) return;
      const bh = Math.max(2, Math.round((c / max) * (base - 10)));
      const r = svg('rect', { class: 'bar', x: (i * bw + 1).toFixed(1), y: base - bh, width: (bw - 2).toFixed(1), height: bh });
      r.append(svg('title', {}, `${new Date(start + i * 3600000).toLocaleString([], { hour: '2-digit', minute: '2-digit' })}: ${c} error${c === 1 ? '' : 's'}`));
      s.append(r);
    });
    s.append(svg('text', { x: 0, y: H - 2 }, '24 h ago'));
    s.append(svg('text', { x: W, y: H - 2, 'text-anchor': 'end' }, 'now'));
    s.append(svg('text', { x: W, y: 9, 'text-anchor': 'end' }, `max ${max}/h`));
    box.replaceChildren(s, h('p', { class: 'muted', text: `${total} in the last 24 h` }));
  }

  function renderProblems(problems) {
    const box = $('problems');
    if (!problems.length) {
      box.replaceChildren(h('p', { class: 'muted', text: 'none seen' }));
      return;
    }
    box.replaceChildren(...problems.map((p) => {
      const k = p.problem || p; // flat ({id, title, fix}) or nested ({problem: {…}})
      return h('div', { class: 'problem' + (p.current === false ? ' past' : ''), dataset: { problem: k.id || '' } },
        h('strong', { text: k.title || k.id }),
        h('span', { class: 'muted', text: ` ×${p.count ?? 1}${p.lastSeen ? ', last ' + ago(p.lastSeen) : ''}${p.current === false ? ' (earlier run)' : ''}` }),
        k.explanation ? h('p', { text: k.explanation }) : null,
        k.fix ? h('p', { class: 'fix', text: k.fix }) : null);
    }));
  }

  // ---- tunnels -----------------------------------------------------------------------------
  async function refreshTunnels() {
    let list;
    try {
      const r = await get('/api/tunnels');
      list = Array.isArray(r) ? r : (r && r.tunnels) || [];
    } catch (e) {
      list = [];
    }
    $('tunnels').hidden = !list.length;
    $('nav-tunnels').hidden = !list.length;
    $('tunnel-list').replaceChildren(...list.map(tunnelCard));
  }
  const scheduleTunnels = coalesce(refreshTunnels, 200);

  function tunnelCard(t) {
    const forwards = (t.forwards || []).map((f) => {
      const answers = f.remoteAnswers === true ? 'answers' : f.remoteAnswers === false ? 'does not answer' : 'not probed yet';
      return h('li', { dataset: { answers: String(f.remoteAnswers) } },
        h('code', { text: `${f.local} → ${f.remote}` }), ' ',
        h('span', { class: `badge ${f.remoteAnswers === true ? 'ok' : f.remoteAnswers === false ? 'fail' : ''}`, text: answers }));
    });
    return h('article', { class: 'card tunnel', dataset: { tunnel: t.name, state: t.state } },
      h('header', {}, h('h3', { text: t.name }), h('span', { class: `badge ${t.state}`, text: t.state })),
      t.lastError ? h('p', { class: 'reason', text: t.lastError }) : null,
      t.hint && !(t.lastError || '').includes(t.hint) ? h('p', { class: 'fix', text: t.hint }) : null,
      h('dl', { class: 'facts' },
        fact('rtt', present(t.rttMillis) ? `${t.rttMillis} ms` : '–'),
        fact('reconnects', t.reconnects ?? 0),
        fact('since', t.since ? ago(t.since) : '–'),
        fact('ssh pid', t.pid > 0 ? t.pid : '–')),
      forwards.length ? h('ul', { class: 'forwards' }, forwards) : null,
      t.command ? h('details', {}, h('summary', { text: 'ssh command' }), h('code', { text: t.command })) : null);
  }

  // ---- backups -----------------------------------------------------------------------------
  async function refreshBackup() {
    let list;
    try {
      const r = await get('/api/backup');
      list = Array.isArray(r) ? r : r && Array.isArray(r.backups) ? r.backups : r ? [r] : [];
    } catch (e) {
      $('backup-list').replaceChildren(h('p', { class: 'muted', text: `cannot read backups: ${e.message}` }));
      return;
    }
    if (!list.length) {
      $('backup-list').replaceChildren(h('p', { class: 'muted', text: 'No backup configured (a `backup:` section in lifeline.yaml).' }));
      return;
    }
    $('backup-list').replaceChildren(...list.map(backupCard));
  }
  const scheduleBackup = coalesce(refreshBackup, 1000);

  // the fields of Protocol.BackupView; any other field the daemon adds is shown too, by its name
  const BACKUP_KNOWN = new Set(['project', 'repository', 'unprotectedFiles', 'reason', 'lastSnapshotId', 'lastSnapshot', 'lastSnapshotAt',
    'lagSeconds', 'lastStoredAt', 'lastPushAt', 'pushFailures', 'retention', 'remote']);

  function backupCard(b) {
    const facts = [];
    const f = (lbl, v, key) => { if (present(v)) facts.push(fact(lbl, v, key)); };
    const snap = b.lastSnapshotId ?? b.lastSnapshot;
    f('last snapshot', snap ? String(snap) : 'lastSnapshotId' in b ? 'none yet' : null, 'snapshot');
    f('snapshot age', b.lastSnapshotAt ? ago(b.lastSnapshotAt) : null, 'snapshot-age');
    f('files waiting', b.unprotectedFiles, 'pending');
    f('lag', present(b.lagSeconds) ? `${Number(b.lagSeconds).toFixed(1)} s` : null, 'lag');
    f('last stored', b.lastStoredAt ? ago(b.lastStoredAt) : null, 'stored');
    if (b.remote || b.lastPushAt || b.pushFailures > 0) {
      f('mirror', b.remote || '–', 'remote');
      f('last push', b.lastPushAt ? ago(b.lastPushAt) : 'none yet', 'push');
      f('push failures', b.pushFailures ?? 0, 'push-failures');
    }
    f('retention', b.retention, 'retention');
    for (const [k, v] of Object.entries(b)) {
      if (!BACKUP_KNOWN.has(k) && present(v)) f(label(k), /(Time|At)$/.test(k) ? ago(v) : plain(v), k);
    }
    return h('article', { class: 'card backup' },
      h('header', {}, h('h3', { text: b.repository || 'repository' }),
        h('span', { class: `badge ${b.reason ? 'fail' : (b.unprotectedFiles > 0 ? 'warn' : 'ok')}`, text: b.reason ? 'failing' : (b.unprotectedFiles > 0 ? 'storing' : 'all stored') })),
      b.project ? h('p', { class: 'project', title: b.project, text: `project ${projectName(b.project)}` }) : null,
      b.reason ? h('p', { class: 'reason', text: b.reason }) : null,
      h('dl', { class: 'facts' }, facts));
  }

  async function backupAction(button, path, what) {
    button.disabled = true;
    try {
      const r = await post(path);
      toast(`${what}: ${summary(r)}`);
    } catch (e) {
      fail(what, e);
    } finally {
      button.disabled = false;
      scheduleBackup();
    }
  }
  function summary(r) {
    if (!r || typeof r !== 'object') return 'done';
    if (Array.isArray(r)) { // one entry per repository: {repository, ok, error?}
      return r.map((x) => `${x.repository || ''} ${x.ok === false ? 'FAILED' + (x.error ? ': ' + x.error : '') : x.ok ? 'ok' : ''}`.trim()).join('; ') || 'done';
    }
    if (r.requested && Array.isArray(r.repositories)) return `requested for ${r.repositories.join(', ')}`;
    const parts = [];
    for (const [k, v] of Object.entries(r)) {
      if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length < 80)) parts.push(`${label(k)} ${v}`);
      if (parts.length >= 4) break;
    }
    return parts.join(', ') || 'done';
  }

  // ---- doctor ------------------------------------------------------------------------------
  async function refreshDoctor() {
    const btn = $('doctor-refresh');
    btn.disabled = true;
    $('doctor-list').setAttribute('aria-busy', 'true');
    try {
      const r = await get('/api/doctor');
      const checks = Array.isArray(r) ? r : (r && r.checks) || [];
      const rank = { FAIL: 0, WARN: 1, OK: 2 };
      checks.sort((a, b) => (rank[up(a.status)] ?? 3) - (rank[up(b.status)] ?? 3));
      const table = (rows) => h('table', { class: 'checks' },
        h('thead', {}, h('tr', {}, h('th', { text: 'status' }), h('th', { text: 'check' }), h('th', { text: 'what to do' }))),
        h('tbody', {}, rows.map((c) => h('tr', { dataset: { check: c.check, status: up(c.status) } },
          h('td', {}, h('span', { class: `badge ${String(c.status).toLowerCase()}`, text: up(c.status) })),
          h('td', { class: 'check' }, c.check, c.service ? h('div', { class: 'muted', text: c.service }) : null),
          h('td', { text: c.message })))));
      const problems = checks.filter((c) => up(c.status) !== 'OK');
      const fine = checks.filter((c) => up(c.status) === 'OK');
      const counts = ['FAIL', 'WARN', 'OK'].map((st) => [st, checks.filter((c) => up(c.status) === st).length]).filter(([, n]) => n);
      $('doctor-list').replaceChildren(
        h('p', { class: 'summary' }, counts.map(([st, n]) => h('span', { class: `badge ${st.toLowerCase()}`, text: `${n} ${st}` })), ` at ${time(new Date().toISOString())}`),
        problems.length ? table(problems) : h('p', { text: 'Nothing to do.' }),
        fine.length ? h('details', {}, h('summary', { text: `${fine.length} checks OK` }), table(fine)) : null);
    } catch (e) {
      $('doctor-list').replaceChildren(h('p', { class: 'muted', text: `doctor did not run: ${e.message}` }));
    } finally {
      btn.disabled = false;
      $('doctor-list').removeAttribute('aria-busy');
    }
  }
  const up = (s) => String(s || '').toUpperCase();

  // ---- images: thumbnails with retry -------------------------------------------------------
  const thumbUrls = new Map(); // sha → object URL, kept while on the page

  /** An <img> slot that fetches the thumbnail; while the server is still making it: a placeholder, retried. */
  function thumb(sha, alt) {
    const box = h('div', { class: 'img', role: 'img', 'aria-label': `${alt} (thumbnail not ready)`, text: 'making thumbnail…' });
    if (!SHA.test(sha)) {
      box.textContent = 'no thumbnail';
      return box;
    }
    let attempt = 0;
    const show = (url) => {
      const img = h('img', { class: 'img', alt, src: url, decoding: 'async' }); // already fetched: nothing to defer
      box.replaceWith(img);
    };
    const load = async () => {
      if (thumbUrls.has(sha)) { show(thumbUrls.get(sha)); return; }
      let res;
      try {
        res = await fetch(`/api/objects/${sha}/thumb`, { credentials: 'same-origin' });
      } catch (e) {
        res = null;
      }
      if (res && res.ok) {
        const url = URL.createObjectURL(await res.blob());
        thumbUrls.set(sha, url);
        show(url);
        return;
      }
      attempt++;
      if (attempt > 20 || (res && res.status !== 404 && res.status !== 503)) {
        box.textContent = 'no thumbnail';
        return;
      }
      const after = res ? Number(res.headers.get('Retry-After')) : NaN;
      const wait = Math.min(10000, isFinite(after) && after > 0 ? after * 1000 : 250 * 2 ** Math.min(attempt, 5));
      setTimeout(() => { if (box.isConnected) load(); }, wait);
    };
    setTimeout(load, 0);
    return box;
  }

  // ---- recent outputs ----------------------------------------------------------------------
  let outputs = [];

  function baseName(p) { return String(p || '').split('/').pop(); }

  async function refreshOutputs() {
    try {
      const r = await get(`/api/outputs?limit=${OUTPUTS}`);
      outputs = Array.isArray(r) ? r : (r && r.outputs) || [];
      renderOutputs();
    } catch (e) {
      $('output-list').replaceChildren(h('p', { class: 'muted', text: `cannot read outputs: ${e.message}` }));
    }
  }

  function addOutput(o) {
    if (!o || !SHA.test(o.sha256 || '')) return;
    outputs = [o, ...outputs.filter((x) => !(x.sha256 === o.sha256 && x.path === o.path))].slice(0, OUTPUTS);
    renderOutputs();
  }

  const outputTiles = new Map(); // sha|path → tile, so a re-render does not refetch thumbnails
  function renderOutputs() {
    const box = $('output-list');
    if (!outputs.length) {
      box.replaceChildren(h('p', { class: 'muted', text: 'No outputs stored yet.' }));
      return;
    }
    const keep = new Map();
    const tiles = outputs.map((o) => {
      const key = `${o.sha256}|${o.path}`;
      const t = outputTiles.get(key) || outputTile(o);
      keep.set(key, t);
      return t;
    });
    outputTiles.clear();
    keep.forEach((v, k) => outputTiles.set(k, v));
    box.replaceChildren(...tiles);
  }

  function outputTile(o) {
    const name = baseName(o.path);
    const when = o.storedAt || (o.durableAtMillis ? new Date(o.durableAtMillis).toISOString() : null);
    return h('a', { class: 'tile output', href: `/api/objects/${o.sha256}`, target: '_blank', rel: 'noopener', title: o.path, dataset: { sha: o.sha256 } },
      IMAGE.test(name) ? thumb(o.sha256, name) : h('div', { class: 'img', text: 'file' }),
      h('span', { class: 'cap', text: name }),
      h('span', { class: 'cap', text: `${bytes(o.size)}${when ? ' · ' + time(when) : ''}` }));
  }

  // ---- gallery -----------------------------------------------------------------------------
  const PAGE = 48;
  /** The search on show: its query, how many hits are on the page, and how many there are in all. */
  const gallery = { q: '', shown: 0, total: 0, busy: false };
  const FACET_KEYS = { model: 'model', lora: 'lora', sampler: 'sampler', tool: 'tool', day: 'date' };

  /** The `find` filter a facet value stands for: `model:"x"` (quoted, `\` and `"` escaped), `date:2026-11-30`. */
  function facetFilter(field, value) {
    const key = FACET_KEYS[field] || field;
    if (key === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return `date:${value}`;
    return `${key}:"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }

  function addFacet(field, value) {
    const filter = facetFilter(field, value);
    const q = $('find-q').value.trim();
    if (!q.includes(filter)) $('find-q').value = q ? `${q} ${filter}` : filter;
    find($('find-q').value);
  }

  async function find(q) {
    const box = $('find-hits');
    box.replaceChildren(h('p', { class: 'muted', text: 'searching…' }));
    $('find-facets').replaceChildren();
    $('find-more').hidden = true;
    $('find-count').textContent = '';
    gallery.q = q;
    gallery.shown = 0;
    gallery.total = 0;
    let r;
    try {
      r = await get(`/api/find?q=${encodeURIComponent(q)}&limit=${PAGE}`);
    } catch (e) {
      box.replaceChildren(h('p', { class: 'muted', text: e.status === 404 ? 'catalog not available' : `search failed: ${e.message}` }),
        e.hint ? h('p', { class: 'muted', text: e.hint }) : '');
      return;
    }
    if (gallery.q !== q) return; // a newer search began meanwhile
    const hits = (r && r.hits) || [];
    const facets = (r && r.facets) || {};
    for (const [field, values] of Object.entries(facets)) {
      const entries = Array.isArray(values) ? values.map((v) => [v.value ?? v.name, v.count]) : Object.entries(values || {});
      for (const [v, n] of entries.slice(0, 8)) {
        const filter = facetFilter(field, v);
        $('find-facets').append(h('button', {
          type: 'button', class: 'badge facet', title: `add ${filter} to the search`,
          dataset: { facet: field, value: v }, text: `${field}: ${v}${present(n) ? ' (' + n + ')' : ''}`,
          onclick: () => addFacet(field, v),
        }));
      }
    }
    if (!hits.length) {
      box.replaceChildren(h('p', { class: 'muted', text: 'no images match' }));
      return;
    }
    box.replaceChildren(...hits.map(hitTile));
    gallery.shown = hits.length;
    gallery.total = Number(r.total) >= 0 ? Number(r.total) : hits.length;
    showMore();
  }

  /** The next page of the search on show, after the hits already shown. */
  async function findMore() {
    if (gallery.busy || gallery.shown >= gallery.total) return;
    const q = gallery.q;
    gallery.busy = true;
    const button = $('find-more');
    button.disabled = true;
    try {
      const r = await get(`/api/find?q=${encodeURIComponent(q)}&limit=${PAGE}&offset=${gallery.shown}`);
      if (gallery.q !== q) return;
      const hits = (r && r.hits) || [];
      const seen = new Set(Array.from($('find-hits').querySelectorAll('button.hit')).map((b) => b.dataset.sha));
      $('find-hits').append(...hits.filter((x) => !seen.has(x.sha256)).map(hitTile));
      gallery.shown += hits.length;
      if (!hits.length) gallery.total = gallery.shown; // the index changed under us: nothing further
    } catch (e) {
      fail('more results', e);
    } finally {
      gallery.busy = false;
      button.disabled = false;
      showMore();
    }
  }

  function showMore() {
    $('find-count').textContent = gallery.total ? `${gallery.shown} of ${gallery.total}` : '';
    $('find-more').hidden = gallery.shown >= gallery.total;
  }

  function meta(hit) { return hit.meta || hit.image || hit; }

  function hitTile(hit) {
    const m = meta(hit);
    const sha = hit.sha256 || m.sha256 || '';
    const name = baseName(hit.path || m.path) || sha.slice(0, 12);
    return h('button', { type: 'button', class: 'tile hit', dataset: { sha }, onclick: () => openDetail(hit) },
      thumb(sha, name),
      h('span', { class: 'prompt', text: m.prompt || '(no prompt)' }),
      h('span', { class: 'cap', text: [present(m.seed) ? `seed ${m.seed}` : '', m.model || ''].filter(Boolean).join(' · ') || name }));
  }

  function openDetail(hit) {
    const m = meta(hit);
    const sha = hit.sha256 || m.sha256 || '';
    const d = $('detail');
    $('detail-title').textContent = baseName(hit.path || m.path) || 'image';
    const img = $('detail-img');
    img.removeAttribute('src');
    img.alt = m.prompt || '';
    if (SHA.test(sha)) img.src = `/api/objects/${sha}`;
    const rows = [];
    const add = (k, v, key) => { if (present(v) && v !== '–') rows.push(fact(k, v, key || k)); };
    add('prompt', m.prompt);
    add('negative prompt', m.negative, 'negative');
    add('seed', m.seed);
    add('model', [m.model, m.modelHash ? `(${m.modelHash})` : ''].filter(Boolean).join(' ') || null, 'model');
    add('loras', Array.isArray(m.loras) && m.loras.length ? m.loras.map((l) => `${l.name}:${l.weight}`).join(', ') : null, 'loras');
    add('steps', m.steps);
    add('cfg', m.cfg);
    add('sampler', [m.sampler, m.scheduler].filter(Boolean).join(' / ') || null, 'sampler');
    add('size', m.width && m.height ? `${m.width} × ${m.height}` : null, 'size');
    add('made with', m.tool, 'tool');
    add('path', hit.path);
    if (hit.deleted) {
      add('deleted', 'yes: only older snapshots hold it');
      // a copy elsewhere, by the command; Restore (below) puts it back where it was
      if (SHA.test(sha)) add('restore a copy', `lifeline find 'sha: ${sha}' --restore-to ./restored`, 'restore');
    }
    add('first seen', hit.firstSeen ? new Date(hit.firstSeen).toLocaleString() : null, 'first-seen');
    add('snapshots', Array.isArray(hit.snapshots) && hit.snapshots.length ? hit.snapshots.join(', ') : null, 'snapshots');
    if (Array.isArray(hit.spans) && hit.spans.length > 1) add('earlier paths', hit.spans.map((x) => x.path).join(', '), 'spans');
    add('sha-256', sha, 'sha256');
    if (m.raw) rows.push(h('div', {}, h('dt', { text: 'raw' }), h('dd', {}, h('details', {}, h('summary', { text: 'as written in the file' }), h('pre', { text: plain(m.raw) })))));
    $('detail-meta').replaceChildren(...rows);
    const restore = $('detail-restore');
    const said = $('detail-restore-result');
    said.hidden = true;
    said.textContent = '';
    said.className = 'restore-result';
    restore.hidden = !(hit.deleted && SHA.test(sha));
    restore.disabled = false;
    restore.title = hit.path ? `put it back at ${hit.path}, if nothing is there now` : '';
    restore.onclick = async () => {
      restore.disabled = true;
      try {
        const r = await post(`/api/objects/${sha}/restore`);
        const where = r && r.path ? r.path : hit.path;
        said.textContent = r && r.alreadyThere ? `already there: ${where}` : `restored to ${where}`;
        said.dataset.path = where || '';
        toast(said.textContent, 'every byte checked against its SHA-256');
        restore.hidden = true;
      } catch (e) {
        said.textContent = e.hint ? `${e.message} → ${e.hint}` : e.message;
        said.className = 'restore-result error';
        fail('restore', e);
        restore.disabled = false;
      }
      said.hidden = false;
    };
    const dl = $('detail-download');
    dl.href = SHA.test(sha) ? `/api/objects/${sha}` : '#';
    dl.setAttribute('download', baseName(hit.path || m.path) || `${sha}.png`);
    $('detail-copy').onclick = async () => {
      try {
        await navigator.clipboard.writeText(m.prompt || '');
        toast('prompt copied');
      } catch (e) {
        toast('cannot copy here (the browser needs https or localhost); select the prompt above instead', '', true);
      }
    };
    d.showModal();
  }

  // ---- live events -------------------------------------------------------------------------
  const SERVICE_TYPES = ['adopted', 'crashed', 'failed', 'health-failed', 'healthy-again', 'killed', 'memory-restart', 'ready', 'ready-timeout',
    'recovered', 'restarting', 'stale-pid', 'start-failed', 'started', 'stopped', 'stopping', 'unhealthy', 'exited', 'backoff', 'up', 'down',
    'removed', 'progress'];
  const TUNNEL_TYPES = ['degraded', 'retrying', 'session', 'starting', 'tunnel-up', 'tunnel-down'];
  const BACKUP_TYPES = ['stored', 'snapshot', 'pushed', 'pruned', 'pruned-remote', 'backup', 'backup-pending', 'skipped', 'watch-error', 'upload-retry',
    'verify-problem', 'scanned', 'watching', 'repaired', 'reconciled', 'objects-vanished', 'snapshot-corrupt'];
  const ALL_TYPES = [...new Set([...SERVICE_TYPES, ...TUNNEL_TYPES, ...BACKUP_TYPES, 'message'])];

  let events = null;
  let eventsBackoff = 500;
  let eventsRetry = null;
  let everConnected = false;

  function onEvent(m) {
    let e;
    try { e = JSON.parse(m.data); } catch (x) { e = {}; }
    const type = e.type || m.type;
    const source = String(e.source || '');
    if (source.startsWith('service/') || SERVICE_TYPES.includes(type) && !source.startsWith('tunnel/') && !source.startsWith('backup')) {
      scheduleServices();
      if (e.level === 'error' || type === 'crashed') scheduleErrors();
    }
    if (source.startsWith('tunnel/') || TUNNEL_TYPES.includes(type)) scheduleTunnels();
    if (source.startsWith('backup') || BACKUP_TYPES.includes(type)) {
      if (type === 'stored') addOutput({ ...(e.fields || {}), storedAt: e.time });
      scheduleBackup();
    }
  }

  function connectEvents() {
    clearTimeout(eventsRetry);
    const es = new EventSource('/api/events', { withCredentials: true });
    events = es;
    for (const t of ALL_TYPES) es.addEventListener(t, onEvent);
    es.onopen = () => {
      eventsBackoff = 500;
      setLink('live', 'live');
      if (everConnected) refreshAll(); // what changed while the link was down
      everConnected = true;
    };
    es.onerror = () => {
      es.close();
      if (events !== es) return;
      events = null;
      setLink('down', 'daemon unreachable: retrying…');
      announce('daemon unreachable');
      eventsRetry = setTimeout(connectEvents, eventsBackoff);
      eventsBackoff = Math.min(eventsBackoff * 2, 15000);
    };
  }

  function refreshAll() {
    scheduleServices();
    scheduleTunnels();
    scheduleBackup();
    refreshOutputs();
    if (logService) {
      followLog(logService); // the lines written while the link was down
      scheduleErrors();
    }
  }

  // Figures such as memory, CPU and snapshot age move without events: a slow refresh of them while the
  // page is visible. State changes never wait for it: they arrive over /api/events.
  const FIGURES_MS = 30000;
  setInterval(() => {
    if (document.visibilityState === 'visible' && events) {
      scheduleServices();
      scheduleBackup();
    }
  }, FIGURES_MS);

  // ---- wiring ------------------------------------------------------------------------------
  function init() {
    $('log-service').addEventListener('change', (e) => selectLog(e.target.value));
    $('log-level').addEventListener('change', renderLog);
    let searchTimer = null;
    $('log-search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(renderLog, 150); });
    $('log-controls').addEventListener('submit', (e) => e.preventDefault());
    $('log-follow').addEventListener('change', renderLog);
    $('snapshot-now').addEventListener('click', (e) => backupAction(e.currentTarget, '/api/backup/snapshot', 'snapshot'));
    $('verify').addEventListener('click', (e) => backupAction(e.currentTarget, '/api/backup/verify', 'verify'));
    $('doctor-refresh').addEventListener('click', refreshDoctor);
    $('find-form').addEventListener('submit', (e) => { e.preventDefault(); find($('find-q').value); });
    $('find-more').addEventListener('click', findMore);
    $('detail-close').addEventListener('click', () => $('detail').close());
    connectEvents();
    refreshServices();
    refreshTunnels();
    refreshBackup();
    refreshDoctor();
    refreshOutputs();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
