#!/usr/bin/env python3
"""Write the GGUF fixtures of tests/test_gguf.c with llama.cpp's own `gguf`
package (pip install gguf numpy), so our reader is checked against the
reference writer. The values are fixed formulas that the test repeats.

    python3 tools/make_gguf_fixtures.py tests/data/gguf
"""
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as V


def ternary(n):
    # -1, 0, +1 in a fixed pattern; the test computes the same.
    return np.array([((i * 7 + i // 5) % 3) - 1 for i in range(n)], dtype=np.float32)


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(str(out / "fixture.gguf"), "bitnet-b1.58")
    # general.architecture is written first by GGUFWriter
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -100)
    w.add_uint16("t.u16", 60000)
    w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000)
    w.add_int32("t.i32", -2000000000)
    w.add_float32("t.f32", 0.15625)
    w.add_bool("t.bool", True)
    w.add_string("t.str", "héllo wörld")
    w.add_uint64("t.u64", 18000000000000000000)
    w.add_int64("t.i64", -9000000000000000000)
    w.add_float64("t.f64", 2.718281828459045)
    w.add_array("t.arr_i32", [1, -2, 3, -4, 5])
    w.add_array("t.arr_str", ["a", "", "bc", "Ġthe"])
    w.add_key_value("t.arr_f32", [0.5, -1.25], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("t.arr_u8", [0, 1, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("t.arr_bool", [True, False, True], V.ARRAY, sub_type=V.BOOL)

    w.add_tensor("f32", np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5)
    w.add_tensor("f16", (np.arange(6, dtype=np.float32) / 8).astype(np.float16).reshape(2, 3))
    for name, qt in (("tq1", Q.TQ1_0), ("tq2", Q.TQ2_0)):
        x = (ternary(2 * 256) * 0.5).reshape(2, 256)
        q = gguf.quants.quantize(x, qt)
        w.add_tensor(name, q, raw_dtype=qt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/gguf")
