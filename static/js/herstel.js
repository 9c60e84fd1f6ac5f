// Herstel's client script. No inline code (the CSP forbids it); htmx does the requests.
// What it adds: a tap shows at once, a save that fails is retried until it succeeds,
// and an expired session or a stale CSRF token never costs what is on the screen.
(function () {
  "use strict";

  var RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000];
  var unsaved = new Set();
  var sessionExpired = false;

  function banner() {
    var element = document.getElementById("connection-banner");
    if (!element) { return; }
    // An element that left the page was replaced by the server's answer: it was saved.
    unsaved.forEach(function (elt) { if (!elt.isConnected) { unsaved.delete(elt); } });
    // The same answer the leave-the-page guard gives, where tests (and styles) can see it.
    document.documentElement.toggleAttribute("data-unsaved", unsaved.size > 0);
    element.hidden = unsaved.size === 0;
    var offline = element.querySelector("[data-message=offline]");
    var session = element.querySelector("[data-message=session]");
    if (offline && session) {
      offline.hidden = sessionExpired;
      session.hidden = !sessionExpired;
    }
  }

  // The element to retry: the one carrying data-retry (htmx reports the element that requested).
  function retryable(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.closest ? elt.closest("[data-retry]") : null;
  }

  function scheduleRetry(elt) {
    var attempt = elt.herstelAttempt || 0;
    elt.herstelAttempt = attempt + 1;
    elt.classList.add("is-unsaved");
    unsaved.add(elt);
    banner();
    var delay = RETRY_DELAYS[Math.min(attempt, RETRY_DELAYS.length - 1)];
    window.setTimeout(function () {
      if (document.body.contains(elt)) { window.htmx.trigger(elt, "herstel:retry"); }
      else { unsaved.delete(elt); banner(); }
    }, delay);
  }

  function saved(elt) {
    elt.herstelAttempt = 0;
    elt.classList.remove("is-unsaved");
    unsaved.delete(elt);
    if (unsaved.size === 0) { sessionExpired = false; }
    banner();
  }

  // A new CSRF token from the server (after logging in again): use it everywhere on the page.
  function adoptCsrfToken(token) {
    var body = document.body;
    try {
      var headers = JSON.parse(body.getAttribute("data-hx-headers") || "{}");
      headers["X-CSRFToken"] = token;
      body.setAttribute("data-hx-headers", JSON.stringify(headers));
    } catch (error) { /* leave the attribute as it is */ }
    document.querySelectorAll("input[name=csrf_token]").forEach(function (input) { input.value = token; });
  }

  document.addEventListener("htmx:sendError", function (event) {
    var elt = retryable(event);
    if (elt) { scheduleRetry(elt); } else { unsaved.add(document.body); banner(); }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var elt = retryable(event);
    var xhr = event.detail.xhr;
    if (!elt) { return; }
    var freshToken = xhr.getResponseHeader("X-CSRFToken");
    if (xhr.status === 400 && freshToken) {
      adoptCsrfToken(freshToken);
      elt.herstelAttempt = 0;
      scheduleRetry(elt);
    } else if (xhr.status === 401) {
      sessionExpired = true;
      scheduleRetry(elt);
    } else if (xhr.status >= 500 || xhr.status === 0) {
      scheduleRetry(elt);
    }
  });

  // beforeOnLoad, not afterRequest: an element replaced by its own answer (a tick) is no
  // longer in the page by afterRequest, and events on it would not reach this listener.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var elt = retryable(event);
    var status = event.detail.xhr.status;
    if (status >= 200 && status < 400 || status === 409 || status === 422) {
      unsaved.delete(document.body);
      if (elt) {
        saved(elt);
        if (elt.hasAttribute("data-clear-on-success")) {
          var field = elt.querySelector("input[name=text]");
          if (field) { field.value = ""; field.focus(); }
        }
      } else { banner(); }
    }
  });

  // A tap shows its new state at once; the request then sends the state the mentor wants.
  document.addEventListener("click", function (event) {
    var tick = event.target.closest && event.target.closest("[data-tick]");
    if (!tick) { return; }
    var done = tick.getAttribute("aria-pressed") !== "true";
    tick.setAttribute("aria-pressed", done ? "true" : "false");
    tick.setAttribute("data-hx-vals", JSON.stringify({done: done ? "1" : "0"}));
    countTicks();
  }, true);

  // The talk bar's count is the page's own ticks, counted after every tap and every answer. A count
  // sent with each answer could be an older one: taps on two items go to the server side by side,
  // and the answer read first may arrive last.
  function countTicks() {
    var done = document.querySelector("[data-progress-done]");
    if (done) { done.textContent = document.querySelectorAll("[data-tick][aria-pressed=true]").length; }
  }

  document.addEventListener("htmx:load", function (event) {
    if (event.target.matches && event.target.matches("[data-tick]")) { countTicks(); }
  });

  // A field that saves itself sends its text once. Leaving it (a tap on a button beside it) fires
  // "change" for text the pause in typing already sent; sending it again would answer again, and an
  // answer that redraws the buttons under a finger (a note's conflict) swallows that tap.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var trigger = event.detail.triggeringEvent;
    if (!elt || elt.value === undefined || !elt.hasAttribute("data-hx-post")) { return; }
    if (trigger && trigger.type === "change" && elt.value === elt.herstelSentValue) {
      event.preventDefault();
      return;
    }
    elt.herstelSentValue = elt.value;
  });

  // Enter in a search box inside a form searches; it must not send the half-filled form.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.matches && target.matches("form input[type=search]")) {
      event.preventDefault();
      if (window.htmx) { window.htmx.trigger(target, "search"); }
    }
  });

  // A name typed while the page was still loading its scripts (a slow first visit) reached no
  // search: htmx was not listening yet. Once it is, such a box searches for what it holds.
  // (htmx readies itself on the same event, and its script runs first.)
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[type=search][data-hx-get]").forEach(function (input) {
      if (input.value && window.htmx) { window.htmx.trigger(input, "search"); }
    });
  });

  // Choosing a conversation guide ticks the pupils it is written for (data-pupils), until the
  // user ticks or unticks a pupil themselves: from then on the choice is theirs.
  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.form;
    if (!form || !input.matches) { return; }
    if (input.matches("input[name=pupils]")) { form.herstelPupilsChosen = true; return; }
    if (!input.matches("input[data-pupils]") || form.herstelPupilsChosen) { return; }
    var fitting = input.getAttribute("data-pupils").split(" ");
    form.querySelectorAll("input[name=pupils]").forEach(function (box) {
      box.checked = fitting.indexOf(box.value) !== -1;
    });
  });

  // Text areas grow with their text (never below their rows), so nothing typed is cut off from
  // view: an agreement's third commitment, a long note. One out of sight (in a closed section)
  // has no height to measure: it is fitted when its section opens.
  function fitText(area) {
    if (!area.offsetParent) { return; }
    area.style.height = "auto";
    area.style.height = (area.scrollHeight + area.offsetHeight - area.clientHeight) + "px";
  }

  function fitTextIn(root) {
    if (root && root.querySelectorAll) { root.querySelectorAll("textarea").forEach(fitText); }
  }

  document.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") { fitText(event.target); }
  });
  document.addEventListener("toggle", function (event) { fitTextIn(event.target); }, true);
  document.addEventListener("htmx:afterSettle", function (event) { fitTextIn(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { fitTextIn(document); });

  // A link to a place inside a folded section (the case page's menu, an error summary, "#aftercare"
  // after a save) opens the folds around it first, so the place it leads to is in view.
  function unfold(hash) {
    var target = hash && hash.length > 1 ? document.getElementById(decodeURIComponent(hash.slice(1))) : null;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    return target;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (link) { unfold(link.getAttribute("href")); }
  });
  window.addEventListener("hashchange", function () { unfold(window.location.hash); });
  document.addEventListener("DOMContentLoaded", function () {
    var target = unfold(window.location.hash);
    var summary = document.querySelector(".error-summary");
    if (target) {
      target.scrollIntoView();
    } else if (summary) {
      summary.focus();  // a form that came back: its problems are read out and are the first stop (GOV.UK's)
    }
  });

  // A file that is too large is refused before it is sent (the server checks again): sending
  // megabytes over school wifi only to hear "too large" costs time and what was typed.
  function checkFileSize(input) {
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    input.setCustomValidity(file && limit && file.size > limit ? input.getAttribute("data-too-big") || "" : "");
    return input.checkValidity();
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]") && !checkFileSize(input)) {
      input.reportValidity();
    }
  });

  document.addEventListener("submit", function (event) {
    var inputs = event.target.querySelectorAll ? event.target.querySelectorAll("input[type=file][data-max-bytes]") : [];
    for (var i = 0; i < inputs.length; i++) {
      if (!checkFileSize(inputs[i])) {
        event.preventDefault();
        inputs[i].reportValidity();
        return;
      }
    }
  }, true);

  // Typed text in a form that was not sent yet (a note, an agreement, a reason): leaving the page
  // would lose it. Fields that save themselves (a checklist note) and searches are not counted; a
  // form that came back with errors holds text the server did not keep, so it counts at once.
  var TYPED = "textarea, input:not([type]), input[type=text], input[type=email], input[type=tel], " +
    "input[type=url], input[type=number], input[type=date], input[type=time], input[type=datetime-local]";

  function savesItself(field) {
    return field.hasAttribute("data-hx-post");
  }

  function holdsUnsentText(form) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post" || form.herstelSent) { return false; }
    if (form.herstelCameBack) { return true; }
    var fields = form.querySelectorAll(TYPED);
    for (var i = 0; i < fields.length; i++) {
      if (!savesItself(fields[i]) && fields[i].value !== fields[i].defaultValue) { return true; }
    }
    return false;
  }

  function unsentForms() {
    return Array.prototype.filter.call(document.forms, holdsUnsentText);
  }

  // A form sent the ordinary way leaves the page on purpose; one htmx sends stays and is judged
  // by what it shows after the answer.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!event.defaultPrevented && form.tagName === "FORM") { form.herstelSent = true; }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[aria-invalid=true]")) { form.herstelCameBack = true; }
    });
  });

  // What the leave-the-page guard would answer, where tests (and styles) can see it.
  document.addEventListener("input", function () {
    document.documentElement.toggleAttribute("data-unsent", unsentForms().length > 0);
  });

  // Leaving the page with changes that are not saved yet: ask first.
  window.addEventListener("beforeunload", function (event) {
    if (unsaved.size > 0 || unsentForms().length > 0) { event.preventDefault(); event.returnValue = ""; }
  });

  // The browser's own page cache brings a page back as it was left, its forms marked as sent.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { Array.prototype.forEach.call(document.forms, function (form) { form.herstelSent = false; }); }
  });
})();
