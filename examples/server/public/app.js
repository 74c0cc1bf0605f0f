/* global document, window, navigator, setTimeout, setInterval */
// jitadmin pages: live countdowns, copy buttons, refresh while a grant is on its way, and the request form's
// time zone.
(function () {
  'use strict';
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function tick() {
    var now = Date.now();
    document.querySelectorAll('[data-countdown]').forEach(function (el) {
      var end = Date.parse(el.getAttribute('data-countdown'));
      if (isNaN(end)) return;
      var left = Math.max(0, Math.round((end - now) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = left === 0 ? 'ended' : (h > 0 ? h + ':' + pad(m) : String(m)) + ':' + pad(s) + ' left';
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    tick();
    setInterval(tick, 1000);
    document.querySelectorAll('[data-copy]').forEach(function (button) {
      button.addEventListener('click', function () {
        var target = document.getElementById(button.getAttribute('data-copy'));
        if (!target || !navigator.clipboard) return;
        navigator.clipboard.writeText(target.textContent).then(function () {
          button.textContent = 'Copied';
          setTimeout(function () { button.textContent = 'Copy'; }, 1500);
        });
      });
    });
    // Request form: offer only the roles a rule allows for the chosen customer.
    var customer = document.getElementById('customerId');
    function filterRoles() {
      document.querySelectorAll('[data-role-customers]').forEach(function (row) {
        var allowed = row.getAttribute('data-role-customers').split(' ').indexOf(customer.value) >= 0;
        row.hidden = !allowed;
        if (!allowed) row.querySelector('input').checked = false;
      });
    }
    if (customer) {
      customer.addEventListener('change', filterRoles);
      filterRoles();
    }
    // Request form: "Start at" is the browser's local time; tell the server which zone that is (it converts).
    var zone = document.getElementById('startAtZone');
    var tz = '';
    try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch { tz = ''; }
    if (zone && tz) {
      zone.value = tz;
      document.querySelectorAll('[data-zone-name]').forEach(function (el) { el.textContent = tz; });
    }
    var refresh = document.querySelector('[data-refresh]');
    if (refresh) {
      var seconds = Number(refresh.getAttribute('data-refresh')) || 5;
      setTimeout(function () {
        // Do not throw away what someone is typing.
        var active = document.activeElement;
        if (active && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA' || active.tagName === 'SELECT')) return;
        window.location.reload();
      }, seconds * 1000);
    }
  });
})();
