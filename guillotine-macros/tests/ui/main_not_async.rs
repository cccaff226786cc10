#[guillotine::main]
fn main() {}
