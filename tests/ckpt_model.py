# ckpt_model.py A B: exit 0 when checkpoints A and B hold the same model
# and training state bit for bit: parameters, batch-norm state, optimiser
# moments and the position, all but the config text (its run directory
# and ranks differ) and the position's elapsed seconds (a wall clock).
# The layout is nn/checkpoint.h's.
import struct
import sys


def model_bytes(path):
    b = open(path, "rb").read()
    o = 12                                      # magic, version
    (ln,) = struct.unpack_from("<I", b, o)
    o += 4 + ln                                 # the config text
    start = o
    for _ in range(2):                          # params, state
        (n,) = struct.unpack_from("<Q", b, o)
        o += 8 + 4 * n
    o += 4 + 8                                  # optimiser kind, step
    (n,) = struct.unpack_from("<Q", b, o)
    o += 8 + 8 * n                              # moments m, v
    # the position: 60 bytes up to elapsed, elapsed (8), the rngs; no CRC
    return b[start:o + 60] + b[o + 68:-4]


sys.exit(0 if model_bytes(sys.argv[1]) == model_bytes(sys.argv[2]) else 1)
