"""golden_writer.py - the plain-text golden format (tests/golden/golden_file.h reads it) that
every make_golden*.py script writes: "rise-golden 1", a comment naming the script, then per
array a header "array NAME NDIM D0 .. D(NDIM-1)" and its values as float32 (%.9g, 8 a line,
so they round-trip), and "end"."""
import numpy as np
import torch


class Writer:
    def __init__(self, script):
        self.lines = ["rise-golden 1", f"# written by tests/golden/{script}; see its docstring"]

    def array(self, name, t):
        a = np.asarray(t.detach().cpu().numpy() if torch.is_tensor(t) else t, dtype=np.float64)
        a32 = a.astype(np.float32).reshape(-1)
        shape = list(a.shape) if a.ndim else [1]
        self.lines.append(f"array {name} {len(shape)} " + " ".join(str(d) for d in shape))
        for i in range(0, a32.size, 8):
            self.lines.append(" ".join("%.9g" % v for v in a32[i:i + 8]))

    def group(self, prefix, P):
        for k, v in P.items():
            self.array(f"{prefix}.{k}", v)

    def save(self, path):
        """Closes the file with "end" and writes it."""
        self.lines.append("end")
        with open(path, "w") as f:
            f.write("\n".join(self.lines) + "\n")
