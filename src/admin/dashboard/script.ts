// The dashboard's browser script, inlined into the page. Plain ES2020 in a raw string
// (no template literals inside, so it needs no escaping): it polls /capacity every
// second and /history every few, and redraws from what they answer. Everything is built
// with DOM calls and textContent, never innerHTML, so a region or reason string can
// never inject markup. Fields it does not know (the /capacity document grows) are shown
// generically rather than dropped; fields that are missing show as a dash.
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var POLL_MS = 1000;
  var HIDDEN_POLL_MS = 5000;
  var HISTORY_EVERY = 3;
  var MAX_SAMPLES = 300;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#8cd17d', '#86bcb6', '#d37295'];
  var KNOWN = { region: 1, share: 1, fresh: 1, ageMs: 1, capacity: 1, inUse: 1, headroom: 1, estimate: 1, state: 1,
    stateReason: 1, stateUntil: 1, weightFactor: 1, backends: 1, sources: 1, capacitySource: 1, inUseSource: 1 };
  var DASH = '\u2014';

  var st = { doc: null, receivedAt: 0, history: null, layoutKey: '', polls: 0, okAt: 0, failingSince: 0, error: '' };

  // ---- building blocks ----------------------------------------------------------
  function add(e, children) {
    if (children === null || children === undefined || children === false) return e;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return e;
  }
  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, String(attrs[k]));
    return add(e, children);
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) {
      var v = String(attrs[k]);
      // Theme colours are CSS variables, which only style properties resolve.
      if (v.indexOf('var(') === 0) e.style.setProperty(k, v);
      else e.setAttribute(k, v);
    }
    return e;
  }
  function bar(fraction) {
    var fill = h('span');
    fill.style.width = (Math.max(0, Math.min(1, num(fraction) ? fraction : 0)) * 100).toFixed(1) + '%';
    return h('span', { class: 'bar' }, fill);
  }
  function badge(text, kind, attrs) {
    var a = attrs || {};
    a.class = 'badge ' + kind;
    return h('span', a, text);
  }

  // ---- formatting ---------------------------------------------------------------
  function num(x) { return typeof x === 'number' && isFinite(x); }
  function pct(x) {
    if (!num(x)) return DASH;
    var p = x * 100;
    return (p === 0 || p === 100 || p >= 10 ? Math.round(p) : p.toFixed(1)) + '%';
  }
  function qty(x) {
    if (!num(x)) return DASH;
    return String(Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 10) / 10);
  }
  function perSecond(x) { return num(x) ? (x < 10 ? x.toFixed(1) : String(Math.round(x))) : DASH; }
  function dur(ms) {
    if (!num(ms)) return DASH;
    ms = Math.max(0, ms);
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
    if (ms < 3600000) {
      var sec = Math.floor((ms % 60000) / 1000);
      return Math.floor(ms / 60000) + ' min' + (sec ? ' ' + sec + ' s' : '');
    }
    return (ms / 3600000).toFixed(1) + ' h';
  }
  function words(key) { return key.replace(/Ms$/, '').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase(); }
  function generic(v, depth) {
    if (v === null || v === undefined) return DASH;
    if (typeof v === 'number') return qty(v);
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'string') return v;
    if ((depth || 0) > 2) return '\u2026';
    if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map(function (x) { return generic(x, (depth || 0) + 1); }).join('; ');
    return Object.keys(v).map(function (k) {
      var x = v[k];
      return words(k) + ' ' + (/Ms$/.test(k) && num(x) ? dur(x) : generic(x, (depth || 0) + 1));
    }).join(', ');
  }
  function clock(ms) { return new Date(ms).toLocaleTimeString(); }
  // The router's clock, for "time left": its generatedAt plus the time since we read it.
  function serverNow() {
    var at = st.doc && Date.parse(st.doc.generatedAt);
    return num(at) ? at + (Date.now() - st.receivedAt) : Date.now();
  }

  // ---- colours: one per region, the same in every card -----------------------------
  var colours = {};
  function colourOf(region) {
    if (!(region in colours)) colours[region] = PALETTE[Object.keys(colours).length % PALETTE.length];
    return colours[region];
  }
  function assignColours(doc) {
    var all = {};
    (doc.deployments || []).forEach(function (d) { (d.regions || []).forEach(function (r) { all[r.region] = 1; }); });
    Object.keys(all).sort().forEach(colourOf);
  }
  function dot(region) {
    var d = h('span', { class: 'dot' });
    d.style.background = colourOf(region);
    return d;
  }

  // ---- header ---------------------------------------------------------------------
  function renderHeader() {
    var doc = st.doc;
    var live = document.getElementById('live');
    if (st.failingSince) {
      live.replaceChildren(badge('unreachable', 'down'), ' for ' + dur(Date.now() - st.failingSince) + ': ' + st.error +
        (st.okAt ? ' (last update ' + clock(st.okAt) + ')' : ''));
    } else if (st.okAt) {
      live.replaceChildren(badge('live', 'ok'), ' updated ' + clock(st.okAt));
    }
    if (!doc) return;
    var deps = doc.deployments || [];
    var cons = deps.filter(function (d) { return d.mode !== 'normal'; });
    document.getElementById('summary').replaceChildren(
      h('b', null, String(deps.length)), ' deployments: ', h('b', null, String(deps.length - cons.length)), ' normal, ',
      h('b', null, String(cons.length)), ' conservative',
      cons.length ? ' (' + cons.map(function (d) { return d.name; }).join(', ') + ')' : '');
    document.title = (cons.length ? cons.length + ' conservative \u00b7 ' : '') + 'switchyard';

    var t = doc.telemetry || {};
    var status = typeof t.status === 'string' ? t.status : 'unknown';
    var sources = (Array.isArray(t.sources) ? t.sources : []).map(function (x) {
      var st = typeof x.status === 'string' ? x.status : 'unknown';
      // Load headers arrive only with traffic: a quiet data plane is not a broken source.
      var quiet = x.source === 'in-band' && st === 'stale';
      return h('span', { 'data-source': x.source }, [' ', x.source, ' ', quiet ? badge('quiet', 'unknown') : badge(st, st)]);
    });
    var line = document.getElementById('telemetry');
    line.replaceChildren.apply(line, [
      'telemetry ', badge(status, status, { 'data-telemetry': status }),
      ' last success ', h('b', null, num(t.ageMs) ? dur(t.ageMs) + ' ago' : 'never'),
      ' \u00b7 polls ', String(t.polls === undefined ? DASH : t.polls), ', failures ', String(t.failures === undefined ? DASH : t.failures),
      t.lastError ? ' \u00b7 last error: ' + t.lastError : '',
      sources.length ? ' \u00b7 sources' : ''].concat(sources));

    var r = doc.resilience;
    if (r) {
      var b = r.retryBudget || {};
      var cooldowns = Array.isArray(r.cooldowns) ? r.cooldowns : [];
      document.getElementById('resilience').replaceChildren(
        'in flight ', h('b', null, generic(r.requestsInFlight)),
        ' \u00b7 retries in flight ', h('b', null, generic(b.retriesInFlight) + ' / ' + generic(b.limit)),
        ' \u00b7 cooldowns ', h('b', null, cooldowns.length ? cooldowns.map(function (c) {
          return c.region + ' (' + c.model + ')';
        }).join(', ') : 'none'),
        affinityPart(doc.affinity));
    }
  }

  // Requests bound to stored state: homes remembered, and how often the cache knew.
  function affinityPart(a) {
    if (!a) return '';
    if (a.enabled === false) return ' \u00b7 stored-state affinity off';
    var lookups = num(a.hits) && num(a.misses) ? a.hits + a.misses : null;
    return h('span', { 'data-affinity': '' }, [
      ' \u00b7 stored-state homes ', h('b', null, generic(a.cacheEntries)),
      ', hit rate ', h('b', null, num(a.hitRate) ? Math.round(a.hitRate * 100) + '%' : DASH),
      lookups === null ? '' : ' of ' + lookups + ' lookups']);
  }

  // ---- one deployment -------------------------------------------------------------
  function timeLeft(until) {
    var t = typeof until === 'string' ? Date.parse(until) : NaN;
    return num(t) ? dur(t - serverNow()) + ' left' : null;
  }
  function headroomCell(r) {
    var value = num(r.headroom) ? r.headroom : r.room;
    var why = [];
    var reported = num(r.capacity) ? qty(r.capacity) + ' \u2212 ' + qty(r.inUse) + ' in use' : null;
    if (r.estimate !== null && r.estimate !== undefined) {
      why.push('estimate: ' + generic(r.estimate) + (reported ? ' (last report ' + reported + ')' : ''));
    } else if (reported) why.push('reported ' + reported);
    else if (!num(value)) why.push('unknown');
    return [h('b', null, qty(value)), why.length ? h('span', { class: 'sub' }, why.join(' \u00b7 ')) : null];
  }
  function telemetryCell(r) {
    var text = r.fresh ? 'fresh' : r.ageMs === null || r.ageMs === undefined ? 'no data' : 'stale';
    return [h('span', { class: r.fresh ? '' : 'stale-text' }, text), num(r.ageMs) ? ' ' + dur(r.ageMs) : ''];
  }
  // Each source's newest reading, newest first; the ones the estimate used in bold, with what they gave.
  function sourcesCell(r) {
    var list = Array.isArray(r.sources) ? r.sources : [];
    if (!list.length) return DASH;
    return list.map(function (x) {
      var roles = [];
      if (x.source === r.inUseSource) roles.push('in use');
      if (x.source === r.capacitySource) roles.push('capacity');
      var figure = num(x.utilisation) ? pct(x.utilisation) + ' used'
        : num(x.inUse) ? qty(x.inUse) + ' of ' + qty(x.capacity) : '';
      if (num(x.utilisation) && num(x.capacity)) figure += ' of ' + qty(x.capacity);
      return h('span', { class: 'src' + (x.fresh === false ? ' stale-text' : ''), 'data-source': x.source }, [
        roles.length ? h('b', null, x.source) : x.source, ' ', dur(x.ageMs), figure ? ' \u00b7 ' + figure : '',
        roles.length ? h('span', { class: 'sub' }, 'used for ' + roles.join(' and ')) : null]);
    });
  }
  function stateCell(r) {
    var state = typeof r.state === 'string' ? r.state : 'unknown';
    var parts = [];
    if (num(r.weightFactor) && r.weightFactor < 1) parts.push('weight ' + pct(r.weightFactor));
    var left = timeLeft(r.stateUntil);
    if (left) parts.push(left);
    if (r.stateReason) parts.push(r.stateReason);
    return [badge(state, state), parts.length ? h('span', { class: 'sub' }, parts.join(' \u00b7 ')) : null];
  }
  function backendsCell(r) {
    var list = Array.isArray(r.backends) ? r.backends : [];
    var total = list.reduce(function (s, b) { return s + (num(b.inFlight) ? b.inFlight : 0); }, 0);
    var out = list.filter(function (b) { return b.ejectedUntil; }).length;
    return [String(total), list.length > 1 || out ? h('span', { class: 'sub' }, list.length + ' backends' + (out ? ', ' + out + ' skipped' : '')) : null];
  }
  function extras(r) {
    var keys = Object.keys(r).filter(function (k) { return !KNOWN[k]; });
    return keys.length ? h('span', { class: 'sub' }, keys.map(function (k) {
      return words(k) + ' ' + (/Ms$/.test(k) && num(r[k]) ? dur(r[k]) : generic(r[k], 1));
    }).join(' \u00b7 ')) : null;
  }
  function td(label, cls, content) { return h('td', { 'data-label': label, class: cls }, h('div', null, content)); }

  function regionRow(r, rate, tokenRate) {
    return h('tr', { 'data-region': r.region, class: 'state-' + r.state }, [
      td('region', '', [h('span', { class: 'region-name' }, [dot(r.region), r.region]), extras(r)]),
      td('share', 'num share', [pct(r.share), bar(r.share)]),
      td('req/s', 'num', perSecond(rate)),
      td('tokens/s', 'num', perSecond(tokenRate)),
      td('headroom', '', headroomCell(r)),
      td('telemetry', 'num', telemetryCell(r)),
      td('sources', '', sourcesCell(r)),
      td('state', '', stateCell(r)),
      td('in flight', 'num', backendsCell(r)),
    ]);
  }

  // Requests waiting for room (admission): shown only while some wait.
  function queueLine(a) {
    if (!a || !num(a.waiting) || a.waiting === 0) return null;
    var bands = Array.isArray(a.byPriority) ? a.byPriority.map(function (b) {
      return 'priority ' + generic(b.priority) + ': ' + generic(b.waiting) + ' (oldest ' + dur(b.oldestWaitMs) + ')';
    }).join(', ') : '';
    return h('p', { class: 'queue', 'data-waiting': String(a.waiting) },
      a.waiting + ' waiting for room, oldest ' + dur(a.oldestWaitMs) + ' of ' + dur(a.maxWaitMs) +
      (bands ? ' \u2014 ' + bands : ''));
  }

  function renderDeployment(d) {
    var mode = d.mode === 'normal' || d.mode === 'conservative' ? d.mode : 'unknown';
    var regions = Array.isArray(d.regions) ? d.regions : [];
    var series = historyOf(d.name);
    var lastRates = series ? recentRates(series, 5, 'rates') : null;
    var lastTokens = series ? recentRates(series, 5, 'tokenRates') : null;
    var rej = d.rejection;
    return h('section', { class: 'card mode-' + mode, 'data-deployment': d.name }, [
      h('div', { class: 'card-head' }, [
        h('h2', null, d.name),
        h('span', { class: 'meta' }, [d.type, d.model, d.capacityUnit && d.capacityUnit !== 'requests' ? 'in ' + d.capacityUnit : ''].filter(Boolean).join(' \u00b7 ') +
          (Array.isArray(d.boundary) ? ' \u00b7 boundary: ' + d.boundary.join(', ') : '')),
        badge(mode, 'mode ' + mode, { 'data-mode': mode }),
      ]),
      h('p', { class: 'reason', 'data-reason': '' }, d.reason || ''),
      h('div', { class: 'coverage' }, ['coverage ', h('b', null, pct(d.coverage)), bar(d.coverage)]),
      rej ? h('p', { class: 'rejection' }, 'clients get ' + generic(rej.status) + ' ' + generic(rej.code) +
        (num(rej.retryAfterS) ? ' with Retry-After ' + rej.retryAfterS + ' s' : '') + (rej.message ? ': ' + rej.message : '')) : null,
      queueLine(d.admission),
      h('div', { class: 'table-wrap' }, h('table', null, [
        h('thead', null, h('tr', null, ['region', 'share', 'req/s', 'tokens/s', 'headroom', 'telemetry', 'sources', 'state', 'in flight'].map(function (x) {
          return h('th', null, x);
        }))),
        h('tbody', null, regions.map(function (r) {
          var i = series ? series.regions.indexOf(r.region) : -1;
          return regionRow(r, lastRates && i >= 0 ? lastRates[i] : null, lastTokens && i >= 0 ? lastTokens[i] : null);
        })),
      ])),
      series ? charts(series) : h('p', { class: 'sub' }, 'charts appear once the history has two samples'),
    ]);
  }

  // ---- charts ---------------------------------------------------------------------
  function historyOf(name) {
    var hst = st.history;
    if (!hst) return null;
    var d = hst.deployments.findIndex(function (x) { return x.name === name; });
    if (d < 0 || hst.samples.length < 2) return null;
    return {
      regions: hst.deployments[d].regions,
      samples: hst.samples.map(function (s) {
        return { at: s.at, mode: s.modes[d], shares: s.shares[d], rates: s.rates[d],
          tokenRates: s.tokenRates ? s.tokenRates[d] : [], own: s.ownRates[d] };
      }),
    };
  }
  // Requests (or tokens) per second per region, averaged over the last n samples (one is too jumpy).
  function recentRates(series, n, field) {
    var recent = series.samples.slice(-n);
    return series.regions.map(function (_, i) {
      return recent.reduce(function (sum, p) { var x = p[field] && p[field][i]; return sum + (num(x) ? x : 0); }, 0) / recent.length;
    });
  }
  function niceMax(x) {
    if (!(x > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(x)));
    var m = [1, 2, 5, 10].find(function (k) { return k * p >= x; });
    return m * p;
  }
  function chartBox(title, right, body, axis) {
    return h('div', { class: 'chart' }, [h('h3', null, [h('span', null, title), h('span', null, right)]), body, axis]);
  }
  function charts(series) {
    var W = 600, H = 100;
    var samples = series.samples;
    var t1 = samples[samples.length - 1].at;
    // The chart spans what the history holds (up to its five minutes), at least 10 s.
    var t0 = Math.min(samples[0].at, t1 - 10000);
    var x = function (t) { return ((t - t0) / (t1 - t0)) * W; };
    function frame() {
      return svg('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img' });
    }
    // Conservative stretches, shaded over the drawn series so they show on both charts.
    function shade(s) {
      var start = null;
      samples.forEach(function (p, i) {
        var on = p.mode === 1;
        if (on && start === null) start = i === 0 ? p.at : samples[i - 1].at;
        if ((!on || i === samples.length - 1) && start !== null) {
          var w = Math.max(1, x(p.at) - x(start));
          s.appendChild(svg('rect', { x: x(start), y: 0, width: w, height: H, fill: 'var(--shade)' }));
          s.appendChild(svg('rect', { x: x(start), y: 0, width: w, height: 4, fill: 'var(--warn)' }));
          start = null;
        }
      });
      return s;
    }
    var axis = h('div', { class: 'axis' }, [h('span', null, '\u2212' + dur(t1 - t0)), h('span', null, 'now')]);

    var shares = frame();
    shares.setAttribute('aria-label', 'planned share per region over time');
    var below = samples.map(function () { return 0; });
    series.regions.forEach(function (region, i) {
      var upper = samples.map(function (p, k) { return below[k] + (num(p.shares[i]) ? p.shares[i] : 0); });
      if (upper.every(function (u, k) { return u === below[k]; })) { below = upper; return; }
      var pts = samples.map(function (p, k) { return x(p.at).toFixed(1) + ',' + (H - upper[k] * H).toFixed(1); });
      for (var k = samples.length - 1; k >= 0; k--) pts.push(x(samples[k].at).toFixed(1) + ',' + (H - below[k] * H).toFixed(1));
      shares.appendChild(svg('polygon', { points: pts.join(' '), fill: colourOf(region), 'fill-opacity': 0.85 }));
      below = upper;
    });

    var rates = frame();
    rates.setAttribute('aria-label', 'requests per second per region over time');
    var max = 0;
    samples.forEach(function (p) {
      p.rates.forEach(function (r) { if (r > max) max = r; });
      if (p.own > max) max = p.own;
    });
    var top = niceMax(max);
    function line(values, colour, dashed) {
      var pts = samples.map(function (p, k) { return x(p.at).toFixed(1) + ',' + (H - (values[k] / top) * (H - 2) - 1).toFixed(1); });
      var a = { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' };
      if (dashed) a['stroke-dasharray'] = '4 3';
      rates.appendChild(svg('polyline', a));
    }
    series.regions.forEach(function (region, i) {
      var values = samples.map(function (p) { return num(p.rates[i]) ? p.rates[i] : 0; });
      if (values.some(function (v) { return v > 0; })) line(values, colourOf(region), false);
    });
    var own = samples.map(function (p) { return num(p.own) ? p.own : 0; });
    if (own.some(function (v) { return v > 0; })) line(own, 'var(--bad)', true);

    var legend = h('div', { class: 'legend' }, series.regions.map(function (r) { return h('span', null, [dot(r), r]); })
      .concat([h('span', null, [h('span', { class: 'shade' }), 'conservative']),
        own.some(function (v) { return v > 0; }) ? h('span', null, '- - answered by the router') : null]));
    return h('div', null, [
      h('div', { class: 'charts' }, [
        chartBox('planned share', '100%', shade(shares), axis),
        chartBox('requests/s answered', 'max ' + perSecond(top), shade(rates), axis.cloneNode(true)),
      ]),
      legend,
    ]);
  }

  // ---- polling --------------------------------------------------------------------
  function getJson(path) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, 5000);
    return fetch(path, { cache: 'no-store', signal: ctl.signal }).then(function (res) {
      clearTimeout(timer);
      if (!res.ok) throw new Error(path.split('?')[0] + ' answered ' + res.status);
      return res.json();
    }, function (err) {
      clearTimeout(timer);
      throw new Error(err && err.name === 'AbortError' ? 'no answer within 5 s' : 'connection failed');
    });
  }
  function mergeHistory(doc) {
    var key = JSON.stringify(doc.deployments);
    if (!st.history || key !== st.layoutKey) {
      st.history = { deployments: doc.deployments, samples: [] };
      st.layoutKey = key;
    }
    var s = st.history.samples;
    doc.samples.forEach(function (p) { if (!s.length || p.at > s[s.length - 1].at) s.push(p); });
    if (s.length > MAX_SAMPLES) s.splice(0, s.length - MAX_SAMPLES);
  }
  function render() {
    renderHeader();
    var main = document.getElementById('deployments');
    if (!st.doc) return;
    assignColours(st.doc);
    var deps = Array.isArray(st.doc.deployments) ? st.doc.deployments : [];
    main.replaceChildren.apply(main, deps.length ? deps.map(renderDeployment) : [h('p', { class: 'empty' }, 'no deployments')]);
  }
  function poll() {
    var wantHistory = st.polls % HISTORY_EVERY === 0;
    st.polls++;
    var since = st.history && st.history.samples.length ? st.history.samples[st.history.samples.length - 1].at : 0;
    Promise.all([getJson('capacity'), wantHistory ? getJson('history?since=' + since) : null]).then(function (both) {
      st.doc = both[0];
      st.receivedAt = Date.now();
      if (both[1]) mergeHistory(both[1]);
      st.okAt = Date.now();
      st.failingSince = 0;
      st.error = '';
      document.body.setAttribute('data-live', 'true');
    }, function (err) {
      if (!st.failingSince) st.failingSince = Date.now();
      st.error = err.message;
      document.body.setAttribute('data-live', 'false');
    }).then(function () {
      try { render(); } catch (e) { st.error = 'render failed: ' + e.message; }
      setTimeout(poll, document.visibilityState === 'hidden' ? HIDDEN_POLL_MS : POLL_MS);
    });
  }
  poll();
})();
`;
