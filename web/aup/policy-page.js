// The read-only policy page opens in a browser or inside Teams (a stage view or tab). Inside Teams the
// host is told the page has loaded and the page follows the Teams theme; in a browser app.initialize()
// rejects (there is no host to answer) and the page stays as it is.
//
// Inside Teams, Teams SSO can also say who is reading: with a token the page asks DSL Desk whether this
// person has signed this version, and either says so or offers the signing form the server rendered
// hidden. Without a token (no SSO, consent not given, an older client) the page stays read-only with a
// quiet pointer to the card, which can always sign. Nothing here is needed to read the policy.
/* global window, document */
(function () {
  'use strict';
  var teams = window.microsoftTeams;
  if (!teams || !teams.app) return;

  // Teams answers from its cache within a second; a host that never answers must not leave the page waiting.
  var TOKEN_TIMEOUT_MS = 15000;
  var MESSAGES = {
    // The school's own wording can differ from the standard one, so the message says "the box" (as the signing page does).
    agreed: 'Tick the box to confirm you have read and agree to this policy.',
    typedName: 'Type your full name to sign.',
    notRecorded: 'Your signature was not recorded. Try again, or sign from the card in your chat with DSL Desk.',
  };
  // The same form as the server's pages: "6 December 2026 at 15:04 GMT".
  var LONDON_TIME = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });

  var signing = document.querySelector('[data-teams-sign]');
  var policyId = signing && signing.getAttribute('data-policy-id');
  var note = document.querySelector('[data-teams-note]');
  var summary = document.querySelector('[data-error-summary]');
  var signedPanel = document.querySelector('[data-teams-signed]');
  var certificate = document.querySelector('[data-teams-certificate]');
  var pageTitle = document.title;
  var form = null;
  var busy = false;

  function applyTheme(theme) {
    var root = document.documentElement;
    root.classList.remove('theme-default', 'theme-dark', 'theme-contrast');
    root.classList.add(theme === 'dark' ? 'theme-dark' : theme === 'contrast' ? 'theme-contrast' : 'theme-default');
  }

  function followTheme() {
    Promise.resolve()
      .then(function () {
        return teams.app.getContext();
      })
      .then(function (context) {
        applyTheme(context && context.app ? context.app.theme : 'default');
        if (typeof teams.app.registerOnThemeChangeHandler === 'function') teams.app.registerOnThemeChangeHandler(applyTheme);
      })
      .catch(function () {
        // The page's own look is fine when Teams does not say which theme is on.
      });
  }

  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        reject(new Error('Teams did not answer in time'));
      }, ms);
      promise.then(
        function (value) {
          clearTimeout(timer);
          resolve(value);
        },
        function (error) {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  // Asked again before each call: Teams keeps the token fresh, and a page left open for an hour outlives one.
  function getToken() {
    var authentication = teams.authentication;
    if (!authentication || typeof authentication.getAuthToken !== 'function') return Promise.reject(new Error('Teams SSO is not available'));
    var asked = Promise.resolve().then(function () {
      return authentication.getAuthToken();
    });
    return withTimeout(asked, TOKEN_TIMEOUT_MS).then(function (token) {
      if (typeof token !== 'string' || !token) throw new Error('Teams gave no token');
      return token;
    });
  }

  function policyUrl(suffix) {
    return '/api/v1/aup/policies/' + encodeURIComponent(policyId) + suffix;
  }

  /** A call to DSL Desk's API as the person Teams signed in; the answer's status and JSON (null when it has none). */
  function callApi(method, suffix, body) {
    return getToken()
      .then(function (token) {
        var headers = { Accept: 'application/json', Authorization: 'Bearer ' + token };
        var init = { method: method, headers: headers, credentials: 'omit', cache: 'no-store' };
        if (body !== undefined) {
          headers['Content-Type'] = 'application/json';
          // Tells DSL Desk the signature was given inside Teams; it believes this only with an Entra token.
          headers['X-DSL-Desk-Surface'] = 'teams-tab';
          init.body = JSON.stringify(body);
        }
        return fetch(policyUrl(suffix), init);
      })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (json) {
            return { status: response.status, body: json };
          });
      });
  }

  function showNote() {
    if (note) note.hidden = false;
  }

  function showSigned(signature, moveFocus) {
    signedPanel.querySelector('[data-teams-signed-text]').textContent = 'You signed version ' + signature.policyVersion + ' on ' + LONDON_TIME.format(new Date(signature.signedAt)) + '.';
    signedPanel.hidden = false;
    var link = certificate.querySelector('[data-teams-certificate-link]');
    link.href = policyUrl('/acknowledgements/' + encodeURIComponent(signature.id) + '/certificate.pdf');
    link.setAttribute('data-filename', 'aup-signature-' + signature.id + '.pdf');
    certificate.hidden = false;
    if (form) form.hidden = true;
    if (note) note.hidden = true;
    // After signing, the keyboard and screen reader go to the confirmation; on opening, the reader keeps their place.
    if (moveFocus) signedPanel.focus();
  }

  // The certificate needs the bearer token, which a plain link cannot send: fetch it, then save it from memory.
  function downloadCertificate(event) {
    event.preventDefault();
    var link = event.currentTarget;
    var failed = certificate.querySelector('[data-teams-certificate-error]');
    failed.hidden = true;
    getToken()
      .then(function (token) {
        return fetch(link.href, { headers: { Authorization: 'Bearer ' + token }, credentials: 'omit', cache: 'no-store' });
      })
      .then(function (response) {
        if (!response.ok) throw new Error('The certificate answered ' + response.status);
        return response.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        var save = document.createElement('a');
        save.href = url;
        save.download = link.getAttribute('data-filename') || 'aup-signature.pdf';
        save.hidden = true;
        document.body.appendChild(save);
        save.click();
        save.remove();
        setTimeout(function () {
          URL.revokeObjectURL(url);
        }, 60000);
      })
      .catch(function () {
        failed.hidden = false;
      });
  }

  function fieldParts(field) {
    return { group: document.querySelector('[data-field="' + field + '"]'), input: document.getElementById(field), message: document.getElementById(field + '-error') };
  }

  function clearProblems() {
    ['agreed', 'typedName'].forEach(function (field) {
      var parts = fieldParts(field);
      parts.group.classList.remove('form-group-error');
      parts.message.hidden = true;
      parts.input.removeAttribute('aria-invalid');
      parts.input.removeAttribute('aria-describedby');
    });
    summary.querySelector('.error-summary-list').textContent = '';
    summary.hidden = true;
    document.title = pageTitle;
  }

  /** The GOV.UK pattern, as on the signing page: the summary first (focused), each message beside its field. */
  function showProblems(problems) {
    clearProblems();
    var list = summary.querySelector('.error-summary-list');
    problems.forEach(function (problem) {
      var item = document.createElement('li');
      var parts = problem.field ? fieldParts(problem.field) : null;
      if (parts && parts.input) {
        var link = document.createElement('a');
        link.href = '#' + problem.field;
        link.textContent = problem.message;
        item.appendChild(link);
        parts.group.classList.add('form-group-error');
        parts.message.querySelector('[data-error-text]').textContent = problem.message;
        parts.message.hidden = false;
        parts.input.setAttribute('aria-invalid', 'true');
        parts.input.setAttribute('aria-describedby', parts.message.id);
      } else {
        item.textContent = problem.message;
      }
      list.appendChild(item);
    });
    summary.hidden = false;
    document.title = 'Error: ' + pageTitle;
    summary.focus();
  }

  function problemsInForm() {
    var problems = [];
    if (!document.getElementById('agreed').checked) problems.push({ field: 'agreed', message: MESSAGES.agreed });
    if (document.getElementById('typedName').value.trim().length < 2) problems.push({ field: 'typedName', message: MESSAGES.typedName });
    return problems;
  }

  function problemsFromApi(fields) {
    return fields.map(function (issue) {
      if (issue.path === 'agreed') return { field: 'agreed', message: MESSAGES.agreed };
      if (issue.path === 'typedName') return { field: 'typedName', message: issue.message };
      return { message: issue.message };
    });
  }

  function sign(event) {
    event.preventDefault();
    if (busy) return;
    var problems = problemsInForm();
    if (problems.length) {
      showProblems(problems);
      return;
    }
    busy = true;
    callApi('POST', '/acknowledgements', { agreed: true, typedName: document.getElementById('typedName').value })
      .then(function (result) {
        var error = result.body && result.body.error;
        if ((result.status === 201 || result.status === 200) && result.body && result.body.acknowledgement) {
          clearProblems();
          showSigned(result.body.acknowledgement, true);
        } else if (result.status === 400 && error && error.fields && error.fields.length) {
          showProblems(problemsFromApi(error.fields));
        } else if (result.status === 409 && error && error.message) {
          // A newer version has replaced this one: signing this one again cannot work, the card has the new one.
          form.hidden = true;
          showNote();
          showProblems([{ message: error.message }]);
        } else {
          showProblems([{ message: MESSAGES.notRecorded }]);
        }
      })
      .catch(function () {
        showProblems([{ message: MESSAGES.notRecorded }]);
      })
      .then(function () {
        busy = false;
      });
  }

  // The <form> is made here, around the controls the server rendered, so it only exists when it can sign.
  function showForm() {
    form = document.createElement('form');
    form.className = 'sign-form';
    form.noValidate = true;
    signing.parentNode.insertBefore(form, signing);
    form.appendChild(signing);
    signing.hidden = false;
    form.addEventListener('submit', sign);
  }

  function offerSigning() {
    callApi('GET', '/my-signature')
      .then(function (result) {
        var answer = result.body;
        if (result.status !== 200 || !answer || !answer.policy) throw new Error('DSL Desk answered ' + result.status);
        if (answer.signature) showSigned(answer.signature, false);
        else if (answer.policy.current) showForm();
        else showNote();
      })
      .catch(showNote);
  }

  // Links in the summary move the keyboard to their field: error-summary.js, shared with the signing page.
  var certificateLink = certificate && certificate.querySelector('[data-teams-certificate-link]');
  if (certificateLink) certificateLink.addEventListener('click', downloadCertificate);

  teams.app
    .initialize()
    .then(function () {
      teams.app.notifySuccess();
      followTheme();
      if (signing && policyId && summary && signedPanel && certificate) offerSigning();
    })
    .catch(function () {
      // Not inside Teams, or Teams did not answer: the plain page is complete on its own.
    });
})();
