/* Judge's rubric form (judging/_rubric_form.html):
   - live preview of the weighted total, Σ points / max × weight over the inputs with data-max and data-weight
     (the server computes the value that counts: contest.services.judging);
   - autosave: every change is kept in this browser's localStorage under the form's data-autosave-key, so a
     phone that locks or reloads mid-form loses nothing; kept values newer than the server's last save
     (data-saved-at, ms) are put back on load, and dropped once the form is sent;
   - keys on a desktop (outside text fields): N next entry, P previous entry, S first score field.
   The confirmation before the final submit is static/js/app.js's. */
(function () {
  'use strict';
  var form = document.getElementById('rubric');
  var out = document.getElementById('total-preview');

  function update() {
    if (!form || !out) return;
    var total = 0, complete = true;
    form.querySelectorAll('input[data-weight]').forEach(function (input) {
      var value = parseFloat(input.value.replace(',', '.'));
      if (isNaN(value)) { complete = false; return; }
      total += value / Number(input.dataset.max) * Number(input.dataset.weight);
    });
    out.textContent = complete ? total.toFixed(3) : '—';
  }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== 'csrf_token' && (el.tagName === 'TEXTAREA' || el.type === 'text' ||
        el.type === 'number');
    });
  }

  function autosave() {
    var key = form.dataset.autosaveKey;
    if (!key || !window.localStorage) return;
    var savedAt = Number(form.dataset.savedAt || 0);
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { kept = null; }
    if (kept && kept.at > savedAt && kept.values) {
      var changed = false;
      fields().forEach(function (el) {
        if (Object.prototype.hasOwnProperty.call(kept.values, el.name) && el.value !== kept.values[el.name]) {
          el.value = kept.values[el.name];
          changed = true;
        }
      });
      var note = document.getElementById('autosave-restored');
      if (changed && note) note.classList.remove('d-none');
    } else if (kept) {
      localStorage.removeItem(key);
    }
    form.addEventListener('input', function () {
      var values = {};
      fields().forEach(function (el) { values[el.name] = el.value; });
      localStorage.setItem(key, JSON.stringify({ at: Date.now(), values: values }));
    });
    form.addEventListener('submit', function () { localStorage.removeItem(key); });
    var discard = document.getElementById('autosave-discard');
    if (discard) {
      discard.addEventListener('click', function () {
        localStorage.removeItem(key);
        window.location.reload();
      });
    }
  }

  function shortcuts() {
    document.addEventListener('keydown', function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var tag = (event.target.tagName || '').toLowerCase();
      if (tag === 'input' || tag === 'textarea' || tag === 'select' || event.target.isContentEditable) return;
      var key = event.key.toLowerCase(), link = null;
      if (key === 'n') link = document.getElementById('next-entry');
      if (key === 'p') link = document.getElementById('previous-entry');
      if (link) { event.preventDefault(); window.location.href = link.href; return; }
      if (key === 's' && form) {
        var first = form.querySelector('input[data-weight]');
        if (first) { event.preventDefault(); first.focus(); }
      }
    });
  }

  if (form) {
    autosave();
    form.addEventListener('input', update);
    update();
  }
  shortcuts();
})();
