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
        // O_APPEND is one word, and also its parts: it is found by
        // "o_append" as by "append".
        tokenize: function (text) {
          var out = [];
          words(text).forEach(function (w) {
            out.push(w);
            if (w.indexOf("_") >= 0) { w.split("_").forEach(function (p) { if (p) { out.push(p); } }); }
          });
          return out;
        },
        searchOptions: { boost: { t: 3 }, prefix: true, fuzzy: 0.15, combineWith: "AND", tokenize: words }
      });
      mini.addAll(docs);
      search = { mini: mini, docs: docs };
      return search;
    });
    return loading;
  }
  function escapeRE(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  // words splits text into the words search knows: letters, digits and
  // underscores.
  function words(text) { return text.split(/[^\p{L}\p{N}_]+/u).filter(function (w) { return w; }); }
  // marks returns the strings to mark in a result for query: the words
  // the reader typed, whole ("O_APPEND", not every "o"), and the words
  // search matched (a prefix or a near miss) where they are not pieces of
  // those.
  function marks(query, matched) {
    var typed = words(query);
    var lower = typed.map(function (w) { return w.toLowerCase(); });
    (matched || []).forEach(function (m) {
      var l = m.toLowerCase();
      if (l.length < 3) { return; }
      if (lower.some(function (w) { return w.indexOf(l) >= 0 || l.indexOf(w) >= 0; })) { return; }
      typed.push(m);
      lower.push(l);
    });
    return typed.sort(function (a, b) { return b.length - a.length; });
  }
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
        a.href = base + withHighlight(r.u, marks(query, r.terms));
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
          sn.appendChild(snippet(doc.x, marks(query, r.terms)));
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

  // withHighlight adds to url the words that its page should mark.
  function withHighlight(url, terms) {
    var hash = url.indexOf("#");
    var q = "?highlight=" + encodeURIComponent(terms.join(" "));
    return hash < 0 ? url + q : url.slice(0, hash) + q + url.slice(hash);
  }

  /* The page a search result opened marks the words searched for. */
  function markSearched() {
    var m = /[?&]highlight=([^&#]*)/.exec(location.search);
    var main = document.getElementById("content");
    if (!m || !main) { return; }
    var terms;
    try { terms = decodeURIComponent(m[1].replace(/\+/g, " ")).split(" ").filter(function (t) { return t; }); } catch (e) { return; }
    if (!terms.length) { return; }
    var re = new RegExp(terms.map(escapeRE).join("|"), "gi");
    var walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        return n.parentNode.closest("script, style, svg, [popover], mark") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    var nodes = [];
    while (walker.nextNode()) { nodes.push(walker.currentNode); }
    nodes.forEach(function (node) {
      var text = node.nodeValue;
      re.lastIndex = 0;
      if (!re.test(text)) { return; }
      var frag = document.createDocumentFragment();
      var last = 0;
      text.replace(re, function (hit, i) {
        frag.appendChild(document.createTextNode(text.slice(last, i)));
        var mark = document.createElement("mark");
        mark.className = "search-hit";
        mark.textContent = hit;
        frag.appendChild(mark);
        last = i + hit.length;
        return hit;
      });
      frag.appendChild(document.createTextNode(text.slice(last)));
      node.parentNode.replaceChild(frag, node);
    });
  }

  /* ← and → go to the previous and next page, unless the reader is typing
     or scrolling something sideways. */
  function setupKeys() {
    document.addEventListener("keydown", function (e) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) { return; }
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") { return; }
      var t = e.target;
      if (t && t !== document.body && (t.isContentEditable || t.closest("input, textarea, select, pre, table, [popover], svg, details"))) { return; }
      var link = document.querySelector(e.key === "ArrowLeft" ? 'link[rel="prev"]' : 'link[rel="next"]');
      if (link) { e.preventDefault(); location.href = link.href; }
    });
  }

  /* The sidebar marks the section being read as the page scrolls. */
  function setupSpy() {
    var links = document.querySelectorAll("#sidebar .sections a");
    if (!links.length || !window.IntersectionObserver) { return; }
    var byID = {};
    Array.prototype.forEach.call(links, function (a) {
      try { byID[decodeURIComponent(a.getAttribute("href").slice(1))] = a; } catch (e) { /* skip it */ }
    });
    var heads = Array.prototype.filter.call(document.querySelectorAll("main h2[id]"), function (h) { return byID[h.id]; });
    if (!heads.length) { return; }
    var current = null;
    function update() {
      // The last heading scrolled up to just under the bar, or the last
      // one when the page is scrolled to its end.
      var bar = document.querySelector(".topbar");
      var line = (bar ? bar.getBoundingClientRect().bottom : 0) + 48, pick = null;
      heads.forEach(function (h) { if (h.getBoundingClientRect().top <= line) { pick = h; } });
      if (innerHeight + scrollY >= document.documentElement.scrollHeight - 2) { pick = heads[heads.length - 1]; }
      var a = pick ? byID[pick.id] : null;
      if (a === current) { return; }
      if (current) { current.removeAttribute("aria-current"); }
      if (a) { a.setAttribute("aria-current", "location"); }
      current = a;
    }
    var pending = false;
    window.addEventListener("scroll", function () {
      if (pending) { return; }
      pending = true;
      requestAnimationFrame(function () { pending = false; update(); });
    }, { passive: true });
    window.addEventListener("hashchange", update);
    update();
  }

  /* A value's note: its link to the run closes it. */
  function setupNotes() {
    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest(".value-note a");
      if (a) { var note = a.closest("[popover]"); if (note && note.hidePopover) { note.hidePopover(); } }
    });
  }

  /* A heading's link icon keeps to the line of the heading's last word:
     the two go in a span that does not wrap. */
  function setupAnchors() {
    Array.prototype.forEach.call(document.querySelectorAll("main .anchor"), function (a) {
      var text = a.previousSibling;
      if (!text || text.nodeType !== 3) { return; }
      var s = text.nodeValue, i = s.search(/\S+\s*$/);
      if (i < 0) { return; }
      var keep = document.createElement("span");
      keep.className = "nowrap";
      keep.appendChild(document.createTextNode(s.slice(i)));
      text.nodeValue = s.slice(0, i);
      a.parentNode.insertBefore(keep, a);
      keep.appendChild(a);
    });
  }

  /* A block wider than the column scrolls sideways: the keyboard can
     reach it to scroll it. */
  function setupScrollers() {
    Array.prototype.forEach.call(document.querySelectorAll("main pre, main table, main .table-scroll, main figure"), function (el) {
      if (el.scrollWidth > el.clientWidth + 1 && !el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "0"); }
    });
  }

  function setup() {
    setupTheme();
    setupMenu();
    setupCopy();
    setupSearch();
    setupKeys();
    setupSpy();
    setupNotes();
    markSearched();
    setupScrollers();
    setupAnchors();
    // Print every disclosure unfolded (the stylesheet does it too, where
    // the browser knows ::details-content).
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
