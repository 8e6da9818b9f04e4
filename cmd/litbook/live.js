/* litbook serve: reloads the page when a build changes the site, and shows
   the errors of a failed build over it until a build succeeds. */
(function () {
  "use strict";
  var script = document.currentScript;
  var digest = script ? script.getAttribute("data-digest") : "";
  var overlay = null;

  function hide() {
    if (overlay) { overlay.remove(); overlay = null; }
  }
  function show(errors) {
    hide();
    overlay = document.createElement("div");
    overlay.id = "litbook-errors";
    overlay.setAttribute("role", "alert");
    overlay.style.cssText = "position:fixed;inset:auto 0 0 0;z-index:2147483647;max-height:60vh;overflow:auto;" +
      "margin:0;padding:1rem 1.25rem;background:#2a1214;color:#ffdcd7;border-top:3px solid #f85149;" +
      "font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;box-shadow:0 -8px 24px rgba(0,0,0,.35)";
    var head = document.createElement("div");
    head.style.cssText = "font-weight:bold;margin-bottom:.5rem;color:#ffa198";
    head.textContent = "The build failed. This page is the last good one; it reloads when the book builds again.";
    overlay.appendChild(head);
    errors.forEach(function (e) {
      var pre = document.createElement("pre");
      // The page's own pre style (a light background in the light theme)
      // must not show through: the overlay has its own colours.
      pre.style.cssText = "margin:.25rem 0;padding:0;border:0;border-radius:0;background:transparent;color:inherit;" +
        "font:inherit;white-space:pre-wrap;overflow-wrap:anywhere";
      var pos = document.createElement("span");
      pos.className = "pos";
      pos.style.color = "#ffffff";
      pos.textContent = e.pos ? e.pos + ": " : "";
      var msg = document.createElement("span");
      msg.className = "msg";
      msg.textContent = e.msg;
      pre.appendChild(pos);
      pre.appendChild(msg);
      overlay.appendChild(pre);
    });
    document.body.appendChild(overlay);
  }

  var es = new EventSource("/.litbook/events");
  window.litbookLive = es; // tests wait for es.readyState === EventSource.OPEN
  es.addEventListener("state", function (ev) {
    var st;
    try { st = JSON.parse(ev.data); } catch (e) { return; }
    if (st.digest && st.digest !== digest) {
      location.reload();
      return;
    }
    if (st.errors && st.errors.length) { show(st.errors); } else { hide(); }
  });
})();
