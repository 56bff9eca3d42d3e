"""live_x11.py - acts on the window under the screen's centre on $DISPLAY
(tests/live-window.sh, on Xvfb), through libX11 and libXtst by ctypes:

  live_x11.py key NAME...    press and release each key (X keysym names:
                             space, s, q, Escape), the pointer moved over
                             the window first (Xvfb without a window
                             manager: the focus follows the pointer)
  live_x11.py close          ask the window to close, as a window manager
                             does (WM_PROTOCOLS / WM_DELETE_WINDOW)
  live_x11.py resize W H     resize the window

Exits 1 when no window is under the centre.
"""
import ctypes
import ctypes.util
import sys
import time

x11 = ctypes.CDLL(ctypes.util.find_library('X11') or 'libX11.so.6')
xtst = ctypes.CDLL(ctypes.util.find_library('Xtst') or 'libXtst.so.6')
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
x11.XDefaultRootWindow.restype = ctypes.c_ulong
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XStringToKeysym.restype = ctypes.c_ulong
x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
x11.XKeysymToKeycode.restype = ctypes.c_ubyte
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XInternAtom.restype = ctypes.c_ulong
x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x11.XFlush.argtypes = [ctypes.c_void_p]
x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
x11.XQueryPointer.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_void_p] * 7
x11.XResizeWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_uint, ctypes.c_uint]
x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
x11.XDisplayWidth.argtypes = [ctypes.c_void_p, ctypes.c_int]
x11.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]


class ClientMessage(ctypes.Structure):
    _fields_ = [('type', ctypes.c_int), ('serial', ctypes.c_ulong), ('send_event', ctypes.c_int),
                ('display', ctypes.c_void_p), ('window', ctypes.c_ulong), ('message_type', ctypes.c_ulong),
                ('format', ctypes.c_int), ('data', ctypes.c_long * 5)]


class XEvent(ctypes.Union):
    _fields_ = [('xclient', ClientMessage), ('pad', ctypes.c_long * 24)]


def window_under_centre(dpy):
    """The top-level window under the screen's centre (the pointer moved there)."""
    root = x11.XDefaultRootWindow(dpy)
    xtst.XTestFakeMotionEvent(dpy, 0, x11.XDisplayWidth(dpy, 0) // 2, x11.XDisplayHeight(dpy, 0) // 2, 0)
    x11.XSync(dpy, 0)
    r, c = ctypes.c_ulong(), ctypes.c_ulong()
    i = [ctypes.c_int() for _ in range(4)]
    m = ctypes.c_uint()
    x11.XQueryPointer(dpy, root, ctypes.byref(r), ctypes.byref(c), *[ctypes.byref(v) for v in i], ctypes.byref(m))
    if not c.value:
        raise SystemExit('live_x11.py: no window under the centre of the screen')
    return c.value


def main():
    a = sys.argv[1:]
    dpy = x11.XOpenDisplay(None)
    if not dpy:
        raise SystemExit('live_x11.py: cannot open the display')
    win = window_under_centre(dpy)
    if a[:1] == ['key']:
        for name in a[1:]:
            kc = x11.XKeysymToKeycode(dpy, x11.XStringToKeysym(name.encode()))
            xtst.XTestFakeKeyEvent(dpy, kc, 1, 0)
            xtst.XTestFakeKeyEvent(dpy, kc, 0, 0)
            x11.XSync(dpy, 0)
            time.sleep(0.2)
    elif a == ['close']:
        ev = XEvent()
        ev.xclient.type = 33  # ClientMessage
        ev.xclient.window = win
        ev.xclient.message_type = x11.XInternAtom(dpy, b'WM_PROTOCOLS', 0)
        ev.xclient.format = 32
        ev.xclient.data[0] = x11.XInternAtom(dpy, b'WM_DELETE_WINDOW', 0)
        x11.XSendEvent(dpy, win, 0, 0, ctypes.byref(ev))
        x11.XSync(dpy, 0)
    elif len(a) == 3 and a[0] == 'resize':
        x11.XResizeWindow(dpy, win, int(a[1]), int(a[2]))
        x11.XSync(dpy, 0)
    else:
        raise SystemExit(__doc__)


main()
