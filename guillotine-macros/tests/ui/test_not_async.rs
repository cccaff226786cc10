#[guillotine::test]
fn not_async() {}

fn main() {}
