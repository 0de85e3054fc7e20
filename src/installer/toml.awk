# toml.awk - the TOML parser and editor of install.sh (POSIX awk; busybox awk, mawk, gawk).
#
# It parses whole documents (config.toml, the candidate, RUNTIME_TABLES) into
# table headers and key/value entries with canonical paths: key segments are
# unquoted and decoded, then written bare when they can be (A-Za-z0-9_-) and as
# a basic string otherwise, so "runsc", runsc and 'runsc' are one key. Values
# are canonical too (strings re-escaped, integers in decimal). Multi-line
# strings and arrays are followed across lines, so a "[" inside them is never a
# header.
#
# Mode (SR_MODE) and inputs come from the environment (SR_*, RUNTIME_TABLES):
# nothing is ever spliced into this program. install.sh runs it with
# `awk -f toml.awk` (see its toml function); each mode is documented at its
# function below.
function fail(msg) { printf "%s\n", msg > "/dev/stderr"; exit 1 }
function perr(msg) { fail(DOCNAME[D] ": line " LI ": " msg) }

function load_file(d, f,    line, n, r) {
    n = 0
    while ((r = (getline line < f)) > 0) { n++; Ln[d, n] = line }
    if (r < 0) fail("cannot read " f)
    close(f)
    Nl[d] = n
}
function load_string(d, s,    n, i, parts) {
    n = split(s, parts, "\n")
    for (i = 1; i <= n; i++) Ln[d, i] = parts[i]
    Nl[d] = n
}

# --- growing strings: busybox awk copies a string on every concatenation, so a value built
# one piece at a time would take quadratic time; a buffer (BUF[k, 1..3], k names it) keeps the
# pieces in three levels and copies the big one only every 4096 characters
function bclear(k) { BUF[k, 1] = ""; BUF[k, 2] = ""; BUF[k, 3] = "" }
function badd(k, x) {
    BUF[k, 1] = BUF[k, 1] x
    if (length(BUF[k, 1]) < 64) return
    BUF[k, 2] = BUF[k, 2] BUF[k, 1]; BUF[k, 1] = ""
    if (length(BUF[k, 2]) < 4096) return
    BUF[k, 3] = BUF[k, 3] BUF[k, 2]; BUF[k, 2] = ""
}
function bget(k) { return BUF[k, 3] BUF[k, 2] BUF[k, 1] }

# --- cursor over the lines of document D. busybox awk's substr and length scan the whole
# string, so the cursor never works on a long line directly: the line is cut into chunks of
# CHUNK characters and CUR is a window of at most two of them, refilled as the cursor moves
# (fill keeps LOOK characters ahead). COFF + CI is the cursor's column in the whole line.
function setline(i,    line, n, k) {
    LI = i; CI = 1; COFF = 0; LCN = 0; LCK = 1
    line = (i <= NL) ? Ln[D, i] : ""
    sub(/\r$/, "", line)
    n = length(line)
    if (n <= CHUNK) { CUR = line; CLEN = n; return }
    for (k = 1; k <= n; k += CHUNK) LC[++LCN] = substr(line, k, CHUNK)
    CUR = ""; CLEN = 0; fill()
}
function fill() {
    while (CI + LOOK > CLEN && LCK <= LCN) {
        CUR = substr(CUR, CI) LC[LCK]; delete LC[LCK]; LCK++
        COFF += CI - 1; CI = 1; CLEN = length(CUR)
    }
}
# the cursor's column in the whole line
function col() { return COFF + CI }
# 1 when nothing but blanks is left on the line after the cursor's character
function rest_blank(    k) {
    if (substr(CUR, CI + 1) !~ /^[ \t]*$/) return 0
    for (k = LCK; k <= LCN; k++) if (LC[k] !~ /^[ \t]*$/) return 0
    return 1
}
# the characters from the cursor up to the first one matching the regular expression stop
# (or the end of the line); the cursor moves past them
function span(stop,    part, p) {
    bclear("span")
    while (1) {
        fill()
        if (CI > CLEN) return bget("span")
        part = substr(CUR, CI)
        p = match(part, stop)
        if (p == 0) { badd("span", part); CI = CLEN + 1; continue }
        badd("span", substr(part, 1, p - 1)); CI += p - 1
        return bget("span")
    }
}
function nextline() { setline(LI + 1) }
function ch() { fill(); return (CI <= CLEN) ? substr(CUR, CI, 1) : "\n" }
function skip_ws() { span("[^ \t]") }
function expect_eol(what) {
    skip_ws()
    if (CI <= CLEN && substr(CUR, CI, 1) != "#") perr("unexpected text after " what)
}
# whitespace, newlines and comments (inside arrays and inline tables)
function skip_all() {
    while (1) {
        skip_ws()
        if (CI <= CLEN && substr(CUR, CI, 1) != "#") return
        if (LI >= NL) perr("unterminated array or inline table")
        nextline()
    }
}

# --- strings
function hexval(h,    i, v) {
    v = 0; h = toupper(h)
    for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
    return v
}
function utf8(cp) {
    if (cp == 0) perr("NUL characters are not supported")
    if (cp < 128) return CHR[cp]
    if (cp < 2048) return CHR[192 + int(cp / 64)] CHR[128 + cp % 64]
    if (cp < 65536) return CHR[224 + int(cp / 4096)] CHR[128 + int(cp / 64) % 64] CHR[128 + cp % 64]
    if (cp < 1114112) return CHR[240 + int(cp / 262144)] CHR[128 + int(cp / 4096) % 64] CHR[128 + int(cp / 64) % 64] CHR[128 + cp % 64]
    perr("invalid unicode escape")
}
# cursor at a backslash; returns the decoded character
function parse_escape(    c, n, h) {
    fill()
    c = substr(CUR, CI + 1, 1)
    if (c == "n") { CI += 2; return "\n" }
    if (c == "t") { CI += 2; return "\t" }
    if (c == "r") { CI += 2; return "\r" }
    if (c == "b") { CI += 2; return CHR[8] }
    if (c == "f") { CI += 2; return CHR[12] }
    if (c == "e") { CI += 2; return CHR[27] }
    if (c == "\"") { CI += 2; return "\"" }
    if (c == "\\") { CI += 2; return "\\" }
    if (c == "u" || c == "U" || c == "x") {
        n = (c == "u") ? 4 : (c == "U") ? 8 : 2
        h = substr(CUR, CI + 2, n)
        if (length(h) != n || h !~ /^[0-9A-Fa-f]+$/) perr("invalid \\" c " escape")
        CI += 2 + n
        return utf8(hexval(h))
    }
    perr("invalid escape sequence \\" c)
}
# cursor at the opening quote of a one-line basic string
function parse_basic(    c) {
    CI++; bclear("str")
    while (1) {
        badd("str", span("[\"\\\\]"))
        if (CI > CLEN) perr("unterminated string")
        c = substr(CUR, CI, 1)
        if (c == "\"") { CI++; return bget("str") }
        badd("str", parse_escape())
    }
}
# cursor at the opening quote of a one-line literal string
function parse_literal(    s) {
    CI++
    s = span(Q)
    if (CI > CLEN) perr("unterminated literal string")
    CI++
    return s
}
# cursor at the opening triple quote q q q of a multi-line string
function parse_ml(q,    c, n, i) {
    CI += 3; bclear("str")
    fill()
    if (CI > CLEN) {
        if (LI >= NL) perr("unterminated multi-line string")
        nextline()
    }
    while (1) {
        badd("str", span(q == "\"" ? "[\"\\\\]" : Q))
        if (CI > CLEN) {
            if (LI >= NL) perr("unterminated multi-line string")
            badd("str", "\n"); nextline(); continue
        }
        c = substr(CUR, CI, 1)
        if (c == q && substr(CUR, CI, 3) == q q q) {
            n = 3
            while (n < 5 && substr(CUR, CI + n, 1) == q) n++
            CI += n
            for (i = 3; i < n; i++) badd("str", q)
            return bget("str")
        }
        if (q == "\"" && c == "\\") {
            if (rest_blank()) {
                # line-ending backslash: drop whitespace and newlines up to the next character
                while (1) {
                    if (LI >= NL) perr("unterminated multi-line string")
                    nextline(); skip_ws()
                    if (CI <= CLEN) break
                }
                continue
            }
            badd("str", parse_escape()); continue
        }
        badd("str", c); CI++
    }
}
# s with every match of the regular expression re replaced by rep (linear: split, then join)
function replace_all(s, re, rep,    n, i, parts) {
    n = split(s, parts, re)
    if (n <= 1) return s
    bclear("rep")
    for (i = 1; i <= n; i++) { if (i > 1) badd("rep", rep); badd("rep", parts[i]) }
    return bget("rep")
}
function canon_str(s,    i, j, n, w, c, o) {
    s = replace_all(s, "\\\\", "\\\\")
    s = replace_all(s, "\"", "\\\"")
    s = replace_all(s, "\n", "\\n")
    s = replace_all(s, "\t", "\\t")
    s = replace_all(s, "\r", "\\r")
    if (s ~ CTRL) {
        # other control characters: \uXXXX, a window of 256 characters at a time
        bclear("ctl"); n = length(s)
        for (i = 1; i <= n; i += 256) {
            w = substr(s, i, 256)
            for (j = 1; j <= length(w); j++) {
                c = substr(w, j, 1); o = ORD[c]
                badd("ctl", (o < 32 || o == 127) ? sprintf("\\u%04X", o) : c)
            }
        }
        s = bget("ctl")
    }
    return "\"" s "\""
}
function canon_seg(s) { return (s ~ /^[A-Za-z0-9_-]+$/) ? s : canon_str(s) }

# --- keys: sets KEYN and KEYSEG[1..KEYN]; returns the canonical dotted key
function parse_key(    c, seg, path, s) {
    KEYN = 0; path = ""
    while (1) {
        skip_ws()
        c = ch()
        if (c == "\"") seg = parse_basic()
        else if (c == Q) seg = parse_literal()
        else {
            s = span("[^A-Za-z0-9_-]")
            if (s == "") perr("expected a key")
            seg = s
        }
        KEYN++; KEYSEG[KEYN] = canon_seg(seg)
        path = (KEYN == 1) ? KEYSEG[1] : path "." KEYSEG[KEYN]
        skip_ws()
        if (ch() != ".") return path
        CI++
    }
}

# --- values: return canonical text, set VKIND (str int float bool date array inline)
function parse_value(    c, s) {
    c = ch()
    if (c == "\"") { s = (substr(CUR, CI, 3) == "\"\"\"") ? parse_ml("\"") : parse_basic(); VKIND = "str"; return canon_str(s) }
    if (c == Q) { s = (substr(CUR, CI, 3) == Q Q Q) ? parse_ml(Q) : parse_literal(); VKIND = "str"; return canon_str(s) }
    if (c == "[") return parse_array()
    if (c == "{") return parse_inline("", "", 0, 0)
    return parse_scalar()
}
function parse_scalar(    s, t) {
    s = span("[] \t,}#]")
    if (s ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/ && substr(CUR, CI, 1) == " " && substr(CUR, CI + 1, 1) ~ /[0-9]/) {
        CI++
        t = span("[^0-9:.Zz+-]")
        s = s "T" t
    }
    if (s == "true" || s == "false") { VKIND = "bool"; return s }
    if (s ~ /^[+-]?(0|[1-9](_?[0-9])*)$/) {
        VKIND = "int"; gsub(/_/, "", s); sub(/^\+/, "", s)
        if (s == "-0") s = "0"
        return s
    }
    if (s ~ /^0x[0-9A-Fa-f](_?[0-9A-Fa-f])*$/) { VKIND = "int"; gsub(/_/, "", s); return sprintf("%.0f", hexval(substr(s, 3))) }
    if (s ~ /^0o[0-7](_?[0-7])*$/) { VKIND = "int"; gsub(/_/, "", s); return sprintf("%.0f", radix(substr(s, 3), 8)) }
    if (s ~ /^0b[01](_?[01])*$/) { VKIND = "int"; gsub(/_/, "", s); return sprintf("%.0f", radix(substr(s, 3), 2)) }
    if (s ~ /^[+-]?(inf|nan)$/) { VKIND = "float"; sub(/^\+/, "", s); return s }
    if (s ~ /^[+-]?(0|[1-9](_?[0-9])*)(\.[0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?$/) { VKIND = "float"; gsub(/_/, "", s); sub(/^\+/, "", s); return s }
    if (s ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]([Tt][0-9][0-9]:[0-9][0-9](:[0-9][0-9](\.[0-9]+)?)?([Zz]|[+-][0-9][0-9]:[0-9][0-9])?)?$/ || s ~ /^[0-9][0-9]:[0-9][0-9](:[0-9][0-9](\.[0-9]+)?)?$/) {
        VKIND = "date"; return toupper(s)
    }
    if (s == "") perr("missing value")
    perr("unsupported value " canon_str(s))
}
function radix(s, b,    i, v) {
    v = 0
    for (i = 1; i <= length(s); i++) v = v * b + substr(s, i, 1)
    return v
}
# cursor at "["; sets ARR_CL/ARR_CC (closing bracket), ARR_PREV ("[", "," or "v"),
# ARR_FLAT (1 when every element is a string, integer or boolean),
# ARR_ELEMS (canonical elements, one per line) and ARR_ID, under which the
# elements are kept one by one: AV (canonical value), AsL/AsC (line and column
# where it starts), AeL/AeC (where it ends, exclusive), AcL/AcC (its comma, or 0)
function parse_array(    v, first, prev, flat, id, k, bo, be) {
    CI++; first = 1; prev = "["; flat = 1
    id = ++ARRN; k = 0
    bo = "ao" id; be = "ae" id; bclear(bo); bclear(be); badd(bo, "[")
    while (1) {
        skip_all()
        if (ch() == "]") {
            ARR_CL = LI; ARR_CC = col(); ARR_PREV = prev; ARR_FLAT = flat; ARR_ELEMS = bget(be)
            ARR_ID = id; Aen[id] = k
            CI++; VKIND = "array"
            return bget(bo) "]"
        }
        if (prev == "v") perr("expected , or ] in array")
        k++; AsL[id, k] = LI; AsC[id, k] = col(); AcL[id, k] = 0
        v = parse_value()
        AV[id, k] = v; AeL[id, k] = LI; AeC[id, k] = col()
        if (VKIND != "str" && VKIND != "int" && VKIND != "bool") flat = 0
        badd(bo, (first ? "" : ", ") v); first = 0
        badd(be, v "\n")
        prev = "v"
        skip_all()
        if (ch() == ",") { AcL[id, k] = LI; AcC[id, k] = col(); CI++; prev = "," }
        else if (ch() != "]") perr("expected , or ] in array")
    }
}
# cursor at "{"; with emit, records every key under path (table tpath, line sl)
function parse_inline(path, tpath, emit, sl,    out, first, kp, full, j, v, n, nk, segs) {
    CI++; out = "{"; first = 1
    while (1) {
        skip_all()
        if (ch() == "}") { CI++; VKIND = "inline"; return out "}" }
        if (!first) perr("expected , or } in inline table")
        kp = parse_key()
        nk = KEYN
        for (j = 1; j <= nk; j++) segs[j] = KEYSEG[j]
        skip_ws()
        if (ch() != "=") perr("expected = after key " kp)
        CI++; skip_ws()
        full = path
        if (emit) {
            for (j = 1; j < nk; j++) { full = join(full, segs[j]); add_entry(full, tpath, "", "implicit", sl, sl, "") }
            full = join(full, segs[nk])
        }
        if (ch() == "{") {
            if (emit) n = add_entry(full, tpath, "", "inline", sl, sl, "")
            v = parse_inline(full, tpath, emit, sl)
            if (emit) Ev[D, n] = v
        } else {
            v = parse_value()
            if (emit) { n = add_entry(full, tpath, v, "value", sl, sl, ""); VK[D, n] = VKIND }
        }
        out = out (out == "{" ? "" : ", ") kp " = " v
        skip_all()
        if (ch() == ",") { CI++; continue }
        if (ch() != "}") perr("expected , or } in inline table")
        first = 0
    }
}
function join(a, b) { return (a == "") ? b : a "." b }

# --- documents
function add_entry(path, tpath, val, kind, sl, el, kp,    n) {
    n = ++En[D]
    Ep[D, n] = path; Et[D, n] = tpath; Ev[D, n] = val; Ek[D, n] = kind
    Es[D, n] = sl; Ee[D, n] = el; Eks[D, n] = kp; Eh[D, n] = CURH; VK[D, n] = ""
    return n
}
function parse_keyval(tpath,    sl, kp, full, j, n, v) {
    sl = LI
    kp = parse_key()
    full = tpath
    for (j = 1; j < KEYN; j++) { full = join(full, KEYSEG[j]); add_entry(full, tpath, "", "implicit", sl, sl, "") }
    full = join(full, KEYSEG[KEYN])
    skip_ws()
    if (ch() != "=") perr("expected = after key " kp)
    CI++; skip_ws()
    if (ch() == "\n" || ch() == "#") perr("missing value for key " kp)
    if (ch() == "{") {
        n = add_entry(full, tpath, "", "inline", sl, sl, kp)
        Ev[D, n] = parse_inline(full, tpath, 1, sl)
        VK[D, n] = "inline"
    } else {
        v = parse_value()
        n = add_entry(full, tpath, v, "value", sl, sl, kp)
        VK[D, n] = VKIND
        if (VKIND == "array") { Acl[D, n] = ARR_CL; Acc[D, n] = ARR_CC; Apv[D, n] = ARR_PREV; Afl[D, n] = ARR_FLAT; Ael[D, n] = ARR_ELEMS; Aid[D, n] = ARR_ID }
    }
    Ee[D, n] = LI
    expect_eol("value of " kp)
}
function parse_doc(d, name,    tpath, c, kind, p, n) {
    D = d; DOCNAME[d] = name; NL = Nl[d]; En[d] = 0; Hn[d] = 0; tpath = ""; CURH = 0
    setline(1)
    while (LI <= NL) {
        skip_ws()
        c = ch()
        if (c == "\n" || c == "#") { nextline(); continue }
        if (c == "[") {
            kind = "table"; CI++
            if (ch() == "[") { kind = "array"; CI++ }
            p = parse_key()
            if (ch() != "]") perr("expected ] after table name " p)
            CI++
            if (kind == "array") { if (ch() != "]") perr("expected ]] after table name " p); CI++ }
            expect_eol("table header")
            n = ++Hn[d]
            Hp[d, n] = p; Hk[d, n] = kind; Hl[d, n] = LI; Hlast[d, n] = LI
            tpath = p; CURH = n
            nextline(); continue
        }
        parse_keyval(tpath)
        if (CURH) Hlast[d, CURH] = LI
        nextline()
    }
}

# --- containerd specifics
function under(p, a) { return p == a || substr(p, 1, length(a) + 1) == a "." }
function related(p, a) { return under(p, a) || under(a, p) }
function config_version(d,    i, v) {
    v = ""; VLINE[d] = 0
    for (i = 1; i <= En[d]; i++) {
        if (Et[d, i] != "" || Ep[d, i] != "version") continue
        if (Ek[d, i] != "value" || VK[d, i] != "int") fail(DOCNAME[d] ": line " Es[d, i] ": version must be an integer")
        v = Ev[d, i]; VLINE[d] = Ee[d, i]
    }
    if (v == "") return 1
    if (v !~ /^[1-4]$/) fail(DOCNAME[d] ": unsupported config version " v " (supported: 1 to 4)")
    return v + 0
}
function runtimes_prefix(v) {
    if (v == 1) return "plugins.cri.containerd.runtimes"
    if (v == 2) return "plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes"
    return "plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes"
}
# where the handlers go, decided by install.sh from the node's containerd and the file's
# version: SR_PATHV (the config version whose plugin path to use) and SR_REGISTRATION (config or
# dropin); without them (this file run alone) both follow the file's version V
function layout(    pv) {
    pv = ENVIRON["SR_PATHV"]
    if (pv == "") pv = (V >= 3) ? 3 : V
    P = runtimes_prefix(pv)
    if (ENVIRON["SR_REGISTRATION"] == "") DROPIN = (V >= 3)
    else DROPIN = (ENVIRON["SR_REGISTRATION"] == "dropin")
    DEFOWN = ""
}
# the default runtime of document d (default_runtime_name next to the runtimes table, else runc):
# sets DEFNAME and DEFST: present (config.toml has a table or key for it), ours (one of the
# handlers), implicit (runc without a table: containerd 1.x's built-in map holds it only until
# any runtime table is written) or missing (no table for a name containerd does not build in)
function default_runtime(d,    base, i, k) {
    base = substr(P, 1, length(P) - length(".runtimes"))
    DEFNAME = "runc"
    for (i = 1; i <= En[d]; i++) {
        if (Ep[d, i] != base ".default_runtime_name" || Ek[d, i] != "value") continue
        if (VK[d, i] != "str") fail(DOCNAME[d] ": line " Es[d, i] ": default_runtime_name must be a string")
        DEFNAME = substr(Ev[d, i], 2, length(Ev[d, i]) - 2)
    }
    if (is_handler(DEFNAME)) { DEFST = "ours"; return }
    k = P "." canon_seg(DEFNAME)
    # containerd 2.x keeps its built-in runc next to written tables (SR_RUNC_KEPT=1)
    DEFST = (DEFNAME != "runc") ? "missing" : (ENVIRON["SR_RUNC_KEPT"] == "1") ? "present" : "implicit"
    for (i = 1; i <= En[d]; i++) if (under(Ep[d, i], k)) DEFST = "present"
    for (i = 1; i <= Hn[d]; i++) if (under(Hp[d, i], k)) DEFST = "present"
}
# the table that writes containerd's built-in runc out (what `config dump` shows for it)
function default_block() {
    return "[" P ".runc]\nruntime_type = \"io.containerd.runc.v2\"\nsandbox_mode = \"podsandbox\"\n"
}
# the candidate's runc tables are exactly default_block()
function check_default(d,    i, j, n, k) {
    k = P ".runc"; n = 0
    for (j = 1; j <= Hn[d]; j++) if (under(Hp[d, j], k) && (Hp[d, j] != k || ++n > 1)) fail("candidate config.toml: table [" Hp[d, j] "] is not the default runtime's table")
    if (n != 1) fail("candidate config.toml: the default runtime runc has no table")
    n = 0
    for (i = 1; i <= En[d]; i++) {
        if (!under(Ep[d, i], k)) continue
        if (Et[d, i] != k || Ek[d, i] != "value") fail("candidate config.toml: unexpected key " Ep[d, i])
        if (Ep[d, i] == k ".runtime_type" && Ev[d, i] == "\"io.containerd.runc.v2\"") n++
        else if (Ep[d, i] == k ".sandbox_mode" && Ev[d, i] == "\"podsandbox\"") n++
        else fail("candidate config.toml: unexpected key " Ep[d, i])
    }
    if (n != 2) fail("candidate config.toml: the default runtime runc is not written out in full")
}
function is_handler(h,    i) {
    for (i = 1; i <= NH; i++) if (HANDLER[i] == h) return 1
    return 0
}
# parses and checks RUNTIME_TABLES into document "w"
function load_wanted(    j, n, k, ok, i, seen, cnt) {
    load_string("w", ENVIRON["RUNTIME_TABLES"])
    parse_doc("w", "RUNTIME_TABLES")
    for (j = 1; j <= Hn["w"]; j++) {
        if (Hk["w", j] != "table") fail("RUNTIME_TABLES: line " Hl["w", j] ": arrays of tables are not supported")
        ok = 0
        for (i = 1; i <= NH; i++) if (under(Hp["w", j], HANDLER[i])) ok = 1
        if (!ok) fail("RUNTIME_TABLES: line " Hl["w", j] ": table [" Hp["w", j] "] does not belong to a handler in RUNTIME_HANDLERS")
        if ((Hp["w", j]) in seen) fail("RUNTIME_TABLES: line " Hl["w", j] ": table [" Hp["w", j] "] is defined twice")
        seen[Hp["w", j]] = 1
    }
    for (j = 1; j <= Hn["w"]; j++) if (index(Hp["w", j], "\\")) fail("RUNTIME_TABLES: line " Hl["w", j] ": table name [" Hp["w", j] "] needs escapes; containerd 1.x cannot read escaped keys")
    for (n = 1; n <= En["w"]; n++) {
        if (index(Ep["w", n], "\\")) fail("RUNTIME_TABLES: line " Es["w", n] ": key " Ep["w", n] " needs escapes; containerd 1.x cannot read escaped keys")
        if (Et["w", n] == "") fail("RUNTIME_TABLES: line " Es["w", n] ": key " Ep["w", n] " is outside a table")
        if (Ek["w", n] == "inline") fail("RUNTIME_TABLES: line " Es["w", n] ": inline tables are not supported; use a [table]")
        if (Ek["w", n] == "implicit") { if ((Ep["w", n]) in seen) fail("RUNTIME_TABLES: line " Es["w", n] ": key " Ep["w", n] " redefines a table"); continue }
        k = VK["w", n]
        if (k != "str" && k != "int" && k != "bool" && !(k == "array" && Afl["w", n])) fail("RUNTIME_TABLES: line " Es["w", n] ": value of " Ep["w", n] " must be a string, an integer, a boolean or an array of them")
        if ((Ep["w", n]) in seen) fail("RUNTIME_TABLES: line " Es["w", n] ": key " Ep["w", n] " is defined twice or redefines a table")
        seen[Ep["w", n]] = 1
    }
    for (n = 1; n <= En["w"]; n++) for (j = 1; j <= Hn["w"]; j++) if (Ek["w", n] == "value" && under(Hp["w", j], Ep["w", n]) && Hp["w", j] != Ep["w", n]) fail("RUNTIME_TABLES: key " Ep["w", n] " conflicts with table [" Hp["w", j] "]")
    for (i = 1; i <= NH; i++) {
        cnt = 0
        for (n = 1; n <= En["w"]; n++) if (Ek["w", n] == "value" && under(Ep["w", n], HANDLER[i])) cnt++
        if (cnt == 0) fail("RUNTIME_TABLES defines no key for handler " HANDLER[i])
    }
}
function render_block(h, P,    j, n, out) {
    out = ""
    for (j = 1; j <= Hn["w"]; j++) {
        if (!under(Hp["w", j], h)) continue
        if (out != "") out = out "\n"
        out = out "[" P "." Hp["w", j] "]\n"
        for (n = 1; n <= En["w"]; n++) if (Eh["w", n] == j && Ek["w", n] == "value") out = out Eks["w", n] " = " Ev["w", n] "\n"
    }
    return out
}
# compares handler h in document d with the wanted tables: sets ST to absent,
# same or differs, TUND[j] for its table headers; fails on forms it cannot edit
function analyze(d, h, P,    H, i, j, n, k, ntab, nexist, same, cnt, hc, dup) {
    H = P "." h
    ntab = 0; nexist = 0; dup = 0
    split("", cnt); split("", hc)
    for (j = 1; j <= Hn[d]; j++) {
        TUND[j] = 0
        if (!related(Hp[d, j], H)) continue
        if (Hk[d, j] == "array") fail(DOCNAME[d] ": line " Hl[d, j] ": array of tables [[" Hp[d, j] "]] overlaps handler " h "; refusing to edit it")
        if (!under(Hp[d, j], H)) continue
        TUND[j] = 1; ntab++
        if (++hc[Hp[d, j]] > 1) dup = 1
    }
    for (i = 1; i <= En[d]; i++) {
        if (!related(Ep[d, i], H)) continue
        if (!under(Et[d, i], H)) fail(DOCNAME[d] ": line " Es[d, i] ": handler " h " is defined by a dotted key or an inline table (" Ep[d, i] "); refusing to edit it")
        if (Ek[d, i] != "value") continue
        nexist++; cnt[Ep[d, i] SUBSEP Ev[d, i]]++
    }
    for (n = 1; n <= En["w"]; n++) {
        if (Ek["w", n] != "value" || !under(Ep["w", n], h)) continue
        cnt[P "." Ep["w", n] SUBSEP Ev["w", n]]--
    }
    if (ntab == 0 && nexist == 0) { ST = "absent"; return }
    same = !dup
    for (k in cnt) if (cnt[k] != 0) same = 0
    ST = same ? "same" : "differs"
}
# imports of document d: sets IMP (absent, covered or missing) and IMPN (its entry)
function analyze_imports(d, glob, file,    i, n, el, m, want1, want2) {
    IMP = "absent"; IMPN = 0
    want1 = canon_str(glob); want2 = canon_str(file)
    for (i = 1; i <= En[d]; i++) {
        if (!related(Ep[d, i], "imports") || Et[d, i] != "") continue
        if (Ek[d, i] != "value" || Ep[d, i] != "imports" || VK[d, i] != "array") fail(DOCNAME[d] ": line " Es[d, i] ": imports must be an array of strings")
        IMPN = i; IMP = "missing"
        m = split(Ael[d, i], el, "\n")
        for (n = 1; n <= m; n++) if (el[n] == want1 || el[n] == want2) IMP = "covered"
    }
}

function plan(    i, h) {
    load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
    V = config_version("c"); layout()
    load_wanted()
    for (i = 1; i <= NH; i++) {
        h = HANDLER[i]
        analyze("c", h, P)
        if (DROPIN) print "handler\t" h "\t" (ST == "absent" ? "absent" : "stale")
        else print "handler\t" h "\t" ST
    }
    if (DROPIN) { analyze_imports("c", ENVIRON["SR_GLOB"], ENVIRON["SR_DROPIN"]); print "imports\t" import_how("c") "\t" IMP }
    else { default_runtime("c"); print "default\t" canon_seg(DEFNAME) "\t" DEFST }
}

function render(    i, j, h, k, first, blk, app, line, ins, text, last) {
    load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
    V = config_version("c"); layout()
    load_wanted()
    app = ""
    if (!DROPIN) {
        default_runtime("c")
        if (DEFST == "missing") fail("config.toml: default_runtime_name " canon_str(DEFNAME) " has no runtime table; containerd's CRI plugin would not load")
        if (DEFST == "implicit") app = default_block()
    }
    for (i = 1; i <= NH; i++) {
        h = HANDLER[i]
        analyze("c", h, P)
        if (ST == "absent" || (ST == "same" && !DROPIN)) {
            if (ST == "absent" && !DROPIN) app = app (app == "" ? "" : "\n") render_block(h, P)
            continue
        }
        first = 0
        for (j = 1; j <= Hn["c"]; j++) {
            if (!TUND[j]) continue
            if (!first) first = Hl["c", j]
            for (k = Hl["c", j]; k <= Hlast["c", j]; k++) DEL[k] = 1
            for (k = Hlast["c", j] + 1; k <= Nl["c"] && Ln["c", k] ~ /^[ \t\r]*$/; k++) DEL[k] = 1
        }
        if (!DROPIN) INS[first] = INS[first] render_block(h, P) "\n"
    }
    if (DROPIN) {
        analyze_imports("c", ENVIRON["SR_GLOB"], ENVIRON["SR_DROPIN"])
        if (IMP == "absent") {
            if (!VLINE["c"]) fail("config.toml: version " V " without a version key")
            AFTER[VLINE["c"]] = "imports = [" canon_str(ENVIRON["SR_GLOB"]) "]"
        } else if (IMP == "missing") {
            k = Apv["c", IMPN]
            text = (k == "[") ? "" : (k == ",") ? " " : ", "
            text = text canon_str(ENVIRON["SR_GLOB"])
            line = Ln["c", Acl["c", IMPN]]
            MOD[Acl["c", IMPN]] = substr(line, 1, Acc["c", IMPN] - 1) text substr(line, Acc["c", IMPN])
        }
    }
    last = ""
    for (i = 1; i <= Nl["c"]; i++) {
        if (i in INS) { printf "%s", INS[i]; last = "" }
        if (i in DEL) continue
        line = (i in MOD) ? MOD[i] : Ln["c", i]
        print line; last = line
        if (i in AFTER) { print AFTER[i]; last = AFTER[i] }
    }
    if (app != "") {
        if (last !~ /^[ \t\r]*$/) print ""
        printf "%s", app
    }
}

# proves the candidate (SR_CANDIDATE) differs from config.toml (SR_CONFIG) only
# in the handlers tables (and, version 3+, the imports array)
function check(    i, j, n, h, H, k, cnt, hc, wt, v, owned, el, m, want, got) {
    load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
    load_file("n", ENVIRON["SR_CANDIDATE"]); parse_doc("n", "candidate config.toml")
    V = config_version("c"); layout()
    if (config_version("n") != V) fail("candidate config.toml: version changed")
    load_wanted()
    if (!DROPIN) {
        default_runtime("c")
        if (DEFST == "implicit") { DEFOWN = P ".runc"; check_default("n") }
    }
    split("", cnt)
    for (i = 1; i <= En["c"]; i++) if (!owned_entry("c", i, P, V)) cnt[Et["c", i] SUBSEP Ep["c", i] SUBSEP Ek["c", i] SUBSEP Ev["c", i]]++
    for (i = 1; i <= En["n"]; i++) if (!owned_entry("n", i, P, V)) cnt[Et["n", i] SUBSEP Ep["n", i] SUBSEP Ek["n", i] SUBSEP Ev["n", i]]--
    for (j = 1; j <= Hn["c"]; j++) if (!owned_path(Hp["c", j], P)) cnt["H" SUBSEP Hk["c", j] SUBSEP Hp["c", j]]++
    for (j = 1; j <= Hn["n"]; j++) if (!owned_path(Hp["n", j], P)) cnt["H" SUBSEP Hk["n", j] SUBSEP Hp["n", j]]--
    for (k in cnt) if (cnt[k] != 0) { gsub(SUBSEP, " ", k); fail("candidate config.toml: a table or key outside the handlers changed (" k ")") }
    for (i = 1; i <= NH; i++) {
        h = HANDLER[i]; H = P "." h
        analyze("n", h, P)
        if (DROPIN) { if (ST != "absent") fail("candidate config.toml: handler " h " is still defined in config.toml"); continue }
        if (ST != "same") fail("candidate config.toml: handler " h " does not match RUNTIME_TABLES")
        split("", hc); split("", wt)
        for (j = 1; j <= Hn["w"]; j++) if (under(Hp["w", j], h)) wt[P "." Hp["w", j]] = 1
        for (j = 1; j <= Hn["n"]; j++) {
            if (!under(Hp["n", j], H)) continue
            if (++hc[Hp["n", j]] > 1) fail("candidate config.toml: table [" Hp["n", j] "] appears twice")
            if (!(Hp["n", j] in wt)) fail("candidate config.toml: unexpected table [" Hp["n", j] "]")
        }
        for (k in wt) if (!(k in hc)) fail("candidate config.toml: table [" k "] is missing")
    }
    if (DROPIN) {
        want = ""
        analyze_imports("c", ENVIRON["SR_GLOB"], ENVIRON["SR_DROPIN"])
        if (IMPN) want = Ael["c", IMPN]
        if (IMP != "covered") want = want canon_str(ENVIRON["SR_GLOB"]) "\n"
        analyze_imports("n", ENVIRON["SR_GLOB"], ENVIRON["SR_DROPIN"])
        got = IMPN ? Ael["n", IMPN] : ""
        if (IMP != "covered" || got != want) fail("candidate config.toml: imports is not the original array plus " canon_str(ENVIRON["SR_GLOB"]))
    }
}
function owned_path(p, P,    i) {
    if (DEFOWN != "" && under(p, DEFOWN)) return 1
    for (i = 1; i <= NH; i++) if (under(p, P "." HANDLER[i])) return 1
    return 0
}
function owned_entry(d, i, P, V) {
    if (DROPIN && Et[d, i] == "" && Ep[d, i] == "imports") return 1
    return owned_path(Ep[d, i], P)
}

# how install adds the glob to document d (after analyze_imports): a new
# imports line, or an element appended to the array, first or after a value
# or after a trailing comma; "-" when imports already covers the drop-in
function import_how(d,    k) {
    if (IMP == "covered") return "-"
    if (IMP == "absent") return "line"
    k = Apv[d, IMPN]
    return (k == "[") ? "first" : (k == ",") ? "after-comma" : "after-value"
}

# --- uninstall: remove the handlers tables (and, when told, the added import)
# the last element of the imports array of document d equal to the glob (0: none)
function glob_index(d, glob,    id, n, k) {
    k = 0; id = Aid[d, IMPN]
    for (n = 1; n <= Aen[id]; n++) if (AV[id, n] == canon_str(glob)) k = n
    return k
}
function uplan(    i, h) {
    load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
    V = config_version("c"); layout()
    for (i = 1; i <= NH; i++) {
        h = HANDLER[i]
        analyze("c", h, P)
        print "handler\t" h "\t" (ST == "absent" ? "absent" : "present")
    }
    if (!DROPIN) { default_runtime("c"); print "default\t" canon_seg(DEFNAME) "\t" DEFST }
    if (DROPIN) {
        analyze_imports("c", ENVIRON["SR_GLOB"], ENVIRON["SR_DROPIN"])
        print "imports\t-\t" ((IMPN && glob_index("c", ENVIRON["SR_GLOB"])) ? "glob" : "none")
    }
}
# removes element k of array id in document c (a one-line string), keeping
# every other byte; how (from the import marker) says what install inserted,
# so that its exact text goes again
function remove_element(id, k, how,    sl, line, a, b, rest) {
    sl = AsL[id, k]
    if (AeL[id, k] != sl) fail("config.toml: line " sl ": the import spans several lines; refusing to edit it")
    line = Ln["c", sl]
    if (AcL[id, k]) {
        # an element with its comma: "glob", (and the blanks after the comma)
        if (AcL[id, k] != sl) fail("config.toml: line " sl ": the comma after the import is on another line; refusing to edit it")
        b = AcC[id, k] + 1
        while (substr(line, b, 1) == " " || substr(line, b, 1) == "\t") b++
        a = AsC[id, k]
    } else if (k > 1 && AcL[id, k - 1] == sl && how != "after-comma") {
        # the last element after a value on the same line: , "glob"
        a = AcC[id, k - 1]; b = AeC[id, k]
    } else {
        # the last element alone (after [ or after a trailing comma)
        a = AsC[id, k]; b = AeC[id, k]
        if (k > 1) while (a > 1 && (substr(line, a - 1, 1) == " " || substr(line, a - 1, 1) == "\t")) a--
    }
    rest = substr(line, 1, a - 1) substr(line, b)
    if (rest ~ /^[ \t\r]*$/) DEL[sl] = 1
    else MOD[sl] = rest
}
function urender(    i, j, k, h, n, id, line, last) {
    load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
    V = config_version("c"); layout()
    for (i = 1; i <= NH; i++) {
        h = HANDLER[i]
        analyze("c", h, P)
        if (ST == "absent") continue
        for (j = 1; j <= Hn["c"]; j++) {
            if (!TUND[j]) continue
            for (k = Hl["c", j]; k <= Hlast["c", j]; k++) DEL[k] = 1
            for (k = Hlast["c", j] + 1; k <= Nl["c"] && Ln["c", k] ~ /^[ \t\r]*$/; k++) DEL[k] = 1
        }
    }
    # tables removed from the end of the file take the blank line install put before them
    last = 0
    for (i = 1; i <= Nl["c"]; i++) if (!(i in DEL) && Ln["c", i] !~ /^[ \t\r]*$/) last = i
    if (last) {
        for (i = last + 1; i <= Nl["c"]; i++) if (i in DEL) break
        if (i <= Nl["c"] && last + 1 < i) DEL[last + 1] = 1
    }
    if (ENVIRON["SR_REMOVE_IMPORT"] == "1") {
        if (!DROPIN) fail("config.toml: version " V " has no import of ours")
        analyze_imports("c", ENVIRON["SR_GLOB"], ENVIRON["SR_DROPIN"])
        if (!IMPN || !(k = glob_index("c", ENVIRON["SR_GLOB"]))) fail("config.toml: imports does not hold " canon_str(ENVIRON["SR_GLOB"]))
        id = Aid["c", IMPN]
        if (Aen[id] == 1 && ENVIRON["SR_IMPORT_HOW"] == "line") for (n = Es["c", IMPN]; n <= Ee["c", IMPN]; n++) DEL[n] = 1
        else remove_element(id, k, ENVIRON["SR_IMPORT_HOW"])
    }
    for (i = 1; i <= Nl["c"]; i++) {
        if (i in DEL) continue
        print ((i in MOD) ? MOD[i] : Ln["c", i])
    }
}
# proves the candidate (SR_CANDIDATE) differs from config.toml (SR_CONFIG) only
# in that the handlers are gone (and, when told, one import of the glob)
function ucheck(    i, j, k, h, cnt, rm, want, got, id, n) {
    load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
    load_file("n", ENVIRON["SR_CANDIDATE"]); parse_doc("n", "candidate config.toml")
    V = config_version("c"); layout()
    if (config_version("n") != V) fail("candidate config.toml: version changed")
    rm = (ENVIRON["SR_REMOVE_IMPORT"] == "1")
    split("", cnt)
    for (i = 1; i <= En["c"]; i++) if (!owned_path(Ep["c", i], P) && !(rm && Et["c", i] == "" && Ep["c", i] == "imports")) cnt[Et["c", i] SUBSEP Ep["c", i] SUBSEP Ek["c", i] SUBSEP Ev["c", i]]++
    for (i = 1; i <= En["n"]; i++) if (!owned_path(Ep["n", i], P) && !(rm && Et["n", i] == "" && Ep["n", i] == "imports")) cnt[Et["n", i] SUBSEP Ep["n", i] SUBSEP Ek["n", i] SUBSEP Ev["n", i]]--
    for (j = 1; j <= Hn["c"]; j++) if (!owned_path(Hp["c", j], P)) cnt["H" SUBSEP Hk["c", j] SUBSEP Hp["c", j]]++
    for (j = 1; j <= Hn["n"]; j++) if (!owned_path(Hp["n", j], P)) cnt["H" SUBSEP Hk["n", j] SUBSEP Hp["n", j]]--
    for (k in cnt) if (cnt[k] != 0) { gsub(SUBSEP, " ", k); fail("candidate config.toml: a table or key outside the handlers changed (" k ")") }
    for (i = 1; i <= NH; i++) {
        h = HANDLER[i]
        analyze("n", h, P)
        if (ST != "absent") fail("candidate config.toml: handler " h " is still defined")
    }
    if (rm) {
        analyze_imports("c", ENVIRON["SR_GLOB"], ENVIRON["SR_DROPIN"])
        k = IMPN ? glob_index("c", ENVIRON["SR_GLOB"]) : 0
        if (!k) fail("config.toml: imports does not hold " canon_str(ENVIRON["SR_GLOB"]))
        id = Aid["c", IMPN]; want = ""
        for (n = 1; n <= Aen[id]; n++) if (n != k) want = want AV[id, n] "\n"
        analyze_imports("n", ENVIRON["SR_GLOB"], ENVIRON["SR_DROPIN"])
        got = IMPN ? Ael["n", IMPN] : ""
        if (got != want) fail("candidate config.toml: imports is not the original array without " canon_str(ENVIRON["SR_GLOB"]))
    }
}

function dropin(    i, v) {
    load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
    V = config_version("c"); layout()
    load_wanted()
    print "# Written by shoot-runtimes for runtime " ENVIRON["RUNTIME_NAME"] "; every install rewrites it."
    print "version = " V
    for (i = 1; i <= NH; i++) { print ""; printf "%s", render_block(HANDLER[i], P) }
}

# the paths in config.toml's imports, one per line, as written
function list_imports(    i, id, n, v) {
    load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
    for (i = 1; i <= En["c"]; i++) {
        if (Et["c", i] != "" || Ep["c", i] != "imports") continue
        if (Ek["c", i] != "value" || VK["c", i] != "array") fail("config.toml: line " Es["c", i] ": imports must be an array of strings")
        id = Aid["c", i]
        for (n = 1; n <= Aen[id]; n++) {
            v = AV[id, n]
            if (v !~ /^"/ || index(v, "\\")) fail("config.toml: line " Es["c", i] ": import " v " is not a plain path")
            print substr(v, 2, length(v) - 2)
        }
    }
}

BEGIN {
    Q = sprintf("%c", 39)
    CHUNK = 1024; LOOK = 16
    for (i = 1; i < 256; i++) { CHR[i] = sprintf("%c", i); ORD[CHR[i]] = i }
    CTRL = "[" CHR[1] "-" CHR[31] CHR[127] "]"
    NH = split(ENVIRON["SR_HANDLERS"], HANDLER, " ")
    mode = ENVIRON["SR_MODE"]
    if (mode == "version") {
        load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
        print config_version("c")
    } else if (mode == "dversion") {
        # the explicit version, or none (a drop-in without one leaves the merged version alone)
        load_file("c", ENVIRON["SR_CONFIG"]); parse_doc("c", "config.toml")
        v = config_version("c")
        print (VLINE["c"] ? v : "none")
    } else if (mode == "imports") list_imports()
    else if (mode == "plan") plan()
    else if (mode == "render") render()
    else if (mode == "check") check()
    else if (mode == "dropin") dropin()
    else if (mode == "uplan") uplan()
    else if (mode == "urender") urender()
    else if (mode == "ucheck") ucheck()
    else fail("unknown mode " mode)
    exit 0
}
