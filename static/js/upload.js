/* Video upload with a progress bar (entry page). Without JavaScript the plain multipart form still works.
   The form posts with XMLHttpRequest (Accept: application/json): the server answers {"redirect": url} on success,
   {"errors": [...]} (422) on a rejected file, or 413 when the body is over the contest's limit. */
(function () {
  'use strict';
  var form = document.getElementById('upload-form');
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  var input = form.querySelector('input[type=file]');
  var button = form.querySelector('button[type=submit]');
  var errors = form.querySelector('[data-upload-errors]');
  var progress = form.querySelector('[data-upload-progress]');
  var bar = progress.querySelector('.progress-bar');
  var status = form.querySelector('[data-upload-status]');
  var maxBytes = parseInt(form.dataset.maxBytes, 10);

  function show(el, visible) { el.classList.toggle('d-none', !visible); }

  function showErrors(messages) {
    errors.replaceChildren();
    messages.forEach(function (text) {
      var line = document.createElement('div');
      line.textContent = text;
      errors.appendChild(line);
    });
    show(errors, messages.length > 0);
    show(progress, false);
    show(status, false);
    button.disabled = false;
    input.disabled = false;
  }

  function setProgress(percent) {
    bar.style.width = percent + '%';
    bar.textContent = percent + '%';
    progress.setAttribute('aria-valuenow', String(percent));
  }

  // Two decimals so that a file just over the limit never reads as equal to it (1.01 MB vs 1 MB).
  function megabytes(bytes) { return (bytes / 1048576).toFixed(2); }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var file = input.files && input.files[0];
    if (!file) { showErrors([form.dataset.msgChoose]); return; }
    if (maxBytes && file.size > maxBytes) {
      showErrors([form.dataset.msgTooLarge.replace('{size}', megabytes(file.size))]);
      return;
    }
    var data = new FormData(form);  // read before disabling the input (disabled fields are not sent)
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('Accept', 'application/json');
    var token = form.querySelector('input[name=csrf_token]');
    if (token) xhr.setRequestHeader('X-CSRFToken', token.value);

    xhr.upload.addEventListener('progress', function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.floor(e.loaded / e.total * 100);
      setProgress(percent);
      if (e.loaded >= e.total) { status.textContent = form.dataset.msgChecking; show(status, true); }
    });
    xhr.addEventListener('load', function () {
      var reply = null;
      try { reply = JSON.parse(xhr.responseText); } catch (ignored) { /* an HTML error page */ }
      if (xhr.status < 300 && reply && reply.redirect) { window.location.assign(reply.redirect); return; }
      if (reply && reply.errors && reply.errors.length) { showErrors(reply.errors); return; }
      if (xhr.status === 413) { showErrors([form.dataset.msgTooLarge.replace('{size}', megabytes(file.size))]); return; }
      showErrors([form.dataset.msgFailed]);
    });
    xhr.addEventListener('error', function () { showErrors([form.dataset.msgFailed]); });

    show(errors, false);
    setProgress(0);
    show(progress, true);
    button.disabled = true;
    input.disabled = true;
    xhr.send(data);
  });
})();
