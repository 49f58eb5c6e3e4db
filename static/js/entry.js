/* Entry page: refresh the status panel every 2 s while the video is waiting or processing, so that its
   progress, state, poster and player appear without reloading the page; and keep the poster form's slider
   and seconds field together, the slider showing that frame in the player. (The confirmations before submit
   and withdraw are static/js/app.js's data-confirm.) */
(function () {
  'use strict';
  var POLL_MS = 2000;
  var BUSY = ['pending', 'processing'];

  document.addEventListener('input', function (event) {
    var form = event.target.closest && event.target.closest('[data-poster-form]');
    if (!form) return;
    var slider = form.querySelector('[data-poster-slider]');
    var seconds = form.querySelector('[data-poster-seconds]');
    var value = parseFloat(event.target.value);
    if (isNaN(value)) return;
    if (event.target === slider) seconds.value = value.toFixed(1);
    else slider.value = value;
    var player = panel() && panel().querySelector('video');
    if (player && player.readyState > 0) {
      player.pause();
      player.currentTime = Math.min(value, player.duration || value);
    }
  });

  function panel() { return document.getElementById('entry-status'); }

  function poll() {
    var current = panel();
    if (!current || BUSY.indexOf(current.dataset.videoState) < 0) return;
    fetch(current.dataset.statusUrl, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (reply) {
        if (reply && reply.html) {
          var holder = document.createElement('div');
          holder.innerHTML = reply.html;
          var fresh = holder.querySelector('#entry-status');
          if (fresh) {
            panel().replaceWith(fresh);
            window.ContestUI.applyWidths(fresh);  // the processing progress bar
          }
        }
      })
      .catch(function () { /* try again on the next tick */ })
      .finally(function () { window.setTimeout(poll, POLL_MS); });
  }

  window.setTimeout(poll, POLL_MS);
})();
