/* Judge's rubric form (judging/_rubric_form.html): live preview of the weighted total,
   Σ points / max × weight over the inputs with data-max and data-weight. The server computes the value that
   counts (contest.services.judging). The confirmation before the final submit is static/js/app.js's. */
(function () {
  'use strict';
  var form = document.getElementById('rubric');
  var out = document.getElementById('total-preview');
  if (!form || !out) return;

  function update() {
    var total = 0, complete = true;
    form.querySelectorAll('input[data-weight]').forEach(function (input) {
      var value = parseFloat(input.value.replace(',', '.'));
      if (isNaN(value)) { complete = false; return; }
      total += value / Number(input.dataset.max) * Number(input.dataset.weight);
    });
    out.textContent = complete ? total.toFixed(3) : '—';
  }

  form.addEventListener('input', update);
  update();
})();
