#!/usr/bin/env python3
"""The photographs of scripts/fetch-footage.sh: expands its list, deduplicates, plans clips.

    footage-photos.py PKGDIR VERSIONS OUTDIR MAX_PHOTOS < LIST

LIST: lines `package|path or glob in the package|group` (blank lines and `#`
comments skipped). A path `/x/FILE.rcc:/glob` selects files inside the Qt resource
file FILE.rcc (GCompris ships its pictures so); it is unpacked once beside the
package's tree. A path starting with `!` drops the files it matches from what the
lines before it selected. `{dir}` in a group is the matched file's folder name.
VERSIONS: lines `package<TAB>version`. PKGDIR/x/PACKAGE: the unpacked packages.

Every selected photograph gets a 256-bit difference hash (ffmpeg scales it to 17×16
grey, each bit says whether a pixel is brighter than its right neighbour);
photographs within DUP_BITS bits of one already kept are near-duplicates (the
same photograph at another size, crop or compression): the largest of a cluster
is kept. OUTDIR/photos.tsv lists the kept ones, OUTDIR/photo-duplicates.tsv the
dropped ones and what they duplicate. With MAX_PHOTOS > 0 only that many are
used, a fixed spread over all sources (order of a hash of package and path).

Prints one line per photograph to use: index, clip name, image file, package,
version, path in the package, licence, group (tab-separated). The index is the
photograph's place in the whole deduplicated list, so a cap never changes a clip.
"""
import fnmatch, glob, hashlib, json, os, re, struct, subprocess, sys, zlib

OLD_NAMES = ('lomiri-wallpapers', 'mate-backgrounds', 'plasma-workspace-wallpapers')   # clip names kept
DUP_BITS = 24   # of 256: resized copies differ in about 5, different photographs in 45 or more


def unpack_rcc(path, out):
    """Unpack a Qt binary resource file (rcc formats 1-3, zlib or no compression)."""
    b = open(path, 'rb').read()
    if b[:4] != b'qres':
        raise SystemExit(f'footage-photos: {path} is not a Qt resource file')
    version, tree, data, names = struct.unpack('>IIII', b[4:20])
    node = 14 if version == 1 else 22

    def name(off):
        n, = struct.unpack('>H', b[names + off:names + off + 2])
        return b[names + off + 6:names + off + 6 + 2 * n].decode('utf-16-be')

    def walk(i, prefix):
        o = tree + i * node
        noff, flags = struct.unpack('>IH', b[o:o + 6])
        p = f'{prefix}/{name(noff)}' if i else prefix
        if flags & 2:
            count, first = struct.unpack('>II', b[o + 6:o + 14])
            for c in range(first, first + count):
                yield from walk(c, p)
        else:
            doff, = struct.unpack('>I', b[o + 10:o + 14])
            size, = struct.unpack('>I', b[data + doff:data + doff + 4])
            blob = b[data + doff + 4:data + doff + 4 + size]
            if flags & 4:
                raise SystemExit(f'footage-photos: {path}: {p} is zstd-compressed')
            yield p, zlib.decompress(blob[4:]) if flags & 1 else blob

    tmp = out + '.partial'
    for p, blob in walk(0, ''):
        dest = tmp + p
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, 'wb') as f:
            f.write(blob)
    os.rename(tmp, out)


def paragraphs(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return [p for p in re.split(r'\n\s*\n', f.read()) if p.strip()]


def licence_line(par):
    m = re.search(r'^License: *(.*)$', par, re.M)
    return m.group(1).strip() if m else None


def copyright_licence(pkgdir, pkg, base):
    """The License of the copyright paragraph naming the file (its base name), else of `Files: *`."""
    star = ''
    copyright = f'{pkgdir}/x/{pkg}/usr/share/doc/{pkg}/copyright'
    text = open(copyright, encoding='utf-8', errors='replace').read()
    if not re.search(r'^Files:', text, re.M):   # not machine-readable: the GPL's own words, if that is all
        m = re.search(r'GNU General Public License.{0,200}?version (\d)[^.]{0,80}?any later version',
                      text, re.S)
        return f'GPL-{m.group(1)}+' if m else ''
    for par in paragraphs(copyright):
        if par.startswith('Files:') and base in par and licence_line(par):
            return licence_line(par)
        if re.match(r'Files: \*\n', par) and not star:
            star = licence_line(par) or ''
    return star


def licence(pkgdir, pkg, path, img):
    base = os.path.basename(path)
    if pkg == 'plasma-workspace-wallpapers':   # each wallpaper states its own licence
        meta = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(img))), 'metadata.json')
        return json.load(open(meta))['KPlugin'].get('License', '')
    if pkg == 'gcompris-qt-data':   # each picture's author and licence are in a README beside it or above
        d = os.path.dirname(img)
        while d.startswith(f'{pkgdir}/x/{pkg}.rcc/'):
            if os.path.exists(os.path.join(d, 'README')):
                for par in paragraphs(os.path.join(d, 'README')):
                    files = [os.path.basename(f) for f in par.split('Files:', 1)[-1].split()]
                    if 'Files:' in par and base in files and licence_line(par):
                        return licence_line(par)
            d = os.path.dirname(d)
    return copyright_licence(pkgdir, pkg, base)


def clip_name(pkg, path, group):
    stem = os.path.splitext(os.path.basename(path))[0]
    if pkg.startswith(OLD_NAMES[:2]):   # the names the first 35 always had
        return stem.split('_by_')[0]
    if pkg == 'plasma-workspace-wallpapers':
        return path.split('/')[4]
    return re.sub(r'[^A-Za-z0-9._-]+', '-', f'{group}_{stem}')


def dhash(img):
    raw = subprocess.run(['ffmpeg', '-nostdin', '-v', 'error', '-i', img, '-frames:v', '1', '-vf',
                          'scale=17:16:flags=area,format=gray', '-f', 'rawvideo', '-'],
                         check=True, capture_output=True).stdout
    if len(raw) != 17 * 16:
        raise SystemExit(f'footage-photos: {img}: no 17x16 thumbnail from ffmpeg')
    return sum(1 << (r * 16 + c) for r in range(16) for c in range(16) if raw[r * 17 + c] > raw[r * 17 + c + 1])


def size(img):
    out = subprocess.run(['ffprobe', '-v', 'fatal', '-select_streams', 'v:0', '-show_entries',
                          'stream=width,height', '-of', 'csv=p=0', img],
                         check=True, capture_output=True, text=True).stdout
    w, h = out.strip().split(',')[:2]
    return int(w), int(h)


def main():
    pkgdir, versions_file, outdir, max_photos = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    versions = dict(l.rstrip('\n').split('\t') for l in open(versions_file) if l.strip())
    selected = []   # [pkg, path in the package, image file, group]
    for line in sys.stdin:
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        pkg, pattern, group = (line.split('|') + [''])[:3]
        root = f'{pkgdir}/x/{pkg}'
        if pattern.startswith('!'):
            selected = [s for s in selected if not (s[0] == pkg and fnmatch.fnmatch(s[1], pattern[1:]))]
            continue
        if '.rcc:' in pattern:
            rcc, inner = pattern.split(':', 1)
            tree = f'{pkgdir}/x/{pkg}.rcc/{os.path.basename(rcc)}'
            if not os.path.isdir(tree):
                unpack_rcc(root + rcc, tree)
            found = [(f'{rcc}:{f[len(tree):]}', f) for f in sorted(glob.glob(tree + inner))]
        else:
            found = [(f[len(root):], f) for f in sorted(glob.glob(root + pattern))]
        if not found:
            raise SystemExit(f'footage-photos: {pkg}|{pattern} matches nothing')
        for path, f in found:
            g = group.replace('{dir}', os.path.basename(os.path.dirname(f))) or pkg
            selected.append([pkg, path, f, g])

    # Clip names: group_stem, or group_where_stem where two photographs share one
    # (where: the Qt resource file's name, else the folder's).
    names = [clip_name(pkg, path, group) for pkg, path, _, group in selected]
    for j, (pkg, path, img, group) in enumerate(selected):
        if names.count(names[j]) > 1 and not pkg.startswith(OLD_NAMES):
            where = os.path.basename(path.split(':')[0]).split('.')[0] if '.rcc:' in path else \
                os.path.basename(os.path.dirname(path))
            names[j] = clip_name(pkg, path, f'{group}_{where}')
    seen = {}
    for j, n in enumerate(names):
        if n in seen:
            raise SystemExit(f'footage-photos: two photographs make the clip name {n}: '
                             f'{seen[n]} and {selected[j][0]}|{selected[j][1]}')
        seen[n] = f'{selected[j][0]}|{selected[j][1]}'
    rows = []
    for (pkg, path, img, group), name in zip(selected, names):
        w, h = size(img)
        rows.append(dict(pkg=pkg, path=path, img=img, group=group, w=w, h=h, hash=dhash(img), name=name))
    # Near-duplicates: the largest photograph of each cluster is kept (ties: the first listed).
    order = sorted(range(len(rows)), key=lambda i: (-rows[i]['w'] * rows[i]['h'], i))
    kept, dropped = [], []
    for i in order:
        r = rows[i]
        twin = next((k for k in kept if bin(rows[k]['hash'] ^ r['hash']).count('1') <= DUP_BITS), None)
        if twin is None:
            kept.append(i)
        else:
            dropped.append((r, rows[twin], bin(rows[twin]['hash'] ^ r['hash']).count('1')))
    kept.sort()

    with open(f'{outdir}/photo-duplicates.tsv.partial', 'w') as f:
        f.write('package\tpackage_path\twidth\theight\tduplicate_of_package\tduplicate_of_path\thash_bits_apart\n')
        for r, t, d in dropped:
            f.write(f"{r['pkg']}\t{r['path']}\t{r['w']}\t{r['h']}\t{t['pkg']}\t{t['path']}\t{d}\n")
    os.rename(f'{outdir}/photo-duplicates.tsv.partial', f'{outdir}/photo-duplicates.tsv')

    use = list(enumerate(kept))
    if max_photos > 0:
        key = lambda e: hashlib.sha1(f"{rows[e[1]]['pkg']}|{rows[e[1]]['path']}".encode()).hexdigest()
        use = sorted(sorted(use, key=key)[:max_photos])
    with open(f'{outdir}/photos.tsv.partial', 'w') as f:
        f.write('photo\tgroup\tpackage\tversion\tpackage_path\tlicence\twidth\theight\tdhash\n')
        for index, i in use:
            r = rows[i]
            # '-' for an unknown licence: the shell reads these lines with a tab IFS,
            # which joins two tabs into one and would shift the group into the licence.
            lic = licence(pkgdir, r['pkg'], r['path'], r['img']) or '-'
            f.write(f"{r['name']}\t{r['group']}\t{r['pkg']}\t{versions[r['pkg']]}\t{r['path']}\t{lic}\t"
                    f"{r['w']}\t{r['h']}\t{r['hash']:064x}\n")
            print('\t'.join([str(index), r['name'], r['img'], r['pkg'], versions[r['pkg']], r['path'], lic,
                             r['group']]))
    os.rename(f'{outdir}/photos.tsv.partial', f'{outdir}/photos.tsv')
    print(f'footage-photos: {len(rows)} photographs listed, {len(dropped)} near-duplicates dropped, '
          f'{len(kept)} distinct, {len(use)} used', file=sys.stderr)


if __name__ == '__main__':
    main()
