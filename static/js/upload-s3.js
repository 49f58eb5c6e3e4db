/* Uppy uploader for data-upload-mode "s3" (window.ContestDirectS3, used by upload.js): the video goes from the
   browser straight to the bucket by presigned multipart upload, against the JSON endpoints of
   contest/uploads/s3.py — POST {endpoint} {entry_id, filename, size, type} → {uploadId, key, token, partSize};
   …/sign {token, partNumber} → {url}; …/parts {token} → {parts}; …/complete {token, parts} → {redirect};
   …/abort {token}. Every POST carries X-CSRFToken; errors are {"errors": [sentences]}.

   Why not Uppy's own AwsS3 plugin: Uppy 6.0 rewrote it and removed the per-step callbacks
   (createMultipartUpload, signPart, listParts, completeMultipartUpload, abortMultipartUpload). Its remaining
   signRequest mode has the browser send CreateMultipartUpload / ListParts / CompleteMultipartUpload to the bucket
   itself, whereas here the server opens, lists and joins the upload (checking the parts and the contest's size
   limit before joining). So this small plugin only PUTs parts: PARALLEL at a time, each retried after
   RETRY_DELAYS_MS (network error, 5xx, 429, an expired URL: re-signed), waiting for the connection to come back
   when the phone is offline. Uppy core still holds the file, restrictions, progress events and Cancel.

   The token of a file is kept in localStorage under "contest-s3::<Uppy file id>" (the id names the entry and
   the file), so choosing the same file again, even after a reload, asks …/parts and sends only what is missing. */
(function () {
  'use strict';
  if (!window.Uppy || !window.Uppy.BasePlugin) return;
  const PARALLEL = 3;
  const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000];
  const STORE = 'contest-s3::';

  function failure(message, status, messages) {
    const error = new Error(message);
    error.status = status;
    error.messages = messages && messages.length ? messages : null;
    return error;
  }

  function retryable(error) {
    const status = error.status;
    return !status || status >= 500 || status === 429 || (error.fromBucket && status === 403);  // 403: expired
  }

  function pause(ms, signal) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      const stop = () => { clearTimeout(timer); reject(failure('aborted', 0)); };
      signal.addEventListener('abort', stop, { once: true });
    });
  }

  function online(signal) {
    if (navigator.onLine !== false) return Promise.resolve();
    return new Promise((resolve) => {
      window.addEventListener('online', resolve, { once: true });
      signal.addEventListener('abort', resolve, { once: true });
    });
  }

  function load(key) {
    try {
      return JSON.parse(localStorage.getItem(key) || 'null');
    } catch (ignored) {  // storage switched off or not JSON: nothing to resume
      return null;
    }
  }

  function save(key, value) {
    try {
      if (value) localStorage.setItem(key, JSON.stringify(value)); else localStorage.removeItem(key);
    } catch (ignored) { /* storage switched off: no resuming after a reload */ }
  }

  /* PUT one part to its presigned URL; resolves with the bucket's ETag. */
  function put(url, blob, signal, onBytes) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      xhr.upload.onprogress = (event) => onBytes(event.loaded);
      xhr.onload = () => {
        const etag = xhr.getResponseHeader('ETag');
        if (xhr.status >= 200 && xhr.status < 300 && etag) { onBytes(blob.size); resolve(etag); return; }
        const error = failure(etag ? `the bucket answered ${xhr.status}`
          : 'the bucket does not expose the ETag header (CORS ExposeHeaders)', xhr.status);
        error.fromBucket = true;
        reject(error);
      };
      xhr.onerror = () => reject(failure('network error', 0));
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(blob);
    });
  }

  class DirectS3Upload extends window.Uppy.BasePlugin {
    constructor(uppy, opts) {  // opts: {endpoint, csrf}
      super(uppy, opts);
      this.type = 'uploader';
      this.id = 'ContestDirectS3';
      this.running = {};  // Uppy file id → {controller, token, cancelled}
      this.upload = this.upload.bind(this);
      this.cancelAll = this.cancelAll.bind(this);
    }

    install() { this.uppy.addUploader(this.upload); this.uppy.on('cancel-all', this.cancelAll); }

    uninstall() { this.uppy.removeUploader(this.upload); this.uppy.off('cancel-all', this.cancelAll); }

    upload(fileIDs) {
      const files = this.uppy.getFilesByIds(fileIDs);
      this.uppy.emit('upload-start', files);
      return Promise.all(files.map((file) => this.uploadFile(file)));
    }

    /* Cancel: stop the PUTs, abort the multipart upload on the server (its parts are dropped), forget it. */
    cancelAll() {
      Object.entries(this.running).forEach(([id, run]) => {
        run.cancelled = true;
        run.controller.abort();
        if (run.token) this.abortOnServer(run.token);
        save(STORE + id, null);
      });
    }

    abortOnServer(token) {
      this.post('/abort', { token }).catch(() => { /* left to `flask storage cleanup` */ });
    }

    async post(path, body, signal) {
      let reply;
      try {
        reply = await fetch(this.opts.endpoint + path, {
          method: 'POST', credentials: 'same-origin', body: JSON.stringify(body), signal,
          headers: { 'Content-Type': 'application/json', 'Accept': 'application/json',
                     'X-CSRFToken': this.opts.csrf },
        });
      } catch (error) {
        throw failure('network error', 0);
      }
      const json = reply.status === 204 ? {} : await reply.json().catch(() => ({}));
      if (!reply.ok) throw failure(`${path || '/'} answered ${reply.status}`, reply.status, json.errors);
      return json;
    }

    /* The saved session of this file and the parts the bucket holds, or a new multipart upload. */
    async session(file, signal) {
      const saved = load(STORE + file.id);
      if (saved) {
        try {
          return { ...saved, held: (await this.post('/parts', { token: saved.token }, signal)).parts };
        } catch (error) {
          if (retryable(error)) throw error;
          save(STORE + file.id, null);  // expired or gone: start afresh
        }
      }
      const reply = await this.post('', { entry_id: Number(file.meta.entry_id), filename: file.name,
                                          size: file.size, type: file.type }, signal);
      const session = { token: reply.token, partSize: reply.partSize, filename: file.name };
      save(STORE + file.id, session);
      return { ...session, held: [] };
    }

    async uploadFile(file) {
      const run = this.running[file.id] = { controller: new AbortController(), token: null, cancelled: false };
      const signal = run.controller.signal;
      try {
        const session = await this.session(file, signal);
        run.token = session.token;
        if (run.cancelled) { this.abortOnServer(session.token); return; }  // cancelled before the token came
        const parts = this.plan(file.size, session);
        const report = () => this.uppy.emit('upload-progress', this.uppy.getFile(file.id), {
          uploadStarted: Date.now(), bytesTotal: file.size,
          bytesUploaded: parts.reduce((sum, part) => sum + part.sent, 0),
        });
        report();
        const todo = parts.filter((part) => !part.etag);
        const worker = async () => {
          for (let part = todo.shift(); part; part = todo.shift()) {
            const onBytes = (bytes) => { part.sent = bytes; report(); };
            part.etag = await this.sendPart(file, session, part, signal, onBytes);
          }
        };
        await Promise.all(Array.from({ length: Math.min(PARALLEL, todo.length) }, worker));
        const reply = await this.post('/complete', {
          token: session.token, parts: parts.map((part) => ({ PartNumber: part.number, ETag: part.etag })),
        }, signal);
        save(STORE + file.id, null);
        this.uppy.emit('upload-success', this.uppy.getFile(file.id),
                       { status: 200, body: reply, uploadURL: reply.redirect });
      } catch (error) {
        if (run.cancelled) return;
        run.controller.abort();  // the other parts in flight
        if (!retryable(error)) save(STORE + file.id, null);  // refused: nothing to resume
        this.uppy.emit('upload-error', this.uppy.getFile(file.id), error);
      } finally {
        delete this.running[file.id];
      }
    }

    /* Parts 1…n of partSize bytes (the last smaller); those the bucket already holds in full are done. */
    plan(size, session) {
      const held = {};
      session.held.forEach((part) => { held[part.PartNumber] = part; });
      const parts = [];
      for (let start = 0, number = 1; start < size || number === 1; start += session.partSize, number++) {
        const end = Math.min(size, start + session.partSize);
        const have = held[number] && held[number].Size === end - start ? held[number] : null;
        parts.push({ number, start, end, etag: have ? have.ETag : null, sent: have ? end - start : 0 });
      }
      return parts;
    }

    async sendPart(file, session, part, signal, onBytes) {
      for (let attempt = 0; ; attempt++) {
        try {
          const { url } = await this.post('/sign', { token: session.token, partNumber: part.number }, signal);
          return await put(url, file.data.slice(part.start, part.end), signal, onBytes);
        } catch (error) {
          if (signal.aborted || !retryable(error) || attempt >= RETRY_DELAYS_MS.length) throw error;
          onBytes(0);
          await online(signal);
          await pause(RETRY_DELAYS_MS[attempt], signal);
        }
      }
    }
  }

  window.ContestDirectS3 = DirectS3Upload;
})();
