// The live lab: ask live.json every poll interval and redraw the table and the counts,
// without reloading. Plain DOM, no framework; text only (textContent), never HTML.
(function () {
  "use strict";
  var table = document.getElementById("live-students");
  if (!table) { return; }
  var source = table.getAttribute("data-source");
  var every = Math.max(1000, parseInt(table.getAttribute("data-poll-ms"), 10) || 1000);
  var problem = document.getElementById("live-problem");
  // The hub's rules: a cookie-signed-in request that is not a page view carries the token.
  var xsrf = table.getAttribute("data-xsrf");
  var previous = {};

  function cell(tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) { el.className = cls; }
    if (tag === "th") { el.setAttribute("scope", "row"); }
    return el;
  }

  function row(s) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-user-id", String(s.user_id));
    var name = cell("th", s.username);
    if ((s.flags || []).length) {
      tr.className = "console-needs-help";
      var badge = document.createElement("span");
      badge.className = "badge text-bg-danger";
      badge.textContent = "needs help";
      name.appendChild(document.createTextNode(" "));
      name.appendChild(badge);
    }
    tr.appendChild(name);
    tr.appendChild(cell("td", String(s.needs_help), "c-priority"));
    tr.appendChild(cell("td", String(s.questions), "c-questions"));
    tr.appendChild(cell("td", String(s.failing_runs), "c-failing"));
    tr.appendChild(cell("td", String(s.same_error_streak), "c-streak"));
    tr.appendChild(cell("td", s.minutes_since_success === null ? "no success yet" : String(s.minutes_since_success), "c-since"));
    tr.appendChild(cell("td", (s.flags || []).join(", ").replace(/_/g, " ") || "\u2014", "c-flags"));
    var key = [s.questions, s.failing_runs, s.same_error_streak, (s.flags || []).join()].join("|");
    if (previous[s.user_id] !== undefined && previous[s.user_id] !== key) {
      tr.className += " console-changed";
    }
    previous[s.user_id] = key;
    return tr;
  }

  function counts(id, rows, empty) {
    var ul = document.getElementById(id);
    ul.textContent = "";
    if (!rows.length) { ul.appendChild(cell("li", empty, "text-body-secondary")); return; }
    rows.forEach(function (r) {
      var li = document.createElement("li");
      li.appendChild(cell("span", r.name, "c-name"));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(cell("span", String(r.count), "badge text-bg-secondary"));
      ul.appendChild(li);
    });
  }

  function draw(live) {
    var body = table.tBodies[0];
    var fresh = document.createElement("tbody");
    live.students.forEach(function (s) { fresh.appendChild(row(s)); });
    table.replaceChild(fresh, body);
    document.getElementById("live-empty").hidden = live.students.length > 0;
    counts("live-errors", live.error_types, "No failing run.");
    counts("live-topics", live.topics, "No question.");
    var t = document.getElementById("live-updated");
    t.setAttribute("datetime", live.generated_at);
    t.textContent = live.generated_at.slice(11, 19);
  }

  function poll() {
    fetch(source, { credentials: "same-origin", headers: { Accept: "application/json", "X-XSRFToken": xsrf } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.detail || ("the console answered " + r.status)); }
          return body;
        });
      })
      .then(function (live) { draw(live); problem.textContent = ""; })
      .catch(function (err) {
        problem.textContent = " Not updated: " + err.message + " (retrying).";
      })
      .then(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
})();
