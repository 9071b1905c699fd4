// The read-only policy page opens in a browser or inside Teams (a stage view or tab). Inside Teams the
// host is told the page has loaded and the page follows the Teams theme; in a browser app.initialize()
// rejects (there is no host to answer) and the page stays as it is.
/* global window, document */
(function () {
  'use strict';
  var teams = window.microsoftTeams;
  if (!teams || !teams.app) return;

  function applyTheme(theme) {
    var root = document.documentElement;
    root.classList.remove('theme-default', 'theme-dark', 'theme-contrast');
    root.classList.add(theme === 'dark' ? 'theme-dark' : theme === 'contrast' ? 'theme-contrast' : 'theme-default');
  }

  teams.app
    .initialize()
    .then(function () {
      teams.app.notifySuccess();
      return teams.app.getContext();
    })
    .then(function (context) {
      applyTheme(context && context.app ? context.app.theme : 'default');
      teams.app.registerOnThemeChangeHandler(applyTheme);
    })
    .catch(function () {
      // Not inside Teams, or Teams did not answer: the plain page is complete on its own.
    });
})();
