/* Counts one play per video element and page load, on its first "play" event (see _macros/player.html).
   Listens on the document (capture phase) so players inserted later are counted too; safe to load twice. */
(function () {
  'use strict';
  if (window.contestPlayerLoaded) return;
  window.contestPlayerLoaded = true;

  document.addEventListener('play', function (event) {
    var video = event.target;
    if (!(video instanceof HTMLVideoElement) || !video.dataset.playsUrl || video.dataset.counted) return;
    video.dataset.counted = '1';
    fetch(video.dataset.playsUrl, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: true,
      headers: { 'X-CSRFToken': video.dataset.csrf, 'Accept': 'application/json' }
    }).catch(function () { /* a lost count is not worth bothering the viewer */ });
  }, true);
})();
