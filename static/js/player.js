/* Counts one play per video element and page load, on its first "play" event (see _macros/player.html), and
   reloads an expired presigned video URL.
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

  // With S3 storage the video URL redirects to a presigned URL that expires (S3_PRESIGN_EXPIRES): when a later
  // range request fails, load our URL again (a fresh redirect) and go on where the viewer was. At most once
  // every 10 s, so a video that really cannot play does not loop.
  document.addEventListener('error', function (event) {
    var target = event.target;
    var video = target instanceof HTMLSourceElement ? target.parentElement : target;
    if (!(video instanceof HTMLVideoElement) || !video.dataset.playsUrl) return;
    var now = Date.now();
    if (video.dataset.reloadedAt && now - Number(video.dataset.reloadedAt) < 10000) return;
    video.dataset.reloadedAt = String(now);
    var at = video.currentTime, playing = !video.paused;
    video.load();
    video.addEventListener('loadedmetadata', function () {
      video.currentTime = at;
      if (playing) video.play().catch(function () {});
    }, { once: true });
  }, true);
})();
