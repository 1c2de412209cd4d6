// Keyboard shortcuts of the reviewer workspace. An element opts in with data-shortcut="keys";
// nothing fires while the focus is in a text field, so a note can be typed freely.
(function () {
  "use strict";

  function isTyping(element) {
    if (!element || !element.tagName) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/i.test(element.type);
  }

  var submitting = false;

  function submit(form, button) {
    if (submitting) return;
    submitting = true;
    if (form.requestSubmit) form.requestSubmit(button || undefined);
    else (button || form).click();
  }

  // A second submit of the same page (a double key press) would only race the first.
  document.addEventListener("submit", function (event) {
    if (event.target.dataset.submitted) event.preventDefault();
    event.target.dataset.submitted = "1";
    submitting = true;
  });

  // Back/forward restores a page as it was left; its forms must work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    submitting = false;
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      delete form.dataset.submitted;
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key === "Escape" ? "Escape" : event.key.toLowerCase();
    if (!/^([a-z]|Escape)$/.test(key)) return;
    var target = document.querySelector('[data-shortcut~="' + key + '"]');
    if (!target || target.disabled) return;
    event.preventDefault();
    if (target.type === "checkbox") target.click();
    else if (target.form) submit(target.form, target);
    else target.click();
  });
})();
