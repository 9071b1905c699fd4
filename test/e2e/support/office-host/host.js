/* global window, document, location, DOMParser */
/*
 * The stand-in Outlook: reads the add-in's manifest like Outlook does (the version overrides this "client"
 * supports, the spam-reporting dialog's options, the runtime page and the task pane page), shows a message,
 * and gives the add-in's frames an `Office` object (see fake-office.js) whose mailbox item returns the sample
 * .eml from getAsFileAsync. Everything the add-in does to Outlook is recorded in window.officeHost for the test.
 *
 * Query: ?mailbox=1.14 (highest Mailbox requirement set supported; 1.13 means no integrated spam reporting)
 *        &manifest=/office-host/manifest.xml
 */
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var mailboxVersion = params.get('mailbox') || '1.14';
  var manifestUrl = params.get('manifest') || '/office-host/manifest.xml';

  function compareVersions(a, b) {
    var x = String(a).split('.').map(Number);
    var y = String(b).split('.').map(Number);
    for (var i = 0; i < Math.max(x.length, y.length); i += 1) {
      var d = (x[i] || 0) - (y[i] || 0);
      if (d !== 0) return d < 0 ? -1 : 1;
    }
    return 0;
  }

  function toBase64(bytes) {
    var binary = '';
    for (var i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }

  var host = {
    mailboxVersion: mailboxVersion,
    handlers: {},
    completions: [],
    calls: [],
    manifest: null,
    eml: null,
    ready: null,
    item: {
      // An EWS-format id, as Outlook gives item.itemId; convertToRestId turns it into the REST format.
      itemId: 'AAMkAGE1M2IyNGNmLWI4MjktNDI0Ni05ZmNiLTc4YjY3YTBmZWIxMwBGAAAAAAC7/3ehmKw+SL2g3BHh+m0tBwBx',
      internetMessageId: '<e2e-sample-0001@free-mail.example>',
      subject: 'Quick favour before assembly',
      from: '"Head Teacher" <headteacher.demo-school@free-mail.example>',
    },
    createOffice: function (frameWindow) {
      var item = {
        itemId: host.item.itemId,
        internetMessageId: host.item.internetMessageId,
        subject: host.item.subject,
        itemType: 'message',
      };
      if (compareVersions(mailboxVersion, '1.14') >= 0) {
        item.getAsFileAsync = function (options, callback) {
          if (typeof options === 'function') { callback = options; options = {}; }
          host.calls.push({ api: 'getAsFileAsync', frame: frameWindow.location.pathname });
          host.ready.then(function () {
            setTimeout(function () {
              callback({ status: 'succeeded', value: toBase64(host.eml), asyncContext: options && options.asyncContext });
            }, 10);
          });
        };
      }
      return {
        onReady: function (callback) {
          var info = { host: 'Outlook', platform: 'OfficeOnline' };
          return host.ready.then(function () { if (callback) callback(info); return info; });
        },
        actions: {
          associate: function (name, handler) {
            host.calls.push({ api: 'associate', name: name, frame: frameWindow.location.pathname });
            host.handlers[name] = handler;
          },
        },
        context: {
          mailbox: {
            item: item,
            userProfile: { emailAddress: 'teacher@demo-school.test', displayName: 'Tess Teacher' },
            convertToRestId: function (itemId, restVersion) {
              host.calls.push({ api: 'convertToRestId', restVersion: restVersion });
              return itemId.replace(/\//g, '-').replace(/\+/g, '_');
            },
          },
          requirements: {
            isSetSupported: function (name, minVersion) {
              return name === 'Mailbox' && compareVersions(minVersion || '1.1', mailboxVersion) <= 0;
            },
          },
        },
        MailboxEnums: {
          MoveSpamItemTo: { CustomFolder: 'customFolder', DeletedItemsFolder: 'deletedItemsFolder', JunkFolder: 'junkFolder', NoMove: 'noMove' },
          RestVersion: { v1_0: 'v1.0', v2_0: 'v2.0', Beta: 'beta' },
        },
        AsyncResultStatus: { Succeeded: 'succeeded', Failed: 'failed' },
      };
    },
  };
  window.officeHost = host;

  // --- the manifest, read as Outlook would ----------------------------------------------------------------
  function byName(parent, name) {
    var found = [];
    var all = parent.getElementsByTagNameNS('*', name);
    for (var i = 0; i < all.length; i += 1) found.push(all[i]);
    return found;
  }
  function directChildren(parent, name) {
    var found = [];
    for (var i = 0; i < parent.children.length; i += 1) if (parent.children[i].localName === name) found.push(parent.children[i]);
    return found;
  }
  function xsiType(element) {
    return element.getAttributeNS('http://www.w3.org/2001/XMLSchema-instance', 'type') || '';
  }

  function readManifest(text) {
    var doc = new DOMParser().parseFromString(text, 'application/xml');
    var outer = byName(doc, 'VersionOverrides').filter(function (vo) { return xsiType(vo) === 'VersionOverridesV1_0'; })[0];
    var inner = byName(doc, 'VersionOverrides').filter(function (vo) { return xsiType(vo) === 'VersionOverridesV1_1'; })[0];
    var innerMin = inner ? (byName(inner, 'Sets')[0] || { getAttribute: function () { return '1.5'; } }).getAttribute('DefaultMinVersion') : null;
    // Outlook uses the 1.1 overrides only when it supports their requirements.
    var vo = inner && compareVersions(mailboxVersion, innerMin || '1.5') >= 0 ? inner : outer;
    var resources = directChildren(vo, 'Resources')[0];
    function resource(kind, id) {
      var holder = directChildren(resources, kind)[0];
      var match = holder && directChildren(holder, kind === 'Images' ? 'Image' : kind === 'Urls' ? 'Url' : 'String').filter(function (e) { return e.getAttribute('id') === id; })[0];
      if (!match) throw new Error('manifest: resid ' + id + ' not found in ' + kind);
      return match.getAttribute('DefaultValue');
    }
    var base = null;
    function local(url) {
      // The manifest names the school's address; this host serves the same files itself.
      var parsed = new URL(url);
      if (base === null) base = parsed.origin;
      return location.origin + parsed.pathname + parsed.search;
    }
    var result = { version: xsiType(vo), base: null, spam: null, taskpane: null };
    // Only this version override's own extension points, not those of the one nested inside it.
    var points = byName(vo, 'ExtensionPoint').filter(function (point) {
      var owner = point.parentNode;
      while (owner && owner.localName !== 'VersionOverrides') owner = owner.parentNode;
      return owner === vo;
    });
    points.forEach(function (point) {
      var type = xsiType(point);
      if (type === 'MessageReadCommandSurface') {
        var control = byName(point, 'Control')[0];
        var source = byName(byName(control, 'Action')[0], 'SourceLocation')[0];
        result.taskpane = { label: resource('ShortStrings', directChildren(control, 'Label')[0].getAttribute('resid')), url: local(resource('Urls', source.getAttribute('resid'))) };
      }
      if (type === 'ReportPhishingCommandSurface') {
        var dialog = byName(point, 'PreProcessingDialog')[0];
        var options = byName(dialog, 'ReportingOptions')[0];
        var runtimeId = directChildren(byName(point, 'ReportPhishingCustomization')[0], 'SourceLocation')[0].getAttribute('resid');
        var moreInfo = byName(dialog, 'MoreInfo')[0];
        result.spam = {
          functionName: byName(point, 'FunctionName')[0].textContent.trim(),
          title: resource('ShortStrings', directChildren(dialog, 'Title')[0].getAttribute('resid')),
          description: resource('LongStrings', directChildren(dialog, 'Description')[0].getAttribute('resid')),
          optionsTitle: resource('ShortStrings', directChildren(options, 'Title')[0].getAttribute('resid')),
          options: directChildren(options, 'Option').map(function (o) { return resource('ShortStrings', o.getAttribute('resid')); }),
          freeTextLabel: resource('ShortStrings', byName(dialog, 'FreeTextLabel')[0].getAttribute('resid')),
          moreInfoText: moreInfo ? resource('ShortStrings', byName(moreInfo, 'MoreInfoText')[0].getAttribute('resid')) : '',
          moreInfoUrl: moreInfo ? local(resource('Urls', byName(moreInfo, 'MoreInfoUrl')[0].getAttribute('resid'))) : '',
          runtimeUrl: local(resource('Urls', runtimeId)),
        };
      }
    });
    result.base = base;
    return result;
  }

  // --- the page ---------------------------------------------------------------------------------------------
  var $ = function (id) { return document.getElementById(id); };

  function openTaskpane() {
    if (!host.manifest.taskpane) throw new Error('the manifest has no task pane button');
    $('taskpane-area').hidden = false;
    $('taskpane-frame').src = host.manifest.taskpane.url;
  }

  function waitForHandler(name, ms) {
    var deadline = Date.now() + ms;
    return new Promise(function (resolve, reject) {
      (function poll() {
        if (host.handlers[name]) return resolve(host.handlers[name]);
        if (Date.now() > deadline) return reject(new Error('the add-in never associated ' + name));
        setTimeout(poll, 50);
      })();
    });
  }

  /** What Outlook does after its report dialog: raise the SpamReporting event in the add-in's runtime. */
  host.reportSpam = function (choices, freeText) {
    var spam = host.manifest.spam;
    if (!spam) return Promise.reject(new Error('this client has no integrated spam reporting (Mailbox ' + mailboxVersion + ')'));
    return waitForHandler(spam.functionName, 10000).then(function (handler) {
      return new Promise(function (resolve) {
        var event = {
          type: 'SpamReporting',
          options: spam.options.map(function (label) { return choices.indexOf(label) >= 0; }),
          freeText: freeText || '',
          completed: function (options) {
            host.completions.push(options);
            showPostDialog(options);
            resolve(options);
          },
        };
        host.calls.push({ api: 'SpamReporting', options: event.options, freeText: event.freeText });
        handler(event);
      });
    });
  };

  function showPostDialog(options) {
    var dialog = options && options.showPostProcessingDialog;
    $('post-title').textContent = dialog ? dialog.title : '(no dialog)';
    $('post-description').textContent = dialog ? dialog.description : '';
    var moves = { junkFolder: 'Outlook moves the email to Junk Email.', deletedItemsFolder: 'Outlook moves the email to Deleted Items.', noMove: 'Outlook leaves the email where it is.', customFolder: 'Outlook moves the email to ' + (options.folderName || '?') + '.' };
    $('post-move').textContent = moves[options.moveItemTo] || 'moveItemTo: ' + options.moveItemTo;
    $('post-report-dialog').showModal();
  }

  function openPreDialog() {
    var spam = host.manifest.spam;
    $('pre-title').textContent = spam.title;
    $('pre-description').textContent = spam.description;
    $('pre-options-title').textContent = spam.optionsTitle;
    var holder = $('pre-options');
    holder.textContent = '';
    spam.options.forEach(function (label) {
      var row = document.createElement('label');
      row.className = 'option';
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.value = label;
      row.appendChild(box);
      row.appendChild(document.createTextNode(' ' + label));
      holder.appendChild(row);
    });
    $('pre-free-text-label').textContent = spam.freeTextLabel;
    $('pre-free-text').value = '';
    $('pre-more-info').textContent = spam.moreInfoText;
    $('pre-more-info').href = spam.moreInfoUrl;
    $('pre-report-dialog').showModal();
  }

  function start() {
    $('host-info').textContent = 'Mailbox ' + mailboxVersion + ' · ' + host.manifest.version;
    $('message-subject').textContent = host.item.subject;
    $('message-from').textContent = host.item.from;
    $('message-body').textContent = new TextDecoder().decode(host.eml).split(/\r?\n\r?\n/).slice(1).join('\n\n');
    $('outlook-report').hidden = !host.manifest.spam;
    $('ribbon-report-to-dsl').textContent = host.manifest.taskpane ? host.manifest.taskpane.label : 'Report to DSL';
    $('ribbon-report-to-dsl').addEventListener('click', openTaskpane);
    $('taskpane-close').addEventListener('click', function () { $('taskpane-area').hidden = true; $('taskpane-frame').src = 'about:blank'; });
    $('outlook-report').addEventListener('click', openPreDialog);
    $('pre-cancel').addEventListener('click', function () { $('pre-report-dialog').close(); });
    $('pre-report-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var choices = Array.prototype.filter.call($('pre-options').querySelectorAll('input'), function (box) { return box.checked; }).map(function (box) { return box.value; });
      var text = $('pre-free-text').value;
      $('pre-report-dialog').close();
      host.reportSpam(choices, text);
    });
    $('post-ok').addEventListener('click', function () { $('post-report-dialog').close(); });
    if (host.manifest.spam) $('event-runtime').src = host.manifest.spam.runtimeUrl;
    document.body.setAttribute('data-host-ready', 'true');
  }

  host.ready = Promise.all([
    fetch(manifestUrl).then(function (r) { if (!r.ok) throw new Error('manifest ' + r.status); return r.text(); }),
    fetch('/office-host/sample.eml').then(function (r) { return r.arrayBuffer(); }),
  ]).then(function (loaded) {
    host.manifest = readManifest(loaded[0]);
    host.eml = new Uint8Array(loaded[1]);
  });
  host.ready.then(start, function (error) {
    document.body.setAttribute('data-host-error', String(error && error.message));
  });
})();
