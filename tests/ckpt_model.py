# ckpt_model.py A B: exit 0 when checkpoints A and B hold the same model
# and training state bit for bit: parameters, batch-norm state, optimiser
# moments and step, and the position, all but the config text (its run
# directory and ranks differ) and the position's elapsed seconds (a wall
# clock). Read with python/sincprobe_io.py (sincprobe-checkpoint(5)).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import sincprobe_io  # noqa: E402


def state(path):
    c = sincprobe_io.read_checkpoint(path)
    o = c["optimizer"]
    pos = dict(c["position"])
    del pos["elapsed"]
    return (c["params"].tobytes(), c["state"].tobytes(), o["kind"], o["step"], o["m"].tobytes(),
            o["v"].tobytes(), sorted(pos.items()), [(n, b, off, s) for n, b, off, s in c["directory"]])


sys.exit(0 if state(sys.argv[1]) == state(sys.argv[2]) else 1)
