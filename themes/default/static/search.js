// The search page. `briefing build` writes each language's index beside its search page
// (described in the program's src/search/mod.rs): the page gives the address of its
// meta.json, which names the index's other files.
// This script splits a query into words as the build splits the briefings, fetches only the
// files those words need, ranks the briefings that hold every word (BM25), and shows each
// with its date and an excerpt with the words marked. Everything it shows goes in as text.
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root || !window.fetch) return;
  // The address of a language's meta.json. A search.html of an older theme gives only the
  // index's folder, where meta.json has always been.
  function metaOf(el) {
    return el.getAttribute("data-meta") || el.getAttribute("data-index") + "meta.json";
  }
  var form = root.querySelector("form");
  var input = root.querySelector("input[type=search]");
  var status = root.querySelector(".search-status");
  var list = root.querySelector(".search-results");
  var more = root.querySelector(".search-more");
  var announce = root.querySelector(".search-announce");
  // The header's search box, which shows the query being searched.
  var header = document.querySelector(".search-box input[name=q]");
  var PER_SCREEN = 10;
  var VERSION = 3;
  var BEGINS = 0.5;
  var K1 = 1.2;
  var B = 0.75;

  function say(name, fields) {
    var text = root.getAttribute("data-" + name) || "";
    Object.keys(fields || {}).forEach(function (k) {
      text = text.split("{" + k + "}").join(String(fields[k]));
    });
    return text;
  }

  // A language's index, from the address of its meta.json: the index, with `load` for its
  // other files, beside it. They are asked for with the stamp of the build that wrote
  // meta.json, so a cache never hands over a file of another build.
  function open(metaUrl) {
    var files = {};
    var stamp = "";
    var cut = metaUrl.lastIndexOf("/") + 1;
    var base = metaUrl.slice(0, cut);
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
    return load(metaUrl.slice(cut)).then(function (m) {
      if (m.version !== VERSION) throw new Error("index version " + m.version);
      stamp = m.stamp;
      var total = 0;
      m.lengths.forEach(function (n) { total += n; });
      m.average = m.pages ? total / m.pages : 1;
      // Words find their other forms with the stemmer meta.json names (src/locale.rs says
      // which language has one here: English, whose stemmer is below).
      m.stem = m.query_stemmer === "english" ? stemEnglish : null;
      m.load = load;
      return m;
    });
  }

  // A file name of meta.json's `files` with its number: `words-{}.json` → `words-3.json`.
  function numbered(name, n) {
    return name.split("{}").join(String(n));
  }

  var meta = open(metaOf(root));
  // The site's other languages, whose indexes are asked when a query finds little here.
  var others = Array.from(root.querySelectorAll(".search-other")).map(function (el) {
    return { name: el.getAttribute("data-name"), lang: el.getAttribute("data-html-lang"),
      page: el.getAttribute("data-index"), index: metaOf(el), meta: null };
  });
  var elsewhere = root.querySelector(".search-elsewhere");
  // Fewer results than this here, and the other languages are asked.
  var FEW = 3;

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
  // src/search.rs `lower`: full-width forms of ASCII as ASCII, a typographic apostrophe plain,
  // hyphens as "-".
  function lower(text) {
    return Array.from(text).map(function (c) {
      var cp = c.codePointAt(0);
      if (cp >= 0xff01 && cp <= 0xff5e) return String.fromCodePoint(cp - 0xfee0);
      if (cp === 0x3000) return " ";
      if (cp === 0x2019) return "'";
      if (cp === 0x2010 || cp === 0x2011) return "-";
      return c;
    }).join("").toLowerCase();
  }

  function split(query) {
    var chars = Array.from(lower(query));
    var out = [];
    var run = "";
    var cjk = false;
    function flush() {
      if (run) out.push({ text: run, cjk: cjk });
      run = "";
      cjk = false;
    }
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i];
      var next = chars[i + 1];
      if (isCjk(c.codePointAt(0))) {
        if (!cjk) { flush(); cjk = true; }
        run += c;
      } else if (isWordChar(c)) {
        if (cjk) flush();
        run += c;
      } else if ((c === "'" || c === "-") && !cjk && run && next && isWordChar(next) && !isCjk(next.codePointAt(0))) {
        run += c;
      } else {
        flush();
      }
    }
    flush();
    return out;
  }

  // src/search.rs `bucket`.
  var SPREAD = 8;
  function bucket(word, buckets) {
    var chars = Array.from(word);
    var h = chars[0].codePointAt(0);
    if (isCjk(h)) {
      h = (Math.imul(h, 31) + (chars.length > 1 ? chars[1].codePointAt(0) % SPREAD : 0)) >>> 0;
    } else {
      chars.slice(1, 3).forEach(function (c) { h = (Math.imul(h, 31) + c.codePointAt(0)) >>> 0; });
    }
    return h % buckets;
  }

  // src/search.rs `prefix_buckets`: the buckets of every word a Chinese character begins.
  function prefixBuckets(c, buckets) {
    var all = [];
    for (var s = 0; s < SPREAD; s++) {
      var b = ((Math.imul(c.codePointAt(0), 31) + s) >>> 0) % buckets;
      if (all.indexOf(b) < 0) all.push(b);
    }
    return all;
  }

  function words(word, m) {
    return m.load(numbered(m.files.words, bucket(word, m.buckets)));
  }

  // The Snowball English (Porter2) stemmer, as the build's rust-stemmers has it (the tests
  // compare the two): a lowercase word's stem.
  function stemEnglish(word) {
    var VOWEL = /[aeiouy]/;
    var s, m, st, b, i, p1, p2, yFound = false;

    // Longest suffix of s matched by re (an alternation anchored with $); sets m and st (the rest of s).
    function suffix(re) {
      m = re.exec(s);
      if (m) st = s.slice(0, m.index);
      return m ? m[0] : null;
    }
    function isV(c) { return c !== '' && VOWEL.test(c); }
    // shortv: (non-vowel-or-wxY)(vowel)(non-vowel) at the end, or (vowel)(non-vowel) as the whole word.
    function shortv(t) {
      var n = t.length;
      if (n >= 3) return !/[aeiouywxY]/.test(t.charAt(n - 1)) && isV(t.charAt(n - 2)) && !isV(t.charAt(n - 3));
      return n === 2 && !isV(t.charAt(1)) && isV(t.charAt(0));
    }
    // gopast vowel, gopast non-vowel, starting at index i
    function region(i) {
      while (i < s.length && !isV(s.charAt(i))) i++;
      for (i++; i < s.length; i++) if (!isV(s.charAt(i))) return i + 1;
      return s.length;
    }

    // exception1: whole-word exceptions
    var EXC1 = {
      skis: 'ski', skies: 'sky', dying: 'die', lying: 'lie', tying: 'tie',
      idly: 'idl', gently: 'gentl', ugly: 'ugli', early: 'earli', only: 'onli',
      singly: 'singl', sky: 'sky', news: 'news', howe: 'howe', atlas: 'atlas',
      cosmos: 'cosmos', bias: 'bias', andes: 'andes'
    };

    // Step 2 / Step 3 replacements
    var STEP2 = {
      tional: 'tion', enci: 'ence', anci: 'ance', abli: 'able', entli: 'ent',
      izer: 'ize', ization: 'ize', ational: 'ate', ation: 'ate', ator: 'ate',
      alism: 'al', aliti: 'al', alli: 'al', fulness: 'ful', ousli: 'ous',
      ousness: 'ous', iveness: 'ive', iviti: 'ive', biliti: 'ble', bli: 'ble',
      fulli: 'ful', lessli: 'less'
    };
    var STEP3 = {
      tional: 'tion', ational: 'ate', alize: 'al', icate: 'ic', iciti: 'ic', ical: 'ic', ful: '', ness: ''
    };

    if (EXC1.hasOwnProperty(word)) return EXC1[word];
    if (word.length < 3) return word;

    // prelude: drop a leading apostrophe, mark consonantal y as Y
    s = word.charAt(0) === "'" ? word.slice(1) : word;
    if (s.charAt(0) === 'y') { s = 'Y' + s.slice(1); yFound = true; }
    for (i = 1; i < s.length; i++) {
      if (s.charAt(i) === 'y' && isV(s.charAt(i - 1))) {
        s = s.slice(0, i) + 'Y' + s.slice(i + 1);
        yFound = true;
      }
    }

    // mark_regions: R1 starts at p1, R2 at p2
    m = /^(?:gener|commun|arsen)/.exec(s);
    p1 = m ? m[0].length : region(0);
    p2 = region(p1);

    // Step 1a
    if (suffix(/(?:'s'|'s|')$/)) s = st;
    switch (suffix(/(?:sses|ied|ies|ss|us|s)$/)) {
      case 'sses': s = st + 'ss'; break;
      case 'ied': case 'ies': s = st + (st.length > 1 ? 'i' : 'ie'); break;
      case 's': if (VOWEL.test(st.slice(0, -1))) s = st; break;
    }

    // exception2: stop after Step 1a for these words
    if (!/^(?:succeed|proceed|exceed|canning|inning|earring|herring|outing)$/.test(s)) {

      // Step 1b
      switch (suffix(/(?:eedly|ingly|edly|eed|ing|ed)$/)) {
        case 'eed': case 'eedly':
          if (st.length >= p1) s = st + 'ee';
          break;
        case 'ed': case 'edly': case 'ing': case 'ingly':
          if (!VOWEL.test(st)) break;
          s = st;
          if (/(?:at|bl|iz)$/.test(s)) s += 'e';
          else if (/(?:bb|dd|ff|gg|mm|nn|pp|rr|tt)$/.test(s)) s = s.slice(0, -1);
          else if (s.length === p1 && shortv(s)) s += 'e';
          break;
      }

      // Step 1c
      if (s.length > 2 && /[^aeiouy][yY]$/.test(s)) s = s.slice(0, -1) + 'i';

      // Step 2
      if (suffix(/(?:ational|tional|ization|iveness|fulness|ousness|lessli|biliti|enci|anci|abli|entli|izer|ation|ator|alism|aliti|alli|ousli|iviti|fulli|bli|ogi|li)$/) && st.length >= p1) {
        if (m[0] === 'ogi') { if (/l$/.test(st)) s = st + 'og'; }
        else if (m[0] === 'li') { if (/[cdeghkmnrt]$/.test(st)) s = st; }
        else s = st + STEP2[m[0]];
      }

      // Step 3
      if (suffix(/(?:ational|tional|alize|icate|iciti|ative|ical|ness|ful)$/) && st.length >= p1) {
        if (m[0] !== 'ative') s = st + STEP3[m[0]];
        else if (st.length >= p2) s = st;
      }

      // Step 4
      if (suffix(/(?:ement|ment|ance|ence|able|ible|ant|ent|ism|ate|iti|ous|ive|ize|ion|al|er|ic)$/) && st.length >= p2) {
        if (m[0] !== 'ion' || /[st]$/.test(st)) s = st;
      }

      // Step 5
      b = s.length - 1;
      if (s.charAt(b) === 'e') {
        if (b >= p2 || (b >= p1 && !shortv(s.slice(0, b)))) s = s.slice(0, b);
      } else if (s.charAt(b) === 'l') {
        if (b >= p2 && s.charAt(b - 1) === 'l') s = s.slice(0, b);
      }
    }

    // postlude: Y back to y
    if (yFound) s = s.replace(/Y/g, 'y');
    return s;
  }

  // A group of a words-<b>.json file, its ids made whole again (the file holds each as the
  // difference from the one before).
  function group(entry) {
    if (!entry.postings) {
      var id = 0;
      entry.postings = [];
      for (var i = 0; i < entry[1].length; i += 2) {
        id += entry[1][i];
        entry.postings.push(id, entry[1][i + 1]);
      }
      id = 0;
      entry.titles = new Set(entry[3].map(function (gap) { id += gap; return id; }));
    }
    return entry;
  }

  // What the briefings that any of `groups` holds score (the best of the groups), and those
  // with one in their title; null without a group. src/search/query.rs `any_of`.
  function anyOf(groups, m) {
    if (!groups.length) return null;
    var part = { scores: new Map(), titles: new Set() };
    groups.forEach(function (g) {
      var e = group(g.entry);
      var df = e[1].length / 2;
      var idf = Math.log(1 + (m.pages - df + 0.5) / (df + 0.5));
      for (var i = 0; i < e.postings.length; i += 2) {
        var id = e.postings[i];
        var count = e.postings[i + 1];
        var norm = K1 * (1 - B + B * m.lengths[id] / m.average);
        var s = g.weight * idf * count * (K1 + 1) / (count + norm);
        if (!(part.scores.get(id) >= s)) part.scores.set(id, s);
      }
      e.titles.forEach(function (id) { part.titles.add(id); });
    });
    return part;
  }

  function both(a, b) {
    var scores = new Map();
    a.scores.forEach(function (s, id) { if (b.scores.has(id)) scores.set(id, s + b.scores.get(id)); });
    var titles = new Set();
    a.titles.forEach(function (id) { if (b.titles.has(id)) titles.add(id); });
    return { scores: scores, titles: titles };
  }

  // A word, or a term with hyphens: found whole, else by its parts as words, each a part of
  // the query, as long as every part is known. src/search/query.rs `term_part`.
  function termPart(word, last, m, marked) {
    if (word.indexOf("-") < 0) return wordPart(word, last, m, marked, true);
    return wordPart(word, last, m, marked, false).then(function (whole) {
      if (whole) return whole;
      var pieces = word.split("-");
      // The parts' words are marked only if the term is found by them.
      var piecesMarked = [];
      return Promise.all(pieces.map(function (piece, k) {
        return wordPart(piece, last && k === pieces.length - 1, m, piecesMarked, true);
      })).then(function (parts) {
        // A part no briefing has: no briefing has the term either.
        if (parts.some(function (p) { return p === null; })) return null;
        marked.push.apply(marked, piecesMarked);
        return parts.reduce(both);
      });
    });
  }

  // A word: the group it is in and the group of its stem; only a word the index does not
  // hold, typed last, finds the words it begins. src/search/query.rs `word_part`.
  function wordPart(word, last, m, marked, stemmed) {
    var stem = stemmed && m.stem ? m.stem(word) : null;
    return words(word, m).then(function (entries) {
      var groups = entries.filter(function (e) {
        return e[0].indexOf(word) >= 0 || (stem !== null && e[2] !== "" && e[2] === stem);
      }).map(function (e) { return { entry: e, weight: 1 }; });
      if (!groups.length && last && Array.from(word).length >= 3) {
        groups = entries.filter(function (e) {
          return e[0].some(function (w) { return w.indexOf(word) === 0; });
        }).map(function (e) { return { entry: e, weight: BEGINS }; });
      }
      groups.forEach(function (g) { marked.push.apply(marked, g.entry[0]); });
      return anyOf(groups, m);
    });
  }

  // A run of Chinese or Japanese: one character finds the groups it begins; more, the
  // briefings with every pair of neighbouring characters. src/search/query.rs `run_part`.
  function runPart(run, m, marked) {
    var chars = Array.from(run);
    if (chars.length === 1) {
      return Promise.all(prefixBuckets(run, m.buckets).map(function (b) {
        return m.load(numbered(m.files.words, b));
      })).then(function (files) {
        var groups = [];
        files.forEach(function (entries) {
          entries.forEach(function (e) {
            if (e[0].some(function (w) { return w.indexOf(run) === 0; })) groups.push({ entry: e, weight: 1 });
          });
        });
        var part = anyOf(groups, m);
        if (part) marked.push(run);
        return part;
      });
    }
    var pairs = [];
    for (var i = 0; i + 1 < chars.length; i++) pairs.push(chars[i] + chars[i + 1]);
    return Promise.all(pairs.map(function (pair) {
      return words(pair, m).then(function (entries) {
        return anyOf(entries.filter(function (e) { return e[0].indexOf(pair) >= 0; })
          .map(function (e) { return { entry: e, weight: 1 }; }), m);
      });
    })).then(function (parts) {
      if (parts.some(function (p) { return p === null; })) return null;
      marked.push(run);
      return parts.reduce(both);
    });
  }

  // Briefing ids, best first: every part of the query in the title first, then by score,
  // then the newest; with the words to mark and the parts of the query left out.
  function rank(query, m) {
    function chinese(text) {
      return Array.from(text).some(function (c) { return isCjk(c.codePointAt(0)); });
    }
    return ranked(query, m).then(function (found) {
      // Typed in traditional characters, which the briefings do not hold: as their
      // simplified text. src/search/query.rs `search`.
      var unknown = !found.ids.length || found.ignored.some(chinese);
      if (!(m.t2s && unknown && chinese(query))) return found;
      return m.load(m.files.t2s).then(function (t2s) {
        var simplified = Array.from(lower(query)).map(function (c) {
          return Object.prototype.hasOwnProperty.call(t2s, c) ? t2s[c] : c;
        }).join("");
        return simplified === lower(query) ? found : ranked(simplified, m);
      });
    });
  }

  function ranked(query, m) {
    var tokens = split(query);
    var marked = [];
    return Promise.all(tokens.map(function (t, n) {
      return t.cjk ? runPart(t.text, m, marked) : termPart(t.text, n === tokens.length - 1, m, marked);
    })).then(function (parts) {
      var known = parts.filter(function (p) { return p !== null; });
      var ignored = known.length ? tokens.filter(function (t, n) { return parts[n] === null; })
        .map(function (t) { return t.text; }) : [];
      if (!known.length) return { ids: [], marked: [], ignored: [] };
      var whole = known.reduce(both);
      var scores = whole.scores;
      var headline = new Map();
      scores.forEach(function (s, id) { headline.set(id, whole.titles.has(id) ? 1 : 0); });
      var ids = Array.from(scores.keys());
      ids.sort(function (a, b) {
        return headline.get(b) - headline.get(a) || scores.get(b) - scores.get(a) || b - a;
      });
      return { ids: ids, marked: marked, ignored: ignored };
    });
  }

  // Whether a character (or none) ends a word beside it: 2015 is a word in 2015年.
  function apart(c) {
    return c === undefined || !isWordChar(c) || isCjk(c.codePointAt(0));
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
        if (cjk || (apart(lower[at - 1]) && apart(lower[end]))) {
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

  // "More results" stays enabled while it loads (a disabled button would lose the focus of
  // the reader who pressed it); a second press meanwhile does nothing.
  var loading = false;

  function showMore(m, search) {
    if (!shown || loading) return Promise.resolve();
    loading = true;
    more.setAttribute("aria-busy", "true");
    var ids = shown.ids.slice(shown.count, shown.count + PER_SCREEN);
    var chunks = ids.map(function (id) { return Math.floor(id / m.chunk); });
    return Promise.all(chunks.map(function (k) { return m.load(numbered(m.files.pages, k)); }))
      .then(function (pages) {
        if (search !== current) return;
        ids.forEach(function (id, n) {
          list.appendChild(item(pages[n][id % m.chunk], shown.marked));
        });
        var first = shown.count === 0;
        shown.count += ids.length;
        more.hidden = shown.count >= shown.ids.length;
        if (!first) {
          announce.textContent = say("shown", { shown: shown.count, count: shown.ids.length });
          // The button goes once every result is shown: the focus moves to the last result.
          if (more.hidden) list.lastElementChild.querySelector("a").focus();
        }
      })
      .finally(function () {
        loading = false;
        more.removeAttribute("aria-busy");
      });
  }

  // The filters and order chosen, as the page's address keeps them (?project=…&sort=date).
  var FILTERS = ["project", "funder", "tag", "year"];
  var chosen = {};
  var asked = new URLSearchParams(location.search);
  FILTERS.concat(["sort"]).forEach(function (k) { chosen[k] = asked.get(k) || ""; });
  var filtersBox = root.querySelector(".search-filters");
  // The last query and all it found; filters.json once loaded.
  var found = null;
  var filterData = null;

  function run(query) {
    var search = ++current;
    query = query.trim();
    list.textContent = "";
    announce.textContent = "";
    elsewhere.textContent = "";
    elsewhere.hidden = true;
    more.hidden = true;
    loading = false;
    shown = null;
    found = null;
    if (header && header.value !== query) header.value = query;
    var url = new URL(location.href);
    if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
    history.replaceState(null, "", url);
    if (!query) {
      status.textContent = "";
      filtersBox.hidden = true;
      root.setAttribute("data-state", "idle");
      return;
    }
    root.setAttribute("data-state", "searching");
    status.textContent = say("searching");
    meta.then(function (m) {
      return rank(query, m).then(function (result) {
        if (search !== current) return;
        found = { query: query, result: result };
        if (result.ids.length < FEW) lookElsewhere(query, search);
        var filters = m.load(m.files.filters);
        var filtering = FILTERS.some(function (k) { return chosen[k]; });
        if (!filtering) {
          // The results first; the filters when their file is in.
          filters.then(function (f) {
            if (search === current) controls(f);
          }, function () {});
          return present(m, search);
        }
        return filters.then(function (f) {
          if (search !== current) return;
          controls(f);
          return present(m, search);
        });
      });
    }).then(function () {
      if (search === current) root.setAttribute("data-state", "done");
    }, function () {
      if (search !== current) return;
      status.textContent = say("failed");
      root.setAttribute("data-state", "failed");
    });
  }

  // Whether briefing `id` passes every chosen filter but `except`.
  function passes(id, except) {
    var f = filterData;
    if (!f) return true;
    if (except !== "year" && chosen.year && String(f.years[id]) !== chosen.year) return false;
    return f.filters.every(function (filter) {
      var want = chosen[filter.name];
      if (!want || filter.name === except) return true;
      return filter.of[id].some(function (v) { return filter.values[v][0] === want; });
    });
  }

  // The values of briefing `id` for a filter: [key, name] pairs.
  function valuesOf(name, id) {
    var f = filterData;
    if (name === "year") return [[String(f.years[id]), String(f.years[id])]];
    var filter = f.filters.filter(function (x) { return x.name === name; })[0];
    return filter ? filter.of[id].map(function (v) { return filter.values[v]; }) : [];
  }

  // Shows the last query's results through the chosen filters, in the chosen order.
  function present(m, search) {
    var ids = found.result.ids.filter(function (id) { return passes(id, null); });
    if (chosen.sort === "date") ids.sort(function (a, b) { return b - a; });
    list.textContent = "";
    announce.textContent = "";
    more.hidden = true;
    shown = { ids: ids, marked: found.result.marked, count: 0 };
    var n = ids.length;
    var ignored = found.result.ignored;
    status.textContent = say(n === 0 ? "none" : n === 1 ? "found-one" : "found",
      { count: n, query: found.query }) +
      (ignored.length ? " " + say("ignored", { words: ignored.join(" ") }) : "");
    return showMore(m, search);
  }

  // A choice of each filter, with the count of results for each value (the other filters
  // applied), and of the order.
  function controls(f) {
    filterData = f;
    filtersBox.textContent = "";
    FILTERS.forEach(function (name) {
      var counts = new Map();
      var names = new Map();
      var total = 0;
      found.result.ids.forEach(function (id) {
        if (!passes(id, name)) return;
        total++;
        valuesOf(name, id).forEach(function (v) {
          counts.set(v[0], (counts.get(v[0]) || 0) + 1);
          names.set(v[0], v[1]);
        });
      });
      var keys = Array.from(counts.keys());
      if (name === "year") keys.sort(function (a, b) { return b - a; });
      if (!keys.length && !chosen[name]) return;
      var options = [["", say("all", { count: total })]].concat(keys.map(function (k) {
        return [k, names.get(k) + " (" + counts.get(k) + ")"];
      }));
      if (chosen[name] && !counts.has(chosen[name])) options.push([chosen[name], chosen[name] + " (0)"]);
      filtersBox.appendChild(choice(name, say("filter-" + name), options));
    });
    filtersBox.appendChild(choice("sort", say("sort"), [
      ["", say("sort-relevance")], ["date", say("sort-date")]
    ]));
    filtersBox.hidden = false;
  }

  function choice(name, label, options) {
    var wrap = document.createElement("label");
    wrap.appendChild(document.createTextNode(label + " "));
    var select = document.createElement("select");
    select.name = name;
    options.forEach(function (o) {
      var option = document.createElement("option");
      option.value = o[0];
      option.textContent = o[1];
      option.selected = chosen[name] === o[0];
      select.appendChild(option);
    });
    wrap.appendChild(select);
    return wrap;
  }

  filtersBox.addEventListener("change", function (event) {
    var name = event.target.name;
    if (!found || !(name in chosen)) return;
    chosen[name] = event.target.value;
    var url = new URL(location.href);
    if (chosen[name]) url.searchParams.set(name, chosen[name]); else url.searchParams.delete(name);
    history.replaceState(null, "", url);
    var search = current;
    meta.then(function (m) {
      controls(filterData);
      // The choice just made keeps the focus.
      var again = filtersBox.querySelector("select[name=" + name + "]");
      if (again) again.focus();
      return present(m, search);
    });
  });

  // Says, with a link, how many results the query has in the other languages: "3 results in
  // English". A language whose index cannot be read is passed over.
  function lookElsewhere(query, search) {
    others.forEach(function (other) {
      if (!other.meta) other.meta = open(other.index);
      other.meta.then(function (m) {
        return rank(query, m);
      }).then(function (result) {
        var n = result.ids.length;
        if (search !== current || n === 0) return;
        var url = new URL(other.page, location.href);
        url.searchParams.set("q", query);
        var a = document.createElement("a");
        a.href = url.href;
        a.hreflang = other.lang;
        a.textContent = say(n === 1 ? "elsewhere-one" : "elsewhere", { count: n, language: other.name });
        var line = document.createElement("span");
        line.appendChild(a);
        if (elsewhere.childNodes.length) elsewhere.appendChild(document.createTextNode(" · "));
        elsewhere.appendChild(line);
        elsewhere.hidden = false;
      }, function () { other.meta = null; });
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
