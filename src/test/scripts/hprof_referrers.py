#!/usr/bin/env python3
"""Who refers to the instances of a class in an HPROF heap dump: referrer class and field, counted.
usage: hprof_referrers.py dump.hprof io/vertx/core/http/impl/Http1xServerConnection [levels]"""
import struct, sys, mmap, collections

path, target_name = sys.argv[1], sys.argv[2]
levels = int(sys.argv[3]) if len(sys.argv) > 3 else 1
f = open(path, 'rb'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
end = m.find(b'\0')
pos = end + 1
idsize = struct.unpack('>I', m[pos:pos+4])[0]; pos += 12
IDF = '>Q' if idsize == 8 else '>I'
def rid(p): return struct.unpack(IDF, m[p:p+idsize])[0]
SIZES = {2: idsize, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}
strings = {}; class_name = {}; classes = {}  # class id -> (super, [(name, type)])
segments = []
while pos < len(m):
    tag = m[pos]; length = struct.unpack('>I', m[pos+5:pos+9])[0]; body = pos + 9
    if tag == 0x01:
        strings[rid(body)] = m[body+idsize:body+length].decode('utf-8', 'replace')
    elif tag == 0x02:
        class_name[rid(body+4)] = rid(body+8+idsize)
    elif tag in (0x0C, 0x1C):
        segments.append((body, body+length))
    pos = body + length
class_name = {k: strings.get(v, '?') for k, v in class_name.items()}

def walk(handler):
    for start, stop in segments:
        p = start
        while p < stop:
            t = m[p]; p += 1
            if t == 0xFF: p += idsize
            elif t == 0x01: p += 2*idsize
            elif t in (0x02, 0x03): p += idsize + 8
            elif t in (0x04, 0x06): p += idsize + 4
            elif t in (0x05, 0x07): p += idsize
            elif t == 0x08: p += idsize + 8
            elif t == 0x20:
                cid = rid(p); sup = rid(p+4+idsize); q = p + 4 + 7*idsize + 4
                n = struct.unpack('>H', m[q:q+2])[0]; q += 2
                for _ in range(n):
                    ty = m[q+2]; q += 3 + SIZES[ty]
                n = struct.unpack('>H', m[q:q+2])[0]; q += 2
                for _ in range(n):
                    ty = m[q+idsize]; q += idsize + 1 + SIZES[ty]
                n = struct.unpack('>H', m[q:q+2])[0]; q += 2
                fields = []
                for _ in range(n):
                    fields.append((strings.get(rid(q), '?'), m[q+idsize])); q += idsize + 1
                handler('class', p, (cid, sup, fields)); p = q
            elif t == 0x21:
                oid = rid(p); cid = rid(p+4+idsize); ln = struct.unpack('>I', m[p+4+2*idsize:p+8+2*idsize])[0]
                data = p + 8 + 2*idsize
                handler('inst', p, (oid, cid, data, ln)); p = data + ln
            elif t == 0x22:
                oid = rid(p); n = struct.unpack('>I', m[p+4+idsize:p+8+idsize])[0]; acid = rid(p+8+idsize)
                data = p + 8 + 2*idsize
                handler('oarr', p, (oid, acid, data, n)); p = data + n*idsize
            elif t == 0x23:
                n = struct.unpack('>I', m[p+4+idsize:p+8+idsize])[0]; ty = m[p+8+idsize]
                p += 9 + idsize + n*SIZES[ty]
            else:
                raise SystemExit('unknown subrecord %x at %d' % (t, p))

def on_class(kind, p, v):
    if kind == 'class': classes[v[0]] = (v[1], v[2])
walk(on_class)
layouts = {}
def layout(cid):
    if cid in layouts: return layouts[cid]
    out = []; c = cid
    while c and c in classes:
        sup, fields = classes[c]; out.extend(fields); c = sup
    layouts[cid] = out; return out

target_cids = {c for c, n in class_name.items() if n == target_name}
targets = set()
def on_target(kind, p, v):
    if kind == 'inst' and v[1] in target_cids: targets.add(v[0])
walk(on_target)
print('%d instances of %s' % (len(targets), target_name))
for level in range(levels):
    counts = collections.Counter(); nxt = set()
    def on_ref(kind, p, v):
        if kind == 'inst':
            oid, cid, data, ln = v; q = data
            for name, ty in layout(cid):
                if ty == 2:
                    if rid(q) in targets:
                        counts[(class_name.get(cid, '?'), name)] += 1; nxt.add(oid)
                q += SIZES[ty]
        elif kind == 'oarr':
            oid, acid, data, n = v
            for i in range(n):
                if rid(data + i*idsize) in targets:
                    counts[(class_name.get(acid, '?'), '[]')] += 1; nxt.add(oid)
    walk(on_ref)
    print('-- level %d referrers:' % (level + 1))
    for (cn, fn), c in counts.most_common(15): print('  %6d  %s.%s' % (c, cn, fn))
    targets = nxt
