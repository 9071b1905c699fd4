/* global window */
/*
 * A stand-in for Office.js inside the add-in's frames (task pane and spam-reporting runtime). It defines
 * the `Office` global from the host page (host.html, window.parent.officeHost), which plays Outlook: the open
 * message, the requirement sets, Office.actions.associate, event.completed. Served in place of
 * https://appsforoffice.microsoft.com/lib/1/hosted/office.js by the end-to-end test only.
 */
(function () {
  var host = window.parent && window.parent !== window ? window.parent.officeHost : undefined;
  if (!host) throw new Error('fake-office.js must run in a frame of the stand-in Office host (host.html).');
  window.Office = host.createOffice(window);
})();
