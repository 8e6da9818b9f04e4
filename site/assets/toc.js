/* litbook: the sidebar. Loaded by a <script> inside the sidebar, so that
   it draws the chapters in place before the page is shown; the site writes
   the call with the book's chapters after this function. */
/* eslint-disable no-var */
var litbookTOC = function (chapters) {
  "use strict";
  var script = document.currentScript;
  var here = location.pathname.split("/").pop() || "index.html";
  try { here = decodeURIComponent(here); } catch (e) { /* keep it */ }
  var list = document.createElement("ol");
  list.className = "chapters";
  var current = null;
  chapters.forEach(function (c) {
    if (c[4]) {
      // The first chapter of a part: the part's title before it.
      var part = document.createElement("li");
      part.className = "part";
      part.textContent = c[4];
      list.appendChild(part);
    }
    var li = document.createElement("li");
    if (c[3]) { li.className = "appendix"; }
    var a = document.createElement("a");
    a.href = c[1];
    a.textContent = c[0];
    li.appendChild(a);
    var href = c[1];
    try { href = decodeURIComponent(href.replace(/^\.\//, "")); } catch (e) { /* keep it */ }
    if (href === here) {
      a.setAttribute("aria-current", "page");
      li.className += " current";
      current = a;
      if (c[2].length) {
        var sub = document.createElement("ol");
        sub.className = "sections";
        c[2].forEach(function (s) {
          var sli = document.createElement("li");
          var sa = document.createElement("a");
          sa.href = "#" + encodeURIComponent(s[1]);
          sa.textContent = s[0];
          sli.appendChild(sa);
          sub.appendChild(sli);
        });
        li.appendChild(sub);
      }
    }
    list.appendChild(li);
  });
  script.parentNode.insertBefore(list, script);
  if (current) {
    var nav = script.parentNode;
    // Keep the current chapter in view in a long sidebar.
    var top = current.offsetTop - nav.clientHeight / 3;
    if (top > 0) { nav.scrollTop = top; }
  }
};
litbookTOC