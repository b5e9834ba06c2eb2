// The wizard's niceties: a live message preview with a character count, placeholder
// chips that insert themselves, and the sender following the channel while it still
// holds a default. Everything also works without it: the server validates every step.
// The page's config follows the body, so wait for the whole document.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("moments-config").textContent);
  var message = document.getElementById("message");
  var preview = document.getElementById("preview");
  var count = document.getElementById("count");
  function render() {
    if (!message || !preview) return;
    var text = message.value.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(cfg.samples, key) ? cfg.samples[key] : all;
    });
    preview.textContent = text;
    var parts = Math.max(1, Math.ceil(text.length / 160));
    if (count) count.textContent = text.length + " characters, about " + parts + " SMS part" + (parts > 1 ? "s" : "") + ".";
  }
  if (message) {
    message.addEventListener("input", render);
    render();
    document.querySelectorAll("[data-placeholder]").forEach(function (chip) {
      chip.addEventListener("click", function () {
        var token = "{{" + chip.getAttribute("data-placeholder") + "}}";
        var at = message.selectionStart || message.value.length;
        message.value = message.value.slice(0, at) + token + message.value.slice(at);
        message.focus();
        render();
      });
    });
  }
  var channel = document.getElementById("channel");
  var sender = document.getElementById("sender");
  if (channel && sender) {
    channel.addEventListener("change", function () {
      var defaults = Object.keys(cfg.senders).map(function (k) { return cfg.senders[k]; });
      if (sender.value === "" || defaults.indexOf(sender.value) >= 0) {
        sender.value = cfg.senders[channel.value] || sender.value;
      }
    });
  }
});
