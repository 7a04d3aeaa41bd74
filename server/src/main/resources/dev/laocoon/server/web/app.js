// Laocoon's page: sign in with a token (kept for this tab only), upload with a progress bar, show
// the result the service renders, list recent scans. The form works without this script too.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem('laocoon.token');

  function show(signedIn) {
    $('signin').hidden = signedIn;
    $('upload').hidden = !signedIn;
    $('form-token-row').hidden = true;
    $('signout').hidden = !signedIn;
    $('who').hidden = !signedIn;
    $('recent').hidden = !signedIn;
    if (signedIn) { recent(); }
  }

  function api(method, path, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var x = new XMLHttpRequest();
      x.open(method, path);
      x.setRequestHeader('Authorization', 'Bearer ' + token);
      x.setRequestHeader('Accept', 'application/json');
      if (onProgress && x.upload) { x.upload.onprogress = onProgress; }
      x.onload = function () { resolve(x); };
      x.onerror = function () { reject(new Error('the service could not be reached')); };
      x.send(body);
    });
  }

  function recent() {
    api('GET', '/v1/scans?limit=20').then(function (x) {
      if (x.status !== 200) { return; }
      var rows = $('recent-rows');
      rows.textContent = '';
      JSON.parse(x.responseText).scans.forEach(function (s) {
        var tr = document.createElement('tr');
        [new Date(s.created).toLocaleString(), s.name, s.verdict || '', s.status].forEach(function (v, i) {
          var td = document.createElement('td');
          td.textContent = v;
          if (i === 2 && v) { td.className = 'v-' + v; }
          tr.appendChild(td);
        });
        rows.appendChild(tr);
      });
    });
  }

  $('signin-form').addEventListener('submit', function (e) {
    e.preventDefault();
    token = $('signin-token').value.trim();
    api('GET', '/v1/scans?limit=1').then(function (x) {
      if (x.status === 200) {
        sessionStorage.setItem('laocoon.token', token);
        $('who').textContent = 'tenant ' + JSON.parse(x.responseText).tenant;
        $('signin-error').hidden = true;
        show(true);
      } else {
        $('signin-error').textContent = x.status === 401 ? 'That token is not valid.' : 'Sign-in failed (' + x.status + ').';
        $('signin-error').hidden = false;
      }
    }, function (err) { $('signin-error').textContent = err.message; $('signin-error').hidden = false; });
  });

  $('signout').addEventListener('click', function () {
    sessionStorage.removeItem('laocoon.token');
    token = null;
    $('result').textContent = '';
    show(false);
  });

  var drop = $('drop');
  drop.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
  drop.addEventListener('drop', function (e) {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) { $('file').files = e.dataTransfer.files; }
  });

  $('upload-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var f = $('file').files[0];
    if (!f) { return; }
    var data = new FormData();
    data.append('answer', 'fragment');
    data.append('explain', 'true');
    if ($('repository').checked) { data.append('repository', 'true'); }
    data.append('file', f, f.name);
    var p = $('progress');
    p.hidden = false;
    p.classList.remove('scanning');
    $('bar').style.width = '0';
    $('phase').textContent = 'Uploading ' + f.name + '...';
    $('scan').disabled = true;
    $('result').textContent = '';
    api('POST', '/v1/scans', data, function (ev) {
      if (ev.lengthComputable) {
        $('bar').style.width = Math.round(100 * ev.loaded / ev.total) + '%';
        if (ev.loaded === ev.total) { p.classList.add('scanning'); $('phase').textContent = 'Scanning...'; }
      }
    }).then(function (x) {
      $('scan').disabled = false;
      p.hidden = true;
      if (x.status === 200 || x.status === 202) {
        $('result').innerHTML = x.responseText; // rendered and escaped by the service
      } else {
        var m = 'The scan failed (' + x.status + ')';
        try { m += ': ' + JSON.parse(x.responseText).error; } catch (ignored) { }
        var el = document.createElement('p');
        el.className = 'error card';
        el.textContent = m;
        $('result').appendChild(el);
      }
      recent();
    }, function (err) { $('scan').disabled = false; p.hidden = true; $('result').textContent = err.message; });
  });

  if (token) {
    api('GET', '/v1/scans?limit=1').then(function (x) {
      if (x.status === 200) { $('who').textContent = 'tenant ' + JSON.parse(x.responseText).tenant; show(true); }
      else { sessionStorage.removeItem('laocoon.token'); token = null; show(false); }
    });
  } else {
    show(false);
  }
}());
