"""Tests of tools/make_golden.py's comparison of golden files (the references are computed with
the installed NumPy, whose BLAS kernel depends on the processor)."""
import make_golden as m

CASE = """case add-1
op add
input a float64 (2) 0.75 -1.1323425463043408
output out float32 (2) 1.43272567 -0.774472535
end
"""


def test_last_bit_differences_are_equivalent():
    assert m.equivalent(CASE, CASE)
    assert m.equivalent(CASE, CASE.replace("-1.1323425463043408", "-1.132342546304341"))
    assert m.equivalent(CASE, CASE.replace("1.43272567", "1.43272579"))  # one float32 step


def test_a_value_that_cancels_to_about_zero_is_compared_at_the_scale_of_its_tensor():
    line = "grad b float64 (3) -2.460901279157924 -2.6020852139652106e-17 9.627715291671279e-17"
    assert m._values_close(line, "grad b float64 (3) -2.460901279157924 -2.6020852139652106e-17 4.0766001685454967e-17")
    assert not m._values_close(line, "grad b float64 (3) -2.460901279157924 -2.6020852139652106e-17 1e-9")


def test_real_changes_are_not():
    assert not m.equivalent(CASE, CASE.replace("-1.1323425463043408", "-1.1323425463"))
    assert not m.equivalent(CASE, CASE.replace("1.43272567", "1.4327"))
    assert not m.equivalent(CASE, CASE.replace("op add", "op sub"))
    assert not m.equivalent(CASE, CASE.replace("(2) 0.75", "(2,1) 0.75"))
    assert not m.equivalent(CASE, CASE + "case x\nend\n")


def test_float16_differs_by_one_step_at_most():
    line = "output out float16 (2) 0.5444 -1.664"
    assert m._values_close(line, "output out float16 (2) 0.5444 -1.665")  # one step of 2^-10
    assert not m._values_close(line, "output out float16 (2) 0.5444 -1.67")
    assert not m._values_close(line, "output out float32 (2) 0.5444 -1.665")
