"""The site's one stylesheet and one script (written once to `assets/`), and its palette.

Colours are safe for colour-blind readers: mastery uses viridis (sequential, readable in every
common form of colour blindness and in grey scale), groups use the Okabe-Ito palette, and no
information is carried by colour alone (cells hold the value and a state mark, groups their name).
"""

from __future__ import annotations

from adaptive.errors import SPELLING_CUTOFF

#: Mastery bins: a cell with P(mastered) in [MASTERY_EDGES[i], MASTERY_EDGES[i+1]) gets class m{i}.
MASTERY_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8)
#: viridis at 5 points, low mastery to high (background, text colour with contrast >= 4.5:1)
MASTERY_COLOURS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
MASTERY_TEXT = ("#ffffff", "#ffffff", "#000000", "#000000", "#000000")
UNKNOWN_COLOUR = "#e0e0e0"
#: Okabe-Ito, one per student group (`pages.STUDENT_GROUPS`: adaptive.reports.GROUPS, i.e.
#: accelerate, on_track (shown "Progressing"), remediate, stuck; then no answers yet, grey)
GROUP_COLOURS = ("#0072B2", "#009E73", "#E69F00", "#D55E00", "#767676")
#: the mark each progression state adds to a heatmap cell (Progression order)
STATE_MARKS = ("○", "", "✓", "↻", "!")


def _mastery_css() -> str:
    rules = [
        f".hm td.m{i}{{background:{bg};color:{fg}}}"
        for i, (bg, fg) in enumerate(zip(MASTERY_COLOURS, MASTERY_TEXT, strict=True))
    ]
    rules.append(f".hm td.na{{background:{UNKNOWN_COLOUR};color:#000}}")
    rules += [
        f".g{i}{{border-left:6px solid {c}}} .sw{i}{{background:{c}}}"
        for i, c in enumerate(GROUP_COLOURS)
    ]
    return "\n".join(rules)


SITE_CSS = (
    """:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a}
body{margin:0 auto;max-width:1400px;padding:0 1rem 2rem;line-height:1.4}
a{color:#0b57a4}a:focus,button:focus,select:focus,input:focus,summary:focus,[tabindex]:focus{outline:3px solid #000;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.3rem}
nav.crumbs{margin:.8rem 0;font-size:.9rem}
h1{font-size:1.5rem;margin:.4rem 0}h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse}th,td{padding:.2rem .45rem;text-align:left}
table.data td,table.data th{border-bottom:1px solid #ddd}.num{text-align:right;font-variant-numeric:tabular-nums}
.summary{background:#f3f6f9;border-left:4px solid #0b57a4;padding:.4rem .7rem;margin:.5rem 0}
.scroll{overflow:auto;max-height:80vh;border:1px solid #ccc}
.hm{font-size:.68rem}.hm td{min-width:1.9rem;height:1.3rem;text-align:center;padding:0 .1rem;border:1px solid #fff}
.hm thead th{position:sticky;top:0;background:#fff;z-index:1;vertical-align:bottom}
.hm th button{writing-mode:vertical-rl;transform:rotate(180deg);font-size:.66rem;background:none;border:0;padding:0;cursor:pointer;color:#1a1a1a}
.hm th[scope=row]{position:sticky;left:0;background:#fff;white-space:nowrap;font-weight:normal}
.sortable th button{background:none;border:0;font:inherit;font-weight:bold;cursor:pointer;padding:0}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
.hidden{display:none}.legend span{display:inline-block;padding:0 .4rem;margin-right:.3rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.8rem}
.card{border:1px solid #ccc;padding:.5rem .8rem}.sw0,.sw1,.sw2,.sw3,.sw4{display:inline-block;width:.9rem;height:.9rem;vertical-align:middle;margin-right:.3rem}
.hm td.pl{font-style:italic}.far{color:#8b1a00;font-weight:bold}p.far{margin:.2rem 0}
.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:end;margin:.6rem 0}
.bar{fill:#0072B2}.bar.on{fill:#009E73}.axis{stroke:#555}.chart text{font-size:11px;fill:#1a1a1a}
.spark{stroke:#0072B2;fill:none;stroke-width:1.5}.spark-dot{fill:#0072B2}
.student{display:none}.student:target{display:block}
.student-list ul{columns:14rem;list-style:none;padding:0}
input[type=text]{width:14rem}button.primary{padding:.4rem .8rem;font-weight:bold}
.script-note{border-left:4px solid #8b1a00;padding:.3rem .6rem;background:#fff4f0}
.set-aside{border:2px solid #8b1a00;padding:.3rem .8rem;margin:.5rem 0}
.bad{display:block;color:#8b1a00;font-size:.85rem}input[aria-invalid=true],select[aria-invalid=true]{border:2px solid #8b1a00}
.wide{overflow-x:auto;max-width:100%;background:linear-gradient(to right,#fff 40%,rgba(255,255,255,0)) left/2.5rem 100% no-repeat local,linear-gradient(to left,#fff 40%,rgba(255,255,255,0)) right/2.5rem 100% no-repeat local,linear-gradient(to right,rgba(0,0,0,.22),rgba(0,0,0,0)) left/1rem 100% no-repeat scroll,linear-gradient(to left,rgba(0,0,0,.22),rgba(0,0,0,0)) right/1rem 100% no-repeat scroll}
nav.jump{margin:.4rem 0}svg.chart,img{max-width:100%;height:auto}
.scroll-note{display:none;font-size:.9rem;font-style:italic;margin:.3rem 0}
@media (max-width:48rem){.scroll-note{display:block}}
@media print{
@page{size:landscape;margin:1cm}
body{max-width:none;padding:0}.skip,nav.jump,.filters,button,#overrides{display:none}
.scroll,.wide{overflow:visible;max-height:none;border:0;background:none}.scroll-note{display:none}
.hm{font-size:.45rem}.hm td{min-width:0;height:auto}.hm th button{font-size:.45rem}
.hm thead th,.hm th[scope=row]{position:static}
.student{display:block;break-inside:avoid-page}.student-list{display:none}
h2{break-after:avoid}
}
"""
    + _mastery_css()
    + "\n"
)

SITE_JS = r"""'use strict';
(function () {
  function byId(id) { return document.getElementById(id); }
  // filters on the class page: by group (student level, or per skill when a skill is chosen)
  var table = byId('heatmap');
  function applyFilters() {
    if (!table) { return; }
    var group = byId('f-group').value, skill = byId('f-skill').value;
    var col = skill === '' ? -1 : parseInt(skill, 10);
    var rows = table.tBodies[0].rows, shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], ok;
      if (col < 0) { ok = group === '' || r.dataset.group === group; }
      else {
        var code = r.dataset.g.charAt(col);
        ok = group === '' ? code !== '-' : code === group.charAt(0);
      }
      r.classList.toggle('hidden', !ok);
      if (ok) { shown++; }
    }
    byId('f-count').textContent = 'Showing ' + shown + ' of ' + rows.length + ' students';
  }
  ['f-group', 'f-skill'].forEach(function (id) {
    var el = byId(id); if (el) { el.addEventListener('change', applyFilters); }
  });
  // sortable tables: every header button sorts by its column, by the cell's `data-v` or else
  // that of the element inside it that holds the value (a district's "fewer than 5" on track
  // is -1, "under 0.001%" its share: their text sorted as words), else by its text (numbers
  // numerically: a placement "~70" is 70, a state mark after a number is read past);
  // numbers sort before words, so that one word in a column of numbers leaves the numbers'
  // order alone. A cell with no value ("–", or an empty `data-v`: growth "too soon") sorts
  // last whichever way: a teacher sorting growth from the lowest up finds the students
  // behind at the top, not the ones not judged yet
  function cellValue(row, col) {
    var c = row.cells[col], held = c.dataset.v !== undefined ? c : c.querySelector('[data-v]');
    var v = (held ? held.dataset.v : c.textContent).trim();
    var n = parseFloat(v.replace(/^~/, ''));
    if (!isNaN(n)) { return n; }
    return (v === '' || v === '\u2013') ? -Infinity : v.toLowerCase();
  }
  function compareValues(x, y) {
    if (typeof x !== typeof y) { return typeof x === 'number' ? -1 : 1; }
    return x < y ? -1 : x > y ? 1 : 0;
  }
  document.querySelectorAll('table.sortable').forEach(function (t) {
    t.querySelectorAll('thead th button').forEach(function (b) {
      b.addEventListener('click', function () {
        var th = b.closest('th'), col = th.cellIndex;
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        t.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b2) {
          var x = cellValue(a, col), y = cellValue(b2, col);
          var blankX = x === -Infinity, blankY = y === -Infinity;
          if (blankX || blankY) { return blankX === blankY ? 0 : (blankX ? 1 : -1); }
          return compareValues(x, y) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  // teacher overrides: the form's choices as a JSON download for the nightly job (--overrides)
  var form = byId('overrides');
  // the ids typed, split on commas, semicolons or spaces; each once (a repeat is dropped)
  function ids(text) {
    var seen = {};
    return text.split(/[\s,;]+/).filter(function (s) {
      if (s.length === 0 || seen[s]) { return false; }
      seen[s] = true; return true;
    });
  }
  function repeats(text) {
    return text.split(/[\s,;]+/).filter(function (s) { return s.length > 0; }).length -
      ids(text).length;
  }
  function words(text) { return (text || '').split(' ').filter(function (s) { return s; }); }
  var known = {}, activities = [], classmates = {}, skills = [], knownSkill = {}, skillsOf = {};
  if (form) {
    activities = words(form.dataset.activities);
    activities.forEach(function (a) { known[a] = true; });
    skills = words(form.dataset.skills);
    skills.forEach(function (s) { knownSkill[s] = true; });
    // each activity's skills (positions in `skills`, ',' between them), in activity order
    (form.dataset.activitySkills || '').split(' ').forEach(function (at, i) {
      skillsOf[activities[i]] = at.split(',').filter(function (k) { return k; }).map(
        function (k) { return skills[parseInt(k, 10)]; });
    });
    form.querySelectorAll('tbody tr').forEach(function (r) { classmates[r.dataset.student] = true; });
  }
  // `closest_name` of adaptive.errors, line for line: the same but for case, else the same as
  // read on paper (`look_alike`), else the closest spelling (difflib's ratio, at least
  // SPELLING_CUTOFF) that is no numbered sibling of it ('g3.NS.5' is never offered for
  // 'g3.NS.4'); ids are short, so difflib's autojunk (200 characters on) never applies
  var CUTOFF = __SPELLING_CUTOFF__;
  function fold(s) { return s.toLowerCase(); }  // casefold, for the ASCII of ids
  function sorted(list) { return list.slice().sort(function (x, y) { return x < y ? -1 : x > y ? 1 : 0; }); }
  function lookAlike(s) {
    return fold(s).replace(/[li|]/g, '1').replace(/o/g, '0').replace(/^0+|(?<![0-9])0+(?=[0-9])/g, '');
  }
  function sameAsRead(name, names) {
    var f = sorted(names.filter(function (n) { return fold(n) === fold(name); }));
    if (f.length) { return f[0]; }
    var read = lookAlike(name);
    var alike = sorted(names.filter(function (n) { return lookAlike(n) === read; }));
    return alike.length && read ? alike[0] : null;
  }
  // difflib.SequenceMatcher(None, a, b).get_matching_blocks()
  function matchingBlocks(a, b) {
    var b2j = {}, i, j, k;
    for (j = 0; j < b.length; j++) { (b2j[b[j]] = b2j[b[j]] || []).push(j); }
    function longest(alo, ahi, blo, bhi) {
      var besti = alo, bestj = blo, bestsize = 0, j2len = {};
      for (i = alo; i < ahi; i++) {
        var next = {}, js = b2j[a[i]] || [];
        for (var n = 0; n < js.length; n++) {
          j = js[n];
          if (j < blo) { continue; }
          if (j >= bhi) { break; }
          k = (j2len[j - 1] || 0) + 1; next[j] = k;
          if (k > bestsize) { besti = i - k + 1; bestj = j - k + 1; bestsize = k; }
        }
        j2len = next;
      }
      return [besti, bestj, bestsize];
    }
    var queue = [[0, a.length, 0, b.length]], found = [];
    while (queue.length) {
      var q = queue.pop(), x = longest(q[0], q[1], q[2], q[3]);
      if (x[2]) {
        found.push(x);
        if (q[0] < x[0] && q[2] < x[1]) { queue.push([q[0], x[0], q[2], x[1]]); }
        if (x[0] + x[2] < q[1] && x[1] + x[2] < q[3]) { queue.push([x[0] + x[2], q[1], x[1] + x[2], q[3]]); }
      }
    }
    found.sort(function (p, r) { return p[0] - r[0] || p[1] - r[1] || p[2] - r[2]; });
    var blocks = [], i1 = 0, j1 = 0, k1 = 0;
    found.forEach(function (m) {
      if (i1 + k1 === m[0] && j1 + k1 === m[1]) { k1 += m[2]; return; }
      if (k1) { blocks.push([i1, j1, k1]); }
      i1 = m[0]; j1 = m[1]; k1 = m[2];
    });
    if (k1) { blocks.push([i1, j1, k1]); }
    blocks.push([a.length, b.length, 0]);
    return blocks;
  }
  function ratio(a, b) {
    var m = 0;
    matchingBlocks(a, b).forEach(function (x) { m += x[2]; });
    return a.length + b.length ? 2 * m / (a.length + b.length) : 1;
  }
  function quickRatio(a, b) {
    var avail = {}, m = 0;
    b.split('').forEach(function (c) { avail[c] = (avail[c] || 0) + 1; });
    a.split('').forEach(function (c) { if (avail[c] > 0) { avail[c]--; m++; } });
    return a.length + b.length ? 2 * m / (a.length + b.length) : 1;
  }
  // difflib.get_close_matches(word, possibilities, n, cutoff): best ratio first, ties by the
  // greater string
  function closeMatches(word, possibilities, n, cutoff) {
    var scored = [];
    possibilities.forEach(function (x) {
      var lx = x.length, lw = word.length;
      if (lx + lw && 2 * Math.min(lx, lw) / (lx + lw) < cutoff) { return; }
      if (quickRatio(x, word) < cutoff) { return; }
      var r = ratio(x, word);
      if (r >= cutoff) { scored.push([r, x]); }
    });
    scored.sort(function (p, q) { return q[0] - p[0] || (q[1] < p[1] ? -1 : q[1] > p[1] ? 1 : 0); });
    return scored.slice(0, n).map(function (p) { return p[1]; });
  }
  // `numbered_sibling`: a digit written where the other has another digit, or the same text
  // around numbers of which one differs at the same width ('act00350', 'act02050')
  function otherNumberOfSameWidth(a, b) {
    var pa = a.split(/([0-9]+)/), pb = b.split(/([0-9]+)/), k;
    if (pa.length !== pb.length) { return false; }
    for (k = 0; k < pa.length; k += 2) { if (pa[k] !== pb[k]) { return false; } }
    for (k = 1; k < pa.length; k += 2) {
      if (pa[k].length === pb[k].length && pa[k] !== pb[k]) { return true; }
    }
    return false;
  }
  function numberedSibling(name, other) {
    var a = fold(name), b = fold(other), digit = /[0-9]/;
    if (a === b) { return false; }
    if (otherNumberOfSameWidth(a, b)) { return true; }
    var i = 0, j = 0;
    return matchingBlocks(a, b).some(function (m) {
      var replaced = i < m[0] && j < m[1] && digit.test(a.slice(i, m[0])) && digit.test(b.slice(j, m[1]));
      i = m[0] + m[2]; j = m[1] + m[2];
      return replaced;
    });
  }
  // the catalog's ids of one kind by their folded spelling, in sorted order: built at the
  // first unknown id of that kind, kept (the lists are fixed once the page is read)
  var spelt = {};
  function speltIds(kind, names) {
    if (!spelt[kind]) {
      var by = spelt[kind] = {};
      sorted(names).forEach(function (a) { (by[fold(a)] = by[fold(a)] || []).push(a); });
    }
    return spelt[kind];
  }
  // the id of `names` (the catalog's activities, or with kind 'skills' its skills) likely
  // meant by `id`, or null
  function closest(id, kind) {
    var names = kind === 'skills' ? skills : activities;
    var read = sameAsRead(id, names);
    if (read !== null) { return read; }
    var byFold = speltIds(kind || 'activities', names);
    var close = closeMatches(fold(id), Object.keys(byFold), 10, CUTOFF);
    for (var c = 0; c < close.length; c++) {
      var kept = byFold[close[c]].filter(function (a) { return !numberedSibling(id, a); });
      if (kept.length) { return closeMatches(id, kept, 1, 0)[0]; }
    }
    return null;
  }
  // what is wrong with the ids of one activity field (each in words), `also`: the ids of the
  // other field of the row (an activity both assigned and excluded), `aside`: the row's skills
  // set aside (an activity assigned on one: the night refuses it, as the exclusion would win)
  function problems(input, also, aside) {
    var out = [];
    ids(input.value).forEach(function (a) {
      if (known[a]) {
        if (also && also.indexOf(a) >= 0) { out.push(a + ': both assigned and excluded'); return; }
        var on = (aside || []).filter(function (s) { return skillsOf[a].indexOf(s) >= 0; });
        if (on.length) {
          out.push(a + ': on the skill ' + on[0] + ', set aside for this student: assign it or ' +
            'set the skill aside, not both');
        }
        return;
      }
      if (classmates[a]) { out.push(a + ': a student id, not an activity id'); return; }
      if (knownSkill[a]) {
        out.push(a + ': a skill id, not an activity id (a whole skill is set aside under Set aside)');
        return;
      }
      var meant = closest(a);
      out.push(a + ': not an activity of the catalog' + (meant ? ' (did you mean ' + meant + '?)' : ''));
    });
    return out;
  }
  // what is wrong with the skill ids of a row's Set aside field (each in words)
  function skillProblems(input) {
    var out = [];
    ids(input.value).forEach(function (s) {
      if (knownSkill[s]) { return; }
      if (known[s]) {
        out.push(s + ': an activity id, not a skill id (its skill: ' + skillsOf[s].join(', ') + ')');
        return;
      }
      if (classmates[s]) { out.push(s + ': a student id, not a skill id'); return; }
      var meant = closest(s, 'skills');
      out.push(s + ': not a skill of the catalog' + (meant ? ' (did you mean ' + meant + '?)' : ''));
    });
    return out;
  }
  // marks a field's problems under it (and clears them once fixed, the field described by
  // its other notes only); the number marked
  function mark(input, list) {
    var note = input.parentNode.querySelector('.bad');
    if (!list.length) {
      if (note) {
        var others = (input.getAttribute('aria-describedby') || '').split(' ').filter(
          function (id) { return id && id !== note.id; });
        if (others.length) { input.setAttribute('aria-describedby', others.join(' ')); }
        else { input.removeAttribute('aria-describedby'); }
        note.remove();
      }
      input.removeAttribute('aria-invalid');
      return 0;
    }
    if (!note) {
      note = document.createElement('span');
      note.className = 'bad';
      note.id = 'bad-' + Math.random().toString(36).slice(2);
      input.insertAdjacentElement('afterend', note);
      var by = input.getAttribute('aria-describedby');
      input.setAttribute('aria-describedby', (by ? by + ' ' : '') + note.id);
    }
    note.textContent = list.join('; ');
    input.setAttribute('aria-invalid', 'true');
    return list.length;
  }
  function checkRow(r) {
    var inputs = r.querySelectorAll('input'), aside = ids(inputs[2].value);
    return mark(inputs[0], problems(inputs[0], null, aside)) +
      mark(inputs[1], problems(inputs[1], ids(inputs[0].value), null)) +
      mark(inputs[2], skillProblems(inputs[2]));
  }
  if (form) {
    form.querySelectorAll('tbody tr').forEach(function (r) {
      r.querySelectorAll('input').forEach(function (input) {
        input.addEventListener('input', function () { checkRow(r); });
        input.addEventListener('change', function () {  // a repeated id is dropped, said so
          var n = repeats(input.value);
          if (n) {
            input.value = ids(input.value).join(', ');
            byId('export-status').textContent = 'Removed ' + n + (n === 1 ? ' repeated id' : ' repeated ids') + '.';
          }
          checkRow(r);
        });
      });
      // a set-aside file's mode that is none, marked beside the dropdown: cleared once chosen
      var select = r.querySelector('select');
      select.addEventListener('change', function () { mark(select, []); });
    });
    byId('export').addEventListener('click', function () {
      var bad = 0;
      form.querySelectorAll('tbody tr').forEach(function (r) { bad += checkRow(r); });
      if (bad) {
        byId('export-status').textContent = 'Not exported: ' + bad + (bad === 1 ? ' id is' : ' ids are') +
          ' not right (marked under their fields): fix ' + (bad === 1 ? 'it' : 'them') + ' first.';
        form.querySelector('input[aria-invalid=true]').focus();
        return;
      }
      var students = {};
      form.querySelectorAll('tbody tr').forEach(function (r) {
        var mode = r.querySelector('select').value, inputs = r.querySelectorAll('input');
        var assigned = ids(inputs[0].value), excluded = ids(inputs[1].value);
        var aside = ids(inputs[2].value);
        if (mode || assigned.length || excluded.length || aside.length) {
          var entry = {assigned: assigned, excluded: excluded, mode: mode || null};
          // only where some are set aside, as `StudentOverride.to_dict` writes it
          if (aside.length) { entry.excluded_skills = aside; }
          students[r.dataset.student] = entry;
        }
      });
      // a class is its school and class id: two schools may name a homeroom alike
      var doc = {format: 'adaptive-overrides', version: 1};
      if (form.dataset.school) { doc.school_id = form.dataset.school; }
      Object.assign(doc, {class_id: form.dataset.class, date: form.dataset.date,
                          students: students});
      var blob = new Blob([JSON.stringify(doc, null, 1) + '\n'], {type: 'application/json'});
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'overrides-' + (form.dataset.school ? form.dataset.school + '-' : '') +
        form.dataset.class + '.json';
      document.body.appendChild(a); a.click(); a.remove();
      var n = Object.keys(students).length;
      byId('export-status').textContent = 'Exported ' + n + (n === 1 ? ' student' : ' students') +
        ': give the file to the nightly job (--overrides).';
    });
  }
  applyFilters();
  if (form) { form.querySelectorAll('tbody tr').forEach(checkRow); }  // pre-filled choices too
  // the notes that the controls need this script: it has run
  document.querySelectorAll('[data-script-note]').forEach(function (n) { n.hidden = true; });
  document.documentElement.dataset.ready = '1';
  if (window.performance && performance.mark) { performance.mark('adaptive-ready'); }
})();
""".replace("__SPELLING_CUTOFF__", repr(SPELLING_CUTOFF))
