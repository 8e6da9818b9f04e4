/* litbook: the reader's tools. Theme switch, search, copy buttons and the
   menu on narrow screens. Pages work without it: it only adds. Everything
   it loads is a classic script beside the page, so that it works from
   file:// as well as over HTTP. */
(function () {
  "use strict";

  var root = document.documentElement;
  var THEME_KEY = "litbook-theme";

  /* Theme: "light", "dark", or "" to follow the system. The choice is
     applied before the page is drawn by the inline script in <head>; here
     the switch shows it and changes it. */
  function storedTheme() {
    try { return localStorage.getItem(THEME_KEY) || ""; } catch (e) { return ""; }
  }
  function applyTheme(t) {
    if (t === "light" || t === "dark") { root.setAttribute("data-theme", t); } else { root.removeAttribute("data-theme"); }
  }
  function setupTheme() {
    var sel = document.getElementById("theme");
    if (!sel) { return; }
    sel.value = storedTheme();
    sel.addEventListener("change", function () {
      try {
        if (sel.value) { localStorage.setItem(THEME_KEY, sel.value); } else { localStorage.removeItem(THEME_KEY); }
      } catch (e) { /* private mode: the choice lasts for this page */ }
      applyTheme(sel.value);
    });
    // Another page of the book changed it.
    window.addEventListener("storage", function (e) {
      if (e.key === THEME_KEY) { sel.value = e.newValue || ""; applyTheme(sel.value); }
    });
  }

  /* Menu: on narrow screens the sidebar is a drawer behind a button. */
  function setupMenu() {
    var btn = document.getElementById("menu-button");
    var nav = document.getElementById("sidebar");
    if (!btn || !nav) { return; }
    function set(open) {
      root.classList.toggle("menu-open", open);
      btn.setAttribute("aria-expanded", open ? "true" : "false");
    }
    btn.addEventListener("click", function () { set(!root.classList.contains("menu-open")); });
    nav.addEventListener("click", function (e) { if (e.target.closest("a")) { set(false); } });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && root.classList.contains("menu-open")) { set(false); btn.focus(); }
    });
  }

  /* Copy buttons on code and transcripts. A transcript copies its
     commands, the lines a reader would paste into a shell. */
  function copyText(text, done) {
    window.litbookLastCopy = text; // for tests, which cannot read the clipboard
    function fallback() {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }
  function setupCopy() {
    var pres = document.querySelectorAll("main pre");
    Array.prototype.forEach.call(pres, function (pre) {
      var terminal = pre.classList.contains("terminal");
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "copy";
      var label = terminal ? "Copy commands" : "Copy code";
      btn.setAttribute("aria-label", label);
      btn.title = label;
      btn.textContent = "Copy";
      btn.addEventListener("click", function () {
        var text;
        if (terminal) {
          text = Array.prototype.map.call(pre.querySelectorAll(".cmd"), function (c) { return c.textContent; }).join("\n") + "\n";
        } else {
          text = pre.textContent;
        }
        copyText(text, function (ok) {
          btn.textContent = ok ? "Copied" : "Failed";
          btn.classList.toggle("done", ok);
          setTimeout(function () { btn.textContent = "Copy"; btn.classList.remove("done"); }, 1500);
        });
      });
      var wrap = document.createElement("div");
      wrap.className = "copyable";
      pre.parentNode.insertBefore(wrap, pre);
      wrap.appendChild(pre);
      wrap.appendChild(btn);
    });
  }

  /* Search: MiniSearch over the index the build wrote. Both load on first
     use, as scripts, so that pages stay light and file:// works. */
  var search = null; // {mini, docs} once loaded
  var loading = null;
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(s);
    });
  }
  function loadSearch() {
    if (loading) { return loading; }
    var base = document.body.getAttribute("data-root") || "";
    loading = Promise.all([loadScript(base + "minisearch.js"), loadScript(base + "search-index.js")]).then(function () {
      var docs = window.litbookSearchDocs || [];
      var mini = new window.MiniSearch({
        fields: ["t", "x"],
        storeFields: ["t", "c", "u"],
        searchOptions: { boost: { t: 3 }, prefix: true, fuzzy: 0.15, combineWith: "AND" }
      });
      mini.addAll(docs);
      search = { mini: mini, docs: docs };
      return search;
    });
    return loading;
  }
  function escapeRE(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  // snippet returns a piece of text around the first of the terms, with
  // the terms marked.
  function snippet(text, terms) {
    var lower = text.toLowerCase();
    var at = -1;
    terms.forEach(function (t) {
      var i = lower.indexOf(t.toLowerCase());
      if (i >= 0 && (at < 0 || i < at)) { at = i; }
    });
    var start = Math.max(0, at - 60);
    var piece = text.slice(start, start + 180);
    var frag = document.createDocumentFragment();
    if (start > 0) { frag.appendChild(document.createTextNode("…")); }
    if (!terms.length) { frag.appendChild(document.createTextNode(piece)); return frag; }
    var re = new RegExp("(" + terms.map(escapeRE).join("|") + ")", "gi");
    var last = 0;
    piece.replace(re, function (m, _g, i) {
      frag.appendChild(document.createTextNode(piece.slice(last, i)));
      var mark = document.createElement("mark");
      mark.textContent = m;
      frag.appendChild(mark);
      last = i + m.length;
      return m;
    });
    frag.appendChild(document.createTextNode(piece.slice(last)));
    if (start + 180 < text.length) { frag.appendChild(document.createTextNode("…")); }
    return frag;
  }
  function setupSearch() {
    var input = document.getElementById("search");
    var box = document.getElementById("search-results");
    if (!input || !box) { return; }
    var base = document.body.getAttribute("data-root") || "";
    var active = -1;
    function items() { return box.querySelectorAll("a"); }
    function highlight(i) {
      var list = items();
      if (!list.length) { active = -1; return; }
      active = (i + list.length) % list.length;
      Array.prototype.forEach.call(list, function (a, j) { a.classList.toggle("active", j === active); a.setAttribute("aria-selected", j === active ? "true" : "false"); });
      list[active].scrollIntoView({ block: "nearest" });
    }
    function close() { box.hidden = true; box.textContent = ""; active = -1; input.setAttribute("aria-expanded", "false"); }
    function show(query) {
      if (!search) { return; }
      box.textContent = "";
      active = -1;
      if (!query.trim()) { close(); return; }
      var results = search.mini.search(query);
      if (!results.length) { results = search.mini.search(query, { combineWith: "OR" }); }
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (!results.length) {
        var none = document.createElement("p");
        none.className = "none";
        none.textContent = "Nothing found for “" + query + "”";
        box.appendChild(none);
        return;
      }
      results.slice(0, 20).forEach(function (r) {
        var a = document.createElement("a");
        a.href = base + r.u;
        a.setAttribute("role", "option");
        var title = document.createElement("span");
        title.className = "title";
        title.textContent = r.t;
        a.appendChild(title);
        if (r.c && r.c !== r.t) {
          var ch = document.createElement("span");
          ch.className = "chapter";
          ch.textContent = r.c;
          a.appendChild(ch);
        }
        var doc = search.docs[r.id];
        if (doc && doc.x) {
          var sn = document.createElement("span");
          sn.className = "snippet";
          sn.appendChild(snippet(doc.x, r.terms));
          a.appendChild(sn);
        }
        box.appendChild(a);
      });
    }
    function update() {
      var q = input.value;
      if (search) { show(q); return; }
      loadSearch().then(function () { show(input.value); }, function (err) {
        box.hidden = false;
        box.textContent = "Search is not available: " + err.message;
      });
    }
    input.addEventListener("focus", function () { loadSearch().catch(function () {}); });
    input.addEventListener("input", update);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Enter") {
        var list = items();
        if (list.length) { e.preventDefault(); (list[active >= 0 ? active : 0]).click(); }
      } else if (e.key === "Escape") { close(); input.blur(); }
    });
    box.addEventListener("click", function (e) {
      // A result on this page: close the list, the browser scrolls.
      if (e.target.closest("a")) { close(); }
    });
    document.addEventListener("click", function (e) {
      if (!box.hidden && !e.target.closest(".search")) { close(); }
    });
    // "/" or "s" focuses the search box, unless the reader is typing.
    document.addEventListener("keydown", function (e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (e.key !== "/" && e.key !== "s") { return; }
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
      e.preventDefault();
      input.focus();
      input.select();
    });
  }

  function setup() {
    setupTheme();
    setupMenu();
    setupCopy();
    setupSearch();
    // Print every file list unfolded.
    window.addEventListener("beforeprint", function () {
      Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
    });
    var print = document.getElementById("print-button");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
