// The search page. `briefing build` writes each language's index beside its search page:
// meta.json, words-<b>.json and pages-<k>.json (described in the program's src/search.rs).
// This script splits a query into words as the build splits the briefings, fetches only the
// files those words need, ranks the briefings that hold every word (BM25), and shows each
// with its date and an excerpt with the words marked. Everything it shows goes in as text.
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root || !window.fetch) return;
  var base = root.getAttribute("data-index");
  var form = root.querySelector("form");
  var input = root.querySelector("input[type=search]");
  var status = root.querySelector(".search-status");
  var list = root.querySelector(".search-results");
  var more = root.querySelector(".search-more");
  var PER_SCREEN = 10;
  var VERSION = 1;
  var K1 = 1.2;
  var B = 0.75;

  function say(name, fields) {
    var text = root.getAttribute("data-" + name) || "";
    Object.keys(fields || {}).forEach(function (k) {
      text = text.split("{" + k + "}").join(String(fields[k]));
    });
    return text;
  }

  // Files other than meta.json are asked for with the stamp of the build that wrote it, so a
  // cache never hands over a file of another build.
  var files = {};
  var stamp = "";
  function load(name) {
    if (!files[name]) {
      var url = base + name + (stamp ? "?v=" + encodeURIComponent(stamp) : "");
      // meta.json is always checked with the server: it names the build.
      var options = stamp ? {} : { cache: "no-cache" };
      files[name] = fetch(url, options).then(function (response) {
        if (!response.ok) throw new Error(name + ": " + response.status);
        return response.json();
      });
      files[name].catch(function () { delete files[name]; });
    }
    return files[name];
  }

  var meta = load("meta.json").then(function (m) {
    if (m.version !== VERSION) throw new Error("index version " + m.version);
    stamp = m.stamp;
    var total = 0;
    m.lengths.forEach(function (n) { total += n; });
    m.average = m.pages ? total / m.pages : 1;
    return m;
  });

  // The same classes of characters as the build: src/search.rs `is_cjk`, `is_word_char`.
  function isCjk(cp) {
    return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x31f0 && cp <= 0x31ff) ||
      (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x3ffff);
  }
  var MARKS = [[0x0300, 0x036f], [0x0483, 0x0489], [0x0591, 0x05bd], [0x0610, 0x061a],
    [0x064b, 0x065f], [0x0900, 0x0903], [0x093a, 0x094f], [0x0e31, 0x0e3a],
    [0x1ab0, 0x1aff], [0x1dc0, 0x1dff], [0x20d0, 0x20ff], [0xfe20, 0xfe2f]];
  var ALPHANUMERIC = /[\p{Alphabetic}\p{N}]/u;
  function isWordChar(ch) {
    var cp = ch.codePointAt(0);
    return ALPHANUMERIC.test(ch) || MARKS.some(function (r) { return cp >= r[0] && cp <= r[1]; });
  }

  // The query's words, as src/search.rs `words` splits text; a run of Chinese or Japanese
  // stays whole, to be split with the index's own words.
  function split(query) {
    var chars = Array.from(query.toLowerCase());
    var out = [];
    var run = "";
    var cjk = false;
    function flush() {
      if (run) out.push({ text: run, cjk: cjk });
      run = "";
      cjk = false;
    }
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i] === "\u2019" ? "'" : chars[i];
      var next = chars[i + 1];
      if (isCjk(c.codePointAt(0))) {
        if (!cjk) { flush(); cjk = true; }
        run += c;
      } else if (isWordChar(c)) {
        if (cjk) flush();
        run += c;
      } else if (c === "'" && !cjk && run && next && isWordChar(next) && !isCjk(next.codePointAt(0))) {
        run += c;
      } else {
        flush();
      }
    }
    flush();
    return out;
  }

  // src/search.rs `bucket`.
  function bucket(word, buckets) {
    var chars = Array.from(word);
    var h = chars[0].codePointAt(0);
    if (!isCjk(h)) {
      chars.slice(1, 3).forEach(function (c) { h = (Math.imul(h, 31) + c.codePointAt(0)) >>> 0; });
    }
    return h % buckets;
  }

  function words(word, m) {
    return load("words-" + bucket(word, m.buckets) + ".json");
  }

  // The groups of words a query word finds: the group with the word itself; a group whose
  // stem the word extends by up to three letters (traffickers: traffick); and groups with a
  // word it begins (a word still being typed: from three letters on, whose bucket holds all
  // the words they begin, or from one Chinese or Japanese character), each counting less.
  function find(word, entries) {
    var found = [];
    var length = Array.from(word).length;
    var begins = length >= 3 || isCjk(word.codePointAt(0));
    entries.forEach(function (entry) {
      var stem = entry[2];
      var weight = entry[0].indexOf(word) >= 0 ? 1
        : stem && stem.length >= 3 && word.indexOf(stem) === 0 && length - stem.length <= 3 ? 0.8
        : begins && entry[0].some(function (w) { return w.indexOf(word) === 0; }) ? 0.6
        : 0;
      if (weight) found.push({ words: entry[0], postings: entry[1], weight: weight });
    });
    return found;
  }

  // A run of Chinese or Japanese, split into the index's words, the longest first.
  function splitRun(run, m) {
    var chars = Array.from(run);
    var terms = [];
    function step(i) {
      if (i >= chars.length) return Promise.resolve(terms);
      var rest = chars.slice(i).join("");
      return words(chars[i], m).then(function (entries) {
        var best = "";
        entries.forEach(function (entry) {
          entry[0].forEach(function (w) {
            if (w.length > best.length && rest.indexOf(w) === 0) best = w;
          });
        });
        if (!best) {
          terms.push(rest);
          return terms;
        }
        terms.push(best);
        return step(i + Array.from(best).length);
      });
    }
    return step(0);
  }

  // Briefing ids by score, best first, and the words of the index that matched.
  function rank(query, m) {
    return Promise.all(split(query).map(function (w) {
      return w.cjk ? splitRun(w.text, m) : [w.text];
    })).then(function (lists) {
      var terms = [].concat.apply([], lists);
      return Promise.all(terms.map(function (t) {
        return words(t, m).then(function (entries) { return find(t, entries); });
      }));
    }).then(function (termGroups) {
      var scores = null;
      var marked = [];
      termGroups.forEach(function (groups) {
        var term = new Map();
        groups.forEach(function (g) {
          marked.push.apply(marked, g.words);
          var df = g.postings.length / 2;
          var idf = Math.log(1 + (m.pages - df + 0.5) / (df + 0.5));
          for (var i = 0; i < g.postings.length; i += 2) {
            var id = g.postings[i];
            var count = g.postings[i + 1];
            var norm = K1 * (1 - B + B * m.lengths[id] / m.average);
            var s = g.weight * idf * count * (K1 + 1) / (count + norm);
            if (!(term.get(id) >= s)) term.set(id, s);
          }
        });
        if (scores === null) {
          scores = term;
        } else {
          var both = new Map();
          scores.forEach(function (s, id) { if (term.has(id)) both.set(id, s + term.get(id)); });
          scores = both;
        }
      });
      var ids = Array.from((scores || new Map()).keys());
      ids.sort(function (a, b) { return scores.get(b) - scores.get(a) || b - a; });
      return { ids: ids, marked: marked };
    });
  }

  // Where the marked words are in `text`: [start, end] pairs in order, not overlapping.
  function spans(text, marked) {
    var lower = text.toLowerCase();
    if (lower.length !== text.length) return [];
    var found = [];
    marked.forEach(function (w) {
      var cjk = isCjk(w.codePointAt(0));
      for (var at = lower.indexOf(w); at >= 0; at = lower.indexOf(w, at + 1)) {
        var end = at + w.length;
        if (cjk || ((at === 0 || !isWordChar(lower[at - 1])) &&
            (end >= lower.length || !isWordChar(lower[end])))) {
          found.push([at, end]);
        }
      }
    });
    found.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var out = [];
    found.forEach(function (s) {
      if (!out.length || s[0] >= out[out.length - 1][1]) out.push(s);
    });
    return out;
  }

  // A paragraph of about 200 characters around the first marked word, the words in <mark>.
  function excerpt(text, marked) {
    var p = document.createElement("p");
    p.className = "search-excerpt";
    var found = spans(text, marked);
    var start = found.length ? Math.max(0, found[0][0] - 60) : 0;
    if (start > 0) {
      // Begin at a word in text with spaces; Chinese may begin anywhere.
      var space = text.lastIndexOf(" ", start);
      if (space >= 0 && space > start - 30) start = space + 1;
    }
    var end = Math.min(text.length, start + 200);
    if (end < text.length) {
      var last = text.lastIndexOf(" ", end);
      if (last > end - 30) end = last;
    }
    var at = start;
    p.appendChild(document.createTextNode(start > 0 ? "…" : ""));
    found.forEach(function (s) {
      if (s[0] < at || s[1] > end) return;
      p.appendChild(document.createTextNode(text.slice(at, s[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(s[0], s[1]);
      p.appendChild(mark);
      at = s[1];
    });
    p.appendChild(document.createTextNode(text.slice(at, end) + (end < text.length ? "…" : "")));
    return p;
  }

  function item(page, marked) {
    var li = document.createElement("li");
    var h = document.createElement("h2");
    var a = document.createElement("a");
    a.href = page.url;
    a.textContent = page.title;
    h.appendChild(a);
    var time = document.createElement("time");
    time.dateTime = page.datetime;
    time.textContent = page.date;
    li.appendChild(h);
    li.appendChild(time);
    li.appendChild(excerpt(page.text, marked));
    return li;
  }

  var current = 0;
  var shown = null;

  function showMore(m, search) {
    if (!shown || more.disabled) return Promise.resolve();
    more.disabled = true;
    var ids = shown.ids.slice(shown.count, shown.count + PER_SCREEN);
    var chunks = ids.map(function (id) { return Math.floor(id / m.chunk); });
    return Promise.all(chunks.map(function (k) { return load("pages-" + k + ".json"); }))
      .then(function (pages) {
        if (search !== current) return;
        ids.forEach(function (id, n) {
          list.appendChild(item(pages[n][id % m.chunk], shown.marked));
        });
        shown.count += ids.length;
        more.hidden = shown.count >= shown.ids.length;
      })
      .finally(function () { more.disabled = false; });
  }

  function run(query) {
    var search = ++current;
    query = query.trim();
    list.textContent = "";
    more.hidden = true;
    more.disabled = false;
    shown = null;
    var url = new URL(location.href);
    if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
    history.replaceState(null, "", url);
    if (!query) {
      status.textContent = "";
      root.setAttribute("data-state", "idle");
      return;
    }
    root.setAttribute("data-state", "searching");
    status.textContent = say("searching");
    meta.then(function (m) {
      return rank(query, m).then(function (result) {
        if (search !== current) return;
        shown = { ids: result.ids, marked: result.marked, count: 0 };
        var n = result.ids.length;
        status.textContent = say(n === 0 ? "none" : n === 1 ? "found-one" : "found",
          { count: n, query: query });
        return showMore(m, search);
      });
    }).then(function () {
      if (search === current) root.setAttribute("data-state", "done");
    }, function () {
      if (search !== current) return;
      status.textContent = say("failed");
      root.setAttribute("data-state", "failed");
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run(input.value);
  });
  more.addEventListener("click", function () {
    meta.then(function (m) { return showMore(m, current); });
  });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial);
  }
})();
