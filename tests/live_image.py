"""live_image.py - checks pictures of `sincprobe live`'s views for
tests/live-window.sh, live-term.sh and live-watch.sh. Reads binary PPM
(P6: the saved PNGs, decoded by cairo through `live_view_demo --decode`)
and XWD (a real screenshot of the X display: `xwd -root`, ZPixmap, 24 or
32 bits per pixel).

  live_image.py spectro IMAGE F T0 T1
      The learned spectrogram: the widest run of columns painted in the
      viridis colours (src/plot/draw.c's map), and its rows; filters T0..T1
      of F (low at the bottom) must be bright (viridis value > 0.7) and the
      other rows dark (< 0.35), the brightest row within the tone's band.
  live_image.py nonblank IMAGE
      At least 20 colours, 5% of the pixels not white and 2% in viridis
      colours (a heatmap was drawn).
  live_image.py changed BEFORE AFTER
      Some pixels differ, all above the spectrogram (the title line,
      where PAUSED appears).
  live_image.py same SMALL BIG
      SMALL (the saved PNG) appears in BIG (the screenshot): the offset
      that lines up their spectrograms makes 99% of SMALL's pixels equal.

Prints what it measured; exits 1 naming what failed.
"""
import struct
import sys

import numpy as np

# src/plot/draw.c's viridis control points, linear between them
CM = np.array([
    [0.267, 0.005, 0.329], [0.278, 0.175, 0.483], [0.231, 0.322, 0.546],
    [0.173, 0.449, 0.558], [0.128, 0.567, 0.551], [0.153, 0.681, 0.506],
    [0.361, 0.785, 0.388], [0.667, 0.862, 0.196], [0.993, 0.906, 0.144]])


def viridis_lut(n=256):
    x = np.linspace(0, 1, n) * 8
    i = np.minimum(x.astype(int), 7)
    t = (x - i)[:, None]
    return (CM[i] + t * (CM[i + 1] - CM[i])) * 255


def read_ppm(path):
    data = open(path, 'rb').read()
    parts = data.split(maxsplit=4)
    if parts[0] != b'P6':
        raise SystemExit('%s: not a binary PPM' % path)
    w, h = int(parts[1]), int(parts[2])
    px = np.frombuffer(parts[4][:w * h * 3], dtype=np.uint8)
    return px.reshape(h, w, 3)


def read_xwd(path):
    data = open(path, 'rb').read()
    head = struct.unpack('>25I', data[:100])
    (hsize, version, fmt, depth, width, height, _xoff, byte_order, _unit, _bit_order, _pad, bpp, bpl,
     _vclass, rmask, gmask, bmask, _bits_rgb, _cmap, ncolors) = head[:20]
    if version != 7 or fmt != 2 or bpp not in (24, 32):
        raise SystemExit('%s: XWD version %d format %d at %d bits per pixel: not read' % (path, version, fmt, bpp))
    off = hsize + ncolors * 12
    rows = np.frombuffer(data[off:off + height * bpl], dtype=np.uint8).reshape(height, bpl)
    bytes_pp = bpp // 8
    px = rows[:, :width * bytes_pp].reshape(height, width, bytes_pp).astype(np.uint32)
    if byte_order == 0:  # LSBFirst: the first byte is the lowest
        val = sum(px[:, :, k] << (8 * k) for k in range(bytes_pp))
    else:
        val = sum(px[:, :, k] << (8 * (bytes_pp - 1 - k)) for k in range(bytes_pp))

    def chan(mask):
        shift = (mask & -mask).bit_length() - 1
        return ((val & mask) >> shift).astype(np.uint8)
    return np.stack([chan(rmask), chan(gmask), chan(bmask)], axis=2)


def read_image(path):
    with open(path, 'rb') as f:
        magic = f.read(2)
    return read_ppm(path) if magic == b'P6' else read_xwd(path)


def viridis_value(img, tol=14.0):
    """Each pixel's position on the viridis map (0..1), NaN where its
    colour is farther than tol from the map."""
    lut = viridis_lut()
    packed = (img[:, :, 0].astype(np.uint32) << 16) | (img[:, :, 1].astype(np.uint32) << 8) | img[:, :, 2]
    colours, inverse = np.unique(packed.ravel(), return_inverse=True)
    rgb = np.stack([(colours >> 16) & 255, (colours >> 8) & 255, colours & 255], axis=1).astype(float)
    d = np.sqrt(((rgb[:, None, :] - lut[None, :, :]) ** 2).sum(axis=2))
    best = d.argmin(axis=1)
    val = np.where(d[np.arange(len(colours)), best] <= tol, best / 255.0, np.nan)
    return val[inverse].reshape(packed.shape)


def longest_run(mask):
    best, start, cur = (0, 0), None, 0
    for i, m in enumerate(list(mask) + [False]):
        if m and start is None:
            start = i
        if not m and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def find_spectro(img):
    """(x0, x1, y0, y1): the spectrogram's area, and the viridis values."""
    v = viridis_value(img)
    ok = ~np.isnan(v)
    cols = ok.sum(axis=0)
    x0, x1 = longest_run(cols > 0.5 * cols.max())
    rows = ok[:, x0:x1].sum(axis=1)
    y0, y1 = longest_run(rows > 0.9 * (x1 - x0))
    return x0, x1, y0, y1, v


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def cmd_spectro(path, F, t0, t1):
    img = read_image(path)
    x0, x1, y0, y1, v = find_spectro(img)
    h = y1 - y0
    print('%s: %dx%d, spectrogram x %d..%d, y %d..%d' % (path, img.shape[1], img.shape[0], x0, x1, y0, y1))
    if x1 - x0 < 100 or h < 2 * F:
        fail('no spectrogram found (%d x %d pixels of viridis colours)' % (x1 - x0, h))
    prof = np.nanmean(v[y0:y1, x0:x1], axis=1)
    # filter f spans rows y1 - (f + 1) h / F .. y1 - f h / F; 1 pixel margins
    lo_y, hi_y = y1 - (t1 + 1) * h / F, y1 - t0 * h / F
    inside = np.array([lo_y + 1 <= y0 + i <= hi_y - 2 for i in range(h)])
    near = np.array([lo_y - 2 <= y0 + i <= hi_y + 1 for i in range(h)])
    tone, rest = prof[inside].mean(), prof[~near].mean()
    peak = y0 + int(np.argmax(prof))
    print('tone rows %.1f..%.1f: mean %.3f; other rows: mean %.3f, max %.3f; brightest row %d'
          % (lo_y, hi_y, tone, rest, prof[~near].max(), peak))
    if not tone > 0.7:
        fail('the tone\'s rows are not bright: %.3f' % tone)
    if not prof[~near].max() < 0.35:
        fail('rows away from the tone are bright: max %.3f' % prof[~near].max())
    if not lo_y - 1 <= peak <= hi_y:
        fail('the brightest row %d is outside the tone\'s rows %.1f..%.1f' % (peak, lo_y, hi_y))


def cmd_nonblank(path):
    img = read_image(path)
    n = img.shape[0] * img.shape[1]
    packed = (img[:, :, 0].astype(np.uint32) << 16) | (img[:, :, 1].astype(np.uint32) << 8) | img[:, :, 2]
    colours = len(np.unique(packed))
    inked = (packed != 0xffffff).sum() / n
    vir = (~np.isnan(viridis_value(img))).sum() / n
    print('%s: %dx%d, %d colours, %.1f%% not white, %.1f%% viridis' % (path, img.shape[1], img.shape[0], colours,
                                                                         100 * inked, 100 * vir))
    if colours < 20 or inked < 0.05 or vir < 0.02:
        fail('%s looks blank' % path)


def cmd_same(small, big):
    a, b = read_image(small), read_image(big)
    ax0, _, ay0, _, _ = find_spectro(a)
    bx0, _, by0, _, _ = find_spectro(b)
    dx, dy = bx0 - ax0, by0 - ay0
    h, w = a.shape[:2]
    if dx < 0 or dy < 0 or dy + h > b.shape[0] or dx + w > b.shape[1]:
        fail('%s does not fit in %s at offset %d,%d' % (small, big, dx, dy))
    eq = (b[dy:dy + h, dx:dx + w] == a).all(axis=2).mean()
    print('%s in %s at %d,%d: %.2f%% of the pixels equal' % (small, big, dx, dy, 100 * eq))
    if eq < 0.99:
        fail('the screenshot differs from the saved picture')


def cmd_changed(before, after):
    a, b = read_image(before), read_image(after)
    _, _, y0, _, _ = find_spectro(a)
    diff = (a != b).any(axis=2)
    ys, xs = np.nonzero(diff)
    if len(ys) == 0:
        fail('%s and %s are the same' % (before, after))
    print('%d pixels changed in x %d..%d, y %d..%d (the spectrogram starts at y %d)'
          % (len(ys), xs.min(), xs.max(), ys.min(), ys.max(), y0))
    if ys.max() >= y0:
        fail('pixels changed below the title line')


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == 'spectro':
        cmd_spectro(a[1], int(a[2]), int(a[3]), int(a[4]))
    elif len(a) == 2 and a[0] == 'nonblank':
        cmd_nonblank(a[1])
    elif len(a) == 3 and a[0] == 'changed':
        cmd_changed(a[1], a[2])
    elif len(a) == 3 and a[0] == 'same':
        cmd_same(a[1], a[2])
    else:
        raise SystemExit(__doc__)


main()
