// The GOV.UK error summary in the browser, for the signing page and the policy page: focus moves to the
// summary when a page comes back with problems, and a link in the summary puts the keyboard in the field
// it names, with the field's label in view. The pages work without this script.
/* global document */
(function () {
  'use strict';
  var summary = document.querySelector('[data-error-summary]');
  if (!summary) return;
  if (!summary.hidden && document.activeElement !== summary) summary.focus();
  summary.addEventListener('click', function (event) {
    var link = event.target && event.target.closest ? event.target.closest('a[href^="#"]') : null;
    if (!link) return;
    var field = document.getElementById(link.getAttribute('href').slice(1));
    if (!field) return;
    event.preventDefault();
    var label = document.querySelector('label[for="' + field.id + '"]');
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
