/* Export job page (exports/job.html): while the job is queued or running, ask its JSON status
   (data-status-url: {"state", "label", "download_url", …}) every few seconds and reload the page once the state
   has changed, so that the server draws the download link or the reason of the failure. */
(function () {
  'use strict';
  var box = document.getElementById('export-job');
  if (!box || ['queued', 'running'].indexOf(box.dataset.state) < 0) return;
  var delay = 2000;
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status && status.state !== box.dataset.state) {
          window.location.reload();
          return;
        }
        delay = Math.min(delay * 1.5, 15000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 15000); });
  }
  window.setTimeout(poll, delay);
})();
