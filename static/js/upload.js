/* Resumable video upload on the entry page with Uppy 6 (static/vendor/uppy, headless: the page draws its own
   Bootstrap progress with percent, MB/s and time left). Without JavaScript, or without Uppy, the plain multipart
   form posts to /my/entries/<id>/video as before.

   data-upload-mode "tus" (local storage): Uppy's Tus plugin against /uploads/tus/ (contest/uploads/views.py) in
   PATCHes of data-tus-chunk-bytes. tus-js-client keeps the upload URL in localStorage under a fingerprint of this
   entry and the file (name, type, size, modification time): choosing the same file again, even after a reload,
   continues from the server's offset. The final PATCH answers Upload-Result: ok, or 422 {"errors": [...]}.

   data-upload-mode "s3": the parts go straight to the bucket through presigned URLs of data-s3-endpoint
   (static/js/upload-s3.js, an Uppy uploader; resumes from the parts the bucket holds, also after a reload).

   After success the entry page is loaded again: its status panel follows the processing. */
(function () {
  'use strict';
  var form = document.getElementById('upload-form');
  if (!form || !window.Uppy || !window.Uppy.Uppy || !window.fetch) return;
  if (form.dataset.uploadMode === 's3' && !window.ContestDirectS3) return;

  var data = form.dataset;
  var input = form.querySelector('input[type=file]');
  var button = form.querySelector('button[type=submit]');
  var cancelButton = form.querySelector('[data-upload-cancel]');
  var errors = form.querySelector('[data-upload-errors]');
  var pending = form.querySelector('[data-upload-pending]');
  var area = form.querySelector('[data-upload-progress-area]');
  var progress = form.querySelector('[data-upload-progress]');
  var bar = progress.querySelector('.progress-bar');
  var status = form.querySelector('[data-upload-status]');
  var token = form.querySelector('input[name=csrf_token]');
  var csrf = token ? token.value : '';
  var maxBytes = parseInt(data.maxBytes, 10);
  var uppyId = 'contest-entry-' + data.entryId;  // prefix of Uppy's file ids, hence of the stored fingerprints
  var TUS_STORE = 'tus::tus-' + uppyId + '-';
  var S3_STORE = 'contest-s3::' + uppyId + '-';  // upload-s3.js's sessions of this entry's files
  var SMOOTHING_S = 3;  // time constant of the speed average, seconds
  var meter = null;

  var uppy = new window.Uppy.Uppy({
    id: uppyId, autoProceed: false,
    restrictions: { maxFileSize: maxBytes || null, maxNumberOfFiles: 1 },
  });
  var s3 = data.uploadMode === 's3';
  if (s3) {
    uppy.use(window.ContestDirectS3, { endpoint: data.s3Endpoint, csrf: csrf });
  } else {
    uppy.use(window.Uppy.Tus, {
      endpoint: data.tusEndpoint,
      chunkSize: parseInt(data.tusChunkBytes, 10) || 8 * 1048576,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      headers: { 'X-CSRFToken': csrf },
      allowedMetaFields: ['entry_id', 'filename', 'filetype'],
      removeFingerprintOnSuccess: true,
      limit: 1,
    });
  }

  // --- display ------------------------------------------------------------------------------------------

  function show(el, visible) { el.classList.toggle('d-none', !visible); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }
  function megabytes(bytes) { return (bytes / 1048576).toFixed(2); }  // 2 decimals: 1.01 MB never reads as 1 MB
  function say(text) { status.textContent = text; show(status, Boolean(text)); }
  function busy(yes) {
    button.disabled = yes;
    input.disabled = yes;
    show(cancelButton, yes);
  }

  function showErrors(messages) {
    errors.replaceChildren();
    messages.forEach(function (text) {
      var line = document.createElement('div');
      line.textContent = text;
      errors.appendChild(line);
    });
    show(errors, messages.length > 0);
    show(area, false);
    say('');
    busy(false);
  }

  function duration(seconds) {
    var s = Math.max(1, Math.round(seconds)), m = Math.floor(s / 60);
    if (m === 0) return fill(data.msgSeconds, { s: s });
    return fill(data.msgMinutes, { m: m, s: String(s % 60).padStart(2, '0') });
  }

  /* Percent, bytes, speed (exponential moving average of bytes/s over SMOOTHING_S, so that bursts of the
     browser's progress events do not make it jump) and the time left at that speed. */
  function onProgress(file, p) {
    var now = performance.now(), done = p.bytesUploaded || 0, total = p.bytesTotal || file.size;
    if (!meter) {  // the first report: bytes already on the server when resuming, not speed
      meter = { bytes: done, time: now, speed: 0 };
      if (done > 0) say(fill(data.msgResumed, { percent: Math.floor(done / total * 100) + '%' }));
    } else if (now - meter.time >= 500) {
      var seconds = (now - meter.time) / 1000, rate = Math.max(0, done - meter.bytes) / seconds;
      var weight = 1 - Math.exp(-seconds / SMOOTHING_S);
      meter.speed = meter.speed ? meter.speed + weight * (rate - meter.speed) : rate;
      meter.bytes = done;
      meter.time = now;
    }
    render(done, total);
  }

  function render(done, total) {
    var percent = total ? Math.floor(done / total * 100) : 0;
    bar.style.width = percent + '%';
    progress.setAttribute('aria-valuenow', String(percent));
    area.querySelector('[data-upload-percent]').textContent = percent + '%';
    area.querySelector('[data-upload-bytes]').textContent = megabytes(done) + ' / ' + megabytes(total) + ' MB';
    var speed = meter ? meter.speed : 0;
    area.querySelector('[data-upload-speed]').textContent = speed ? megabytes(speed) + ' MB/s' : '';
    area.querySelector('[data-upload-eta]').textContent = done >= total ? ''
      : speed ? fill(data.msgTimeLeft, { time: duration((total - done) / speed) }) : data.msgEstimating;
    if (total && done >= total) say(data.msgChecking);
  }

  /* An upload left unfinished on this device (after a reload): say which file to choose again. */
  function showPending() {
    storedKeys().some(function (key) {
      var name = null;
      try {
        if (key.indexOf(TUS_STORE) === 0) name = JSON.parse(localStorage.getItem(key)).metadata.filename;
        if (key.indexOf(S3_STORE) === 0) name = JSON.parse(localStorage.getItem(key)).filename;
      } catch (ignored) { /* not ours after all */ }
      if (name) { pending.textContent = fill(data.msgPending, { name: name }); show(pending, true); }
      return Boolean(name);
    });
  }

  function forget(prefix) {
    storedKeys().forEach(function (key) { if (key.indexOf(prefix) === 0) localStorage.removeItem(key); });
  }

  function storedKeys() {
    try {
      return Object.keys(window.localStorage);
    } catch (ignored) {  // storage switched off: nothing to resume from (tus-js-client copes)
      return [];
    }
  }

  // --- events -------------------------------------------------------------------------------------------

  uppy.on('upload-progress', onProgress);

  uppy.on('upload-success', function (file, response) {
    var finished = s3 ? Promise.resolve(response.body.redirect) : tusResult(file, response);
    finished.then(function (url) {
      forget(TUS_STORE);  // also other files' unfinished uploads to this entry: this video replaces them
      forget(S3_STORE);
      window.location.assign(url || data.entryUrl);
    }, failed(file));
  });

  uppy.on('upload-error', function (file, error, response) { failed(file)(error, response); });

  function failed(file) {
    return function (error, response) {
      var xhr = response && response.body && response.body.xhr;
      var messages = (error && error.messages) || (xhr && serverMessages(xhr)) || [data.msgFailed];
      if (!s3 && xhr && [404, 410, 422].indexOf(xhr.status) >= 0) forget('tus::tus-' + file.id + '-');  // gone
      showErrors(messages);
    };
  }

  /* Sentences from our servers: JSON {"errors": [...]} (422) or a text/plain sentence (other 4xx). */
  function serverMessages(xhr) {
    if (xhr.status < 400 || xhr.status >= 500) return null;
    var type = xhr.getResponseHeader('Content-Type') || '';
    try {
      if (type.indexOf('application/json') === 0) return JSON.parse(xhr.responseText).errors || null;
    } catch (ignored) { return null; }
    return type.indexOf('text/plain') === 0 && xhr.responseText ? [xhr.responseText] : null;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var file = input.files && input.files[0];
    if (!file) { showErrors([data.msgChoose]); return; }
    if (maxBytes && file.size > maxBytes) {
      showErrors([fill(data.msgTooLarge, { size: megabytes(file.size) })]);
      return;
    }
    uppy.getFiles().forEach(function (old) { uppy.removeFile(old.id); });  // an earlier failed attempt
    var id;
    try {
      id = uppy.addFile({ name: file.name, type: file.type, data: file, source: 'upload-form',
                          meta: { entry_id: data.entryId, filename: file.name, filetype: file.type } });
    } catch (error) {
      showErrors([error.message]);
      return;
    }
    meter = null;
    show(errors, false);
    show(pending, false);
    render(0, file.size);
    say('');
    show(area, true);
    busy(true);
    uppy.upload().catch(function (error) { failed(uppy.getFile(id) || { id: id })(error); });
  });

  cancelButton.addEventListener('click', function () {
    uppy.cancelAll();  // tus: DELETE of the upload; S3: abort of the multipart upload
    showErrors([]);
    say(data.msgCancelled);
  });

  showPending();

  // --- tus ----------------------------------------------------------------------------------------------

  /* The final PATCH says Upload-Result: ok. After a retry tus-js-client may instead learn from HEAD that every
     byte is already there (the final PATCH failed on the server, which then keeps the file): an empty PATCH at
     offset == length asks the server to attach it again. */
  function tusResult(file, response) {
    var xhr = response.body && response.body.xhr;
    if (xhr && xhr.getResponseHeader('Upload-Result') === 'ok') return Promise.resolve(null);
    return fetch(response.uploadURL, {
      method: 'PATCH', credentials: 'same-origin', body: '',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': String(file.size), 'X-CSRFToken': csrf,
                 'Content-Type': 'application/offset+octet-stream' },
    }).then(function (reply) {
      if (reply.headers.get('Upload-Result') === 'ok') return null;
      return reply.json().catch(function () { return {}; }).then(function (body) { throw rejection(body); });
    });
  }

  function rejection(body) {
    var error = new Error('upload rejected');
    error.messages = body && body.errors && body.errors.length ? body.errors : null;
    return error;
  }
})();
