//! Each misuse of the attributes is a compile error that says what is wrong,
//! on the offending token: tests/ui/*.rs, with the compiler's output in the
//! .stderr beside each (regenerate with `TRYBUILD=overwrite` and read them).

#[test]
fn misuse_is_a_compile_error_that_says_what_is_wrong() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
