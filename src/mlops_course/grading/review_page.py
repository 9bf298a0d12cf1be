"""The single page of ``mlops-course review`` (HTML, CSS and script; no outside resources).

Learner text is only ever put into the page as text (``textContent``), never as HTML.
Keys (outside the text boxes): ``→``/``j`` next, ``←``/``k`` previous, ``n`` next pending,
``p`` the points box. Anywhere: ``Alt+1`` … ``Alt+9`` append a reusable comment, ``Enter``
in the points box or ``Ctrl+Enter`` in the comment box saves and goes to the next answer.
"""

from __future__ import annotations

import json

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f6f6f4}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1rem;background:#23395b;color:#fff}
header h1{font-size:1.1rem;margin:0}#progress{font-weight:600}#status{margin-left:auto}
#status.error{color:#ffb3b3;font-weight:600}main{display:grid;grid-template-columns:3fr 2fr;gap:1rem;padding:1rem}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem}
pre{white-space:pre-wrap;font-size:.9rem;margin:.3rem 0 0}#answer{min-height:12rem;background:#fbfbf7;padding:.5rem}
label{display:block;font-weight:600;margin-top:.8rem}input,textarea{font:inherit;width:100%;box-sizing:border-box}
input[aria-invalid=true]{outline:2px solid #c0392b}textarea{min-height:7rem}
#reusable button{display:block;width:100%;text-align:left;margin:.2rem 0;font-size:.85rem}
nav{display:flex;gap:.5rem;margin-top:1rem}kbd{background:#eee;border-radius:3px;padding:0 .3rem;color:#222}
.meta{color:#555;font-size:.9rem}.done{color:#176f2c}.todo{color:#a4161a}
"""

_SCRIPT = """
const TOKEN = __TOKEN__;
let items = [], at = 0, timer = null, dirty = false;
const $ = id => document.getElementById(id);
function reviewed(item) { return String(item.points).trim() !== ''; }
function progress() {
  const done = items.filter(reviewed).length;
  $('progress').textContent = `Reviewed ${done} / ${items.length} · pending ${items.length - done}`;
}
function show(index) {
  if (!items.length) { $('empty').hidden = false; $('work').hidden = true; progress(); return; }
  at = Math.max(0, Math.min(items.length - 1, index));
  const item = items[at];
  $('position').textContent = `Answer ${at + 1} of ${items.length}`;
  $('who').textContent = `${item.student_id} · ${item.exercise} · ${item.grade_id}`;
  $('state').textContent = reviewed(item) ? 'reviewed' : 'pending';
  $('state').className = reviewed(item) ? 'done' : 'todo';
  $('prompt').textContent = item.prompt;
  $('answer').textContent = item.answer || '(no answer)';
  $('rubric').textContent = item.rubric || '(no rubric in the instructor notebook)';
  $('max').textContent = item.max_points;
  $('points').value = item.points;
  $('points').setAttribute('aria-invalid', 'false');
  $('comment').value = item.comment;
  const list = $('reusable');
  list.replaceChildren();
  item.reusable.forEach((text, i) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `${i + 1}. ${text}`;
    button.title = `Alt+${i + 1}`;
    button.addEventListener('click', () => reuse(i));
    list.appendChild(button);
  });
  $('reusable-none').hidden = item.reusable.length > 0;
  progress();
  $('points').focus();
  $('points').select();
}
function reuse(i) {
  const text = items[at].reusable[i];
  if (text === undefined) return;
  const box = $('comment');
  box.value = box.value.trim() ? `${box.value.trim()}\\n${text}` : text;
  changed();
}
function changed() {
  const item = items[at];
  item.points = $('points').value.trim();
  item.comment = $('comment').value;
  dirty = true;
  clearTimeout(timer);
  timer = setTimeout(save, 300);
}
async function save() {
  clearTimeout(timer);
  if (!dirty) return true;
  dirty = false;
  const item = items[at];
  const body = {token: TOKEN, student_id: item.student_id, exercise: item.exercise, grade_id: item.grade_id,
                points: item.points, comment: item.comment};
  $('status').textContent = 'saving…'; $('status').className = '';
  try {
    const reply = await fetch('/api/review', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                               body: JSON.stringify(body)});
    const data = await reply.json();
    if (!reply.ok) throw new Error(data.error || reply.statusText);
    $('status').textContent = `saved ${item.student_id} · ${item.grade_id}`;

    $('points').setAttribute('aria-invalid', 'false');
    $('state').textContent = reviewed(item) ? 'reviewed' : 'pending';
    $('state').className = reviewed(item) ? 'done' : 'todo';
    progress();
    return true;
  } catch (error) {
    dirty = true;  // kept until it is fixed: leaving the answer retries and stops on the same error
    $('status').textContent = `not saved: ${error.message}`; $('status').className = 'error';
    $('points').setAttribute('aria-invalid', 'true');
    return false;
  }
}
function remember(item) {  // a comment, once the answer is left, is offered again for the same question
  const given = item.comment.trim();
  if (!given) return;
  items.filter(o => o.exercise === item.exercise && o.grade_id === item.grade_id && !o.reusable.includes(given))
       .forEach(o => { o.reusable = [given, ...o.reusable].slice(0, 9); });
}
async function go(index) { if (await save()) { remember(items[at]); show(index); } }
async function nextPending() {
  if (!(await save())) return;
  remember(items[at]);
  for (let step = 1; step <= items.length; step++) {
    const index = (at + step) % items.length;
    if (!reviewed(items[index])) { show(index); return; }
  }
  $('status').textContent = 'every answer is reviewed'; $('status').className = '';
}
document.addEventListener('keydown', event => {
  if (event.altKey && /^[1-9]$/.test(event.key)) { event.preventDefault(); reuse(Number(event.key) - 1); return; }
  const typing = ['INPUT', 'TEXTAREA'].includes(document.activeElement.tagName);
  if (event.key === 'Enter' && (document.activeElement.id === 'points' || event.ctrlKey)) {
    event.preventDefault(); go(at + 1); return;
  }
  if (event.key === 'Escape' && typing) { document.activeElement.blur(); return; }
  if (typing) return;
  if (event.key === 'ArrowRight' || event.key === 'j') go(at + 1);
  else if (event.key === 'ArrowLeft' || event.key === 'k') go(at - 1);
  else if (event.key === 'n') nextPending();
  else if (event.key === 'p') { event.preventDefault(); $('points').focus(); }
  else return;
  event.preventDefault();
});
window.addEventListener('beforeunload', () => {
  if (!dirty) return;
  const item = items[at];
  navigator.sendBeacon('/api/review', JSON.stringify({token: TOKEN, student_id: item.student_id,
    exercise: item.exercise, grade_id: item.grade_id, points: item.points, comment: item.comment}));
});
$('points').addEventListener('input', changed);
$('comment').addEventListener('input', changed);
$('next').addEventListener('click', () => go(at + 1));
$('prev').addEventListener('click', () => go(at - 1));
$('pending').addEventListener('click', nextPending);
fetch('/api/items').then(r => r.json()).then(data => {
  items = data.items;
  const first = items.findIndex(item => !reviewed(item));
  show(first < 0 ? 0 : first);
  document.body.dataset.ready = 'true';
});
"""

_BODY = """
<header><h1>Review written answers</h1><span id="progress"></span><span id="position"></span>
<span id="status" role="status" aria-live="polite"></span></header>
<p id="empty" hidden style="padding:1rem">No written answers to review: grade a class whose exercises have
manually graded cells first.</p>
<main id="work">
<section aria-label="answer"><div class="meta"><span id="who"></span> · <span id="state"></span></div>
<pre id="prompt" class="meta"></pre><h2>Answer</h2><pre id="answer"></pre></section>
<section aria-label="review"><h2>Rubric</h2><pre id="rubric"></pre>
<label for="points">Points (out of <span id="max"></span>)</label>
<input id="points" inputmode="decimal" autocomplete="off">
<label for="comment">Comment for the learner</label><textarea id="comment"></textarea>
<label>Reusable comments <small>(Alt+1 … Alt+9)</small></label><div id="reusable"></div>
<p id="reusable-none" class="meta">Comments you write for this question appear here for the next answers.</p>
<nav><button id="prev" type="button">← Previous</button><button id="next" type="button">Next →</button>
<button id="pending" type="button">Next pending (n)</button></nav>
<p class="meta">Every change is saved at once. Keys: <kbd>→</kbd>/<kbd>j</kbd> next, <kbd>←</kbd>/<kbd>k</kbd>
previous, <kbd>n</kbd> next pending, <kbd>p</kbd> points, <kbd>Enter</kbd> in points or <kbd>Ctrl+Enter</kbd>
in the comment: next, <kbd>Esc</kbd> leaves a box.</p></section>
</main>
"""


def page_html(token: str) -> str:
    """The review page, with the server's token for saving."""
    script = _SCRIPT.replace("__TOKEN__", json.dumps(token))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Review written answers</title>"
        f"<style>{_STYLE}</style></head><body>{_BODY}<script>{script}</script></body></html>\n"
    )
