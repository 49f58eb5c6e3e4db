/* Behaviour shared by every page (loaded by base.html). The Content-Security-Policy allows scripts from files
   only (contest/security.py), so pages carry no inline script, style or on… handler; instead:

   - data-confirm on a form or a submit button: ask first; "{name}" in the text is filled from the pressed
     button's data-name (one form can serve many rows: organizer/contest.html).
   - data-width="37.5" on an element (progress bars): its width in percent. Call
     window.ContestUI.applyWidths(root) after inserting such HTML (static/js/entry.js does).
   - data-history-back on a link: go back in the history when there is one, else follow the link. */
(function () {
  'use strict';

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }

  document.addEventListener('submit', function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(fill(message, button ? button.dataset : {}))) event.preventDefault();
  });

  function applyWidths(root) {
    root.querySelectorAll('[data-width]').forEach(function (element) {
      var percent = parseFloat(element.dataset.width);
      if (!isNaN(percent)) element.style.width = Math.max(0, Math.min(100, percent)) + '%';
    });
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('[data-history-back]');
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  window.ContestUI = { applyWidths: applyWidths };
  applyWidths(document);
})();
